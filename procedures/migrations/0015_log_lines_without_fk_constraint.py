"""The log lines keep their foreign keys in Django but not in the database: PostgreSQL checked each with a trigger
per inserted row, half the time of storing a flood (benchmarks/README.md, persistence).

SQLite rebuilds the table to drop them (twice, once per field): the embedded profile's logs are small.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0014_log_line_run_index"),
    ]

    operations = [
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
    ]
