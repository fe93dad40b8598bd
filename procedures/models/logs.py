"""Log lines of a run: one row per line, numbered run-wide by ``seq`` (unique), written in batches with raw SQL.

Rows are inserted by ``procedures.execution.logwriter.StepLog`` through ``store_lines`` (``executemany`` or
``COPY``, never one ORM object per line: an ORM object per line cost more than the command itself). Readers page
by ``seq``: everything after the last one seen.

Every byte a command prints is kept. A line longer than ``LINE_MAX`` bytes is cut into pieces, each piece after
the first marked ``continued``. A line that is not UTF-8 or holds a NUL (PostgreSQL refuses NUL in text, and a
refused batch would lose every later line) is stored ``escaped``: a backslash doubled, every other offending byte
as ``\\xHH``; ``raw_bytes`` turns it back into the bytes printed.
"""

import json
import re
from typing import NamedTuple

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from procedures.choices import Stream
from procedures.texts import render_message

LINE_MAX = 65536  # bytes of one stored line; the rest of a longer line follows as continuation lines
COLUMNS = "run_id, step_id, attempt, host, seq, stream, text, at, continued, escaped"


def shown_text(stream: str, text: str) -> str:
    """A line as the reader reads it: the portal's own lines (stored messages) in the reader's language."""
    return render_message(text) if stream == Stream.SYSTEM else text


class ShownLine(NamedTuple):
    """A log line as a page shows it (``RunLogLineQuerySet.shown``): its fields, without a model object per line."""

    step_id: int | None
    host: str
    seq: int
    stream: str
    text: str
    continued: bool
    escaped: bool

    @property
    def shown_text(self) -> str:
        return shown_text(self.stream, self.text)


class RunLogLineQuerySet(models.QuerySet):
    def last_seq(self, run_id: int) -> int:
        return self.filter(run_id=run_id).aggregate(m=models.Max("seq"))["m"] or 0

    def shown(self) -> list[ShownLine]:
        """The lines as ``ShownLine`` tuples, for a page that renders many (the run page: up to 2,000)."""
        return [ShownLine(*row) for row in self.values_list(*ShownLine._fields)]

    def update(self, **kwargs):
        raise PermissionError("log lines cannot be changed")


class RunLogLine(models.Model):
    # No index of its own: the unique (run, seq) index serves every lookup by run (one index less per row).
    # No foreign-key constraint in the database either (``db_constraint=False``, as AWX keeps its job events):
    # PostgreSQL checks a constraint with a trigger per inserted row, half the time of a COPY of 100,000 lines
    # (benchmarks/README.md, persistence). Only the log writer inserts, for the step it runs, and deleting a
    # run or step still deletes its lines (Django's cascade, one DELETE by run or step).
    run = models.ForeignKey(
        "procedures.ProcedureRun",
        on_delete=models.CASCADE,
        related_name="log_lines",
        verbose_name=_("run"),
        db_index=False,
        db_constraint=False,
    )
    step = models.ForeignKey(
        "procedures.StepRun",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="log_lines",
        verbose_name=_("step"),
        db_constraint=False,
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    host = models.CharField(_("host"), max_length=200, blank=True)
    seq = models.BigIntegerField(_("sequence number"))
    stream = models.CharField(_("stream"), max_length=3, choices=Stream.choices)
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("when"))
    continued = models.BooleanField(_("continues the line before"), default=False, db_default=False)
    escaped = models.BooleanField(_("bytes shown escaped"), default=False, db_default=False)
    objects = RunLogLineQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("log line"), _("log lines")
        ordering = ("run", "seq")
        constraints = (models.UniqueConstraint(fields=("run", "seq"), name="%(app_label)s_%(class)s_unique_seq"),)

    def __str__(self):
        return f"{self.seq} {self.text[:60]}"

    @property
    def shown_text(self) -> str:
        """The line as the reader reads it: the portal's own lines (stored messages) in the reader's language."""
        return shown_text(self.stream, self.text)

    @property
    def raw(self) -> bytes:
        """The bytes the command printed on this line (without the line break)."""
        return raw_bytes(self.text, self.escaped)


def escape(raw: bytes) -> str:
    r"""Bytes that are not clean UTF-8 text as text that says every byte: ``\\`` for ``\``, ``\xHH`` for the others."""
    return raw.replace(b"\\", b"\\\\").replace(b"\0", b"\\x00").decode("utf-8", "backslashreplace")


_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2})")


def raw_bytes(text: str, escaped: bool) -> bytes:
    """The inverse of ``escape`` (for an escaped line), else the line's UTF-8."""
    if not escaped:
        return text.encode()
    out, pos = bytearray(), 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()].encode()
        out += b"\\" if m.group(1) == "\\" else bytes([int(m.group(1)[1:], 16)])
        pos = m.end()
    out += text[pos:].encode()
    return bytes(out)


def store_lines(rows) -> None:
    """Insert ``(run_id, step_id, attempt, host, seq, stream, text, at[, continued, escaped])`` tuples.

    PostgreSQL: ``COPY``; else ``executemany``. Runs on the caller's thread connection in autocommit (a transaction
    per batch), never inside a state transaction, so lines survive whatever happens to the step afterwards.
    """
    insert_rows([row if len(row) == 10 else (*row, False, False) for row in rows])


def insert_rows(rows: list[tuple]) -> None:
    """``store_lines`` for rows that carry all ten fields (the log writer's)."""
    if not rows:
        return
    table = connection.ops.quote_name(RunLogLine._meta.db_table)
    if connection.vendor == "postgresql":
        # COPY: executemany cost 46 µs a line on PostgreSQL, 9× COPY (benchmarks/README.md, persistence).
        # Database errors (a seq taken meanwhile) still arrive as Django's IntegrityError.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    adapt, adapted = connection.ops.adapt_datetimefield_value, {}

    def at(value):  # the lines of one block share their time: adapt each time once
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    with transaction.atomic(), connection.cursor() as cursor:  # one transaction per batch, not per row
        cursor.executemany(sql, [(*row[:7], at(row[7]), row[8], row[9]) for row in rows])


_BLOCK_SQL = (
    "INSERT INTO {table} ({columns}) SELECT %s, %s, %s, %s, %s + key, %s, value, %s, {continued}, {escaped} "
    "FROM json_each(%s)"
)
_MARKED = "key IN (SELECT value FROM json_each(%s))"
# PostgreSQL: the texts as one binary text[] parameter (%b), numbered by the server (WITH ORDINALITY counts from 1).
_PG_BLOCK_SQL = (
    "INSERT INTO {table} ({columns}) SELECT %s, %s, %s, %s, %s + u.i - 1, %s, u.text, %s, {continued}, {escaped} "
    "FROM unnest(%b::text[]) WITH ORDINALITY AS u(text, i)"
)
_PG_MARKED = "u.i - 1 = ANY(%b::int8[])"


def insert_blocks(run_id: int, step_id, attempt: int, blocks) -> None:
    """Store blocks of lines: ``(host, stream, first_seq, at, texts, continued, escaped)``, the lines numbered
    ``first_seq``, ``first_seq + 1``, … and sharing ``at``; ``continued`` and ``escaped`` are sets of indexes.

    One statement per block, whose rows the database makes, not one Python tuple per line: SQLite
    ``INSERT … SELECT … FROM json_each(?)`` (a third of the CPU of ``executemany``), PostgreSQL
    ``INSERT … SELECT … FROM unnest(texts)`` with the texts as one binary array (a fifth of the worker's CPU of
    a ``COPY`` row by row, as fast in the server; benchmarks/README.md, persistence). The caller holds the
    transaction.
    """
    if connection.vendor == "postgresql":
        _insert_blocks_postgresql(run_id, step_id, attempt, blocks)
        return
    table = connection.ops.quote_name(RunLogLine._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for host, stream, first, at, texts, cont, esc in blocks:
            marks, params = _marks(cont, esc, _MARKED, "0", lambda indexes: json.dumps(sorted(indexes)))
            lines = json.dumps(texts, ensure_ascii=False)
            params = [run_id, step_id, attempt, host, first, stream, adapt(at), *params, lines]
            cursor.execute(_BLOCK_SQL.format(table=table, columns=COLUMNS, **marks), params)


def _insert_blocks_postgresql(run_id: int, step_id, attempt: int, blocks) -> None:
    """A cursor of psycopg's own, binding on the server: Django's cursor binds on the client, which would spell
    every text into the SQL. Errors (a seq taken meanwhile) still arrive as Django's ``IntegrityError``."""
    import psycopg  # here, not at the top: only PostgreSQL needs the driver, the embedded profile never loads it

    table = connection.ops.quote_name(RunLogLine._meta.db_table)
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        for host, stream, first, at, texts, cont, esc in blocks:
            marks, params = _marks(cont, esc, _PG_MARKED, "false", sorted)
            sql = _PG_BLOCK_SQL.format(table=table, columns=COLUMNS, **marks)
            cursor.execute(sql, [run_id, step_id, attempt, host, first, stream, at, *params, texts])


def _marks(continued: set[int], escaped: set[int], marked: str, unmarked: str, encode) -> tuple[dict, list]:
    """The ``continued`` and ``escaped`` columns of a block's SQL: ``marked`` (a test of the line's index against
    a parameter, ``encode(indexes)``) where the block has such lines, else the constant ``unmarked``."""
    marks, params = {}, []
    for name, indexes in (("continued", continued), ("escaped", escaped)):  # in the order of their placeholders
        marks[name] = marked if indexes else unmarked
        if indexes:
            params.append(encode(indexes))
    return marks, params
