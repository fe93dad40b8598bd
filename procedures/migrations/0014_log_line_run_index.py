"""The log lines' own index on ``run_id`` goes: the unique (run, seq) index serves every lookup by run.

Only the index is dropped (SQLite would otherwise copy the whole table to alter the field).
"""

import django.db.models.deletion
from django.db import migrations, models


def _run_indexes(schema_editor, model) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [
        name
        for name, info in found.items()
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == ["run_id"]
    ]


def drop_index(apps, schema_editor):
    model = apps.get_model("procedures", "RunLogLine")
    for name in _run_indexes(schema_editor, model):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def add_index(apps, schema_editor):
    model = apps.get_model("procedures", "RunLogLine")
    if not _run_indexes(schema_editor, model):
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field("run")]))


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0013_verbose_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="runlogline",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="log_lines",
                        to="procedures.procedurerun",
                        verbose_name="run",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, add_index)],
        ),
    ]
