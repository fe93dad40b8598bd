"""Log lines of a run: one row per line, numbered run-wide by ``seq`` (unique), written in batches with raw SQL.

Rows are inserted by ``procedures.execution.logwriter.StepLog`` through ``store_lines`` (``executemany``, never one ORM
object per line: saving rows one by one cannot keep up with a flooding command). Readers page by ``seq``:
everything after the last one seen.
"""

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from procedures.choices import Stream


class RunLogLineQuerySet(models.QuerySet):
    def after(self, run_id: int, seq: int):
        return self.filter(run_id=run_id, seq__gt=seq).order_by("seq")

    def last_seq(self, run_id: int) -> int:
        return self.filter(run_id=run_id).aggregate(m=models.Max("seq"))["m"] or 0

    def update(self, **kwargs):
        raise PermissionError("log lines cannot be changed")


class RunLogLine(models.Model):
    run = models.ForeignKey("procedures.ProcedureRun", on_delete=models.CASCADE, related_name="log_lines")
    step = models.ForeignKey(
        "procedures.StepRun", on_delete=models.CASCADE, null=True, blank=True, related_name="log_lines"
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    host = models.CharField(_("host"), max_length=200, blank=True)
    seq = models.BigIntegerField(_("sequence number"))
    stream = models.CharField(_("stream"), max_length=3, choices=Stream.choices)
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("when"))
    objects = RunLogLineQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("log line"), _("log lines")
        ordering = ("run", "seq")
        constraints = (models.UniqueConstraint(fields=("run", "seq"), name="%(app_label)s_%(class)s_unique_seq"),)

    def __str__(self):
        return f"{self.seq} {self.text[:60]}"

    def as_wire(self) -> dict:
        return {"seq": self.seq, "step": self.step_id, "host": self.host, "stream": self.stream, "text": self.text}


def store_lines(rows: list[tuple]) -> None:
    """Insert ``(run_id, step_id, attempt, host, seq, stream, text, at)`` tuples (PostgreSQL: COPY; else executemany).

    Runs on the caller's thread connection in autocommit (a transaction per batch), never inside a state
    transaction, so lines survive whatever happens to the step afterwards.
    """
    if not rows:
        return
    table = connection.ops.quote_name(RunLogLine._meta.db_table)
    columns = "run_id, step_id, attempt, host, seq, stream, text, at"
    if connection.vendor == "postgresql":
        # COPY: executemany cost 46 µs a line on PostgreSQL, 9× COPY (benchmarks/README.md, persistence).
        # Database errors (a seq taken meanwhile) still arrive as Django's IntegrityError.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 (no user input)
    adapt, adapted = connection.ops.adapt_datetimefield_value, {}

    def at(value):  # the lines of one chunk share their time: adapt each time once
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    with transaction.atomic(), connection.cursor() as cursor:  # one transaction per batch, not per row
        cursor.executemany(sql, [(*row[:7], at(row[7])) for row in rows])
