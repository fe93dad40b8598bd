"""PostgreSQL stops checking the log lines' run and step foreign keys: a deferred check per row at commit took
longer than storing the rows (benchmarks/README.md, throughput production).

Only PostgreSQL's constraints are dropped: SQLite would copy the whole table to drop one, and its check is a
lookup per row that costs little; its constraints stay until the table is next rebuilt.
"""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = ("run", "step")


def _foreign_keys(schema_editor, model) -> dict[str, str]:
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
    columns = {f"{name}_id": name for name in FIELDS}
    return {columns[info["columns"][0]]: name for name, info in found.items()
            if info["foreign_key"] and len(info["columns"]) == 1 and info["columns"][0] in columns}  # fmt: skip


def drop_checks(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("procedures", "RunLogLine")
    for name in _foreign_keys(schema_editor, model).values():
        schema_editor.execute(schema_editor._delete_fk_sql(model, name))


def add_checks(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("procedures", "RunLogLine")
    present = _foreign_keys(schema_editor, model)
    for field in FIELDS:
        if field not in present:
            schema_editor.execute(
                schema_editor._create_fk_sql(model, model._meta.get_field(field), "_fk_%(to_table)s_%(to_column)s")
            )


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0014_log_line_run_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="runlogline",
                    name="run",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="log_lines",
                        to="procedures.procedurerun",
                        verbose_name="run",
                    ),
                ),
                migrations.AlterField(
                    model_name="runlogline",
                    name="step",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="log_lines",
                        to="procedures.steprun",
                        verbose_name="step",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_checks, add_checks)],
        ),
    ]
