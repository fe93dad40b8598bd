"""Lines that used to kill the log writer: a NUL, bytes that are not UTF-8, a 10 MB line without a break, ``\\r``-only
progress output. Every byte is stored (escaped where the database cannot hold it, reversibly), a long line is cut
into pieces marked as continuations, and the writer goes on writing. ``tests/prod/test_log_lines.py`` runs the
same tests on PostgreSQL, whose ``COPY`` refused a NUL and so stopped the flusher thread.
"""

import itertools

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures import services
from procedures.execution import logwriter
from procedures.execution.logwriter import StepLog
from procedures.models import RunLogLine
from procedures.models.logs import LINE_MAX, escape, raw_bytes
from tests.fixtures.runs import build_world, command_step, make_plan

HOST = "gmx1a (node 1)"


@pytest.fixture
def step(transactional_db, settings):
    """A step of a new run; the writer's flusher thread stores on its own connection, so nothing is left open."""
    settings.PORTAL_DISPATCH = "none"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    run = services.create_run(world.cluster, make_plan(world.cluster, [command_step("one", [])]), user=world.operator)
    found = run.steps.get()
    found.attempt = 1
    return found


def write(step, *blocks: bytes, **options) -> StepLog:
    with StepLog(step, interval=0.01, **options) as steplog:
        for block in blocks:
            steplog.add_block(HOST, "out", block)
        steplog.end_of(HOST)
        steplog.system("after the hostile lines")  # the writer is still alive
    assert steplog.error is None, steplog.error
    return steplog


def stored(step) -> list[RunLogLine]:
    return list(RunLogLine.objects.filter(run_id=step.run_id).order_by("seq"))


def printed(lines) -> bytes:
    """The bytes the command printed, put back together from the stored lines (continuations joined)."""
    out = b""
    for i, line in enumerate(lines):
        if i and not line.continued:
            out += b"\n"
        out += line.raw
    return out


def out_lines(step):
    return [line for line in stored(step) if line.stream == "out"]


def test_a_nul_and_bytes_that_are_not_utf8_are_stored_escaped_and_the_writer_goes_on(step):
    write(
        step,
        b"before\nnul \x00 here\n",
        b"bad \xff\xfe utf-8 \xe6\x97\n",
        b"a \\x00 typed \\ by hand\n\xe6\x97",
        b"\xa5\n",
    )
    lines = stored(step)
    assert [(line.text, line.escaped) for line in lines] == [
        ("before", False),
        ("nul \\x00 here", True),
        ("bad \\xff\\xfe utf-8 \\xe6\\x97", True),
        ("a \\x00 typed \\ by hand", False),  # clean text stays as printed, backslashes and all
        ("日", False),  # a character split between two blocks is whole
        ("after the hostile lines", False),
    ]
    assert [line.raw for line in lines[:5]] == [
        b"before", b"nul \x00 here", b"bad \xff\xfe utf-8 \xe6\x97", b"a \\x00 typed \\ by hand", "日".encode()
    ]  # fmt: skip
    assert [line.seq for line in lines] == list(range(1, 7))


def test_a_10_mb_line_without_a_line_break_is_stored_whole_in_pieces(step):
    data = b"".join(f"{i:09d}|".encode() for i in range(1_000_000))  # 10,000,000 bytes, no line break
    write(step, *(data[i : i + 65536] for i in range(0, len(data), 65536)))
    lines = out_lines(step)
    assert len(lines) == -(-len(data) // LINE_MAX)
    assert all(len(line.raw) <= LINE_MAX for line in lines)
    assert [line.continued for line in lines] == [False] + [True] * (len(lines) - 1)
    assert printed(lines) == data
    assert stored(step)[-1].text == "after the hostile lines"


def test_progress_output_with_carriage_returns_only_is_stored_whole(step):
    data = b"".join(f"copying {p / 10:.1f}%\r".encode() for p in range(200_000))  # ~3 MB, never a line break
    write(step, *(data[i : i + 32768] for i in range(0, len(data), 32768)))
    lines = out_lines(step)
    assert len(lines) > 1 and all(len(line.raw) <= LINE_MAX for line in lines)
    assert printed(lines) == data
    assert stored(step)[-1].text == "after the hostile lines"


def test_a_long_line_in_one_block_is_cut_at_a_character_boundary(step, settings):
    settings.PORTAL_LOG_LINE_MAX = 10
    write(step, "日本語日本語\nshort\n".encode())  # 18 bytes: cut after 3 characters (9 bytes), not inside one
    lines = out_lines(step)
    assert [(line.text, line.continued) for line in lines] == [("日本語", False), ("日本語", True), ("short", False)]


def test_crlf_line_ends_are_line_breaks(step):
    write(step, b"one\r\ntwo\r", b"\nthree\rstill three\n")
    assert [line.text for line in out_lines(step)] == ["one", "two", "three\rstill three"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300).filter(lambda b: b"\r" not in b), cuts=st.lists(st.integers(0, 300), max_size=8))
def test_any_bytes_cut_anywhere_are_stored_so_that_they_can_be_put_back_together(step, data, cuts):
    from django.conf import settings as django_settings

    django_settings.PORTAL_LOG_LINE_MAX = 16
    try:
        RunLogLine.objects.filter(run_id=step.run_id)._raw_delete(RunLogLine.objects.db)  # each example afresh
        points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
        write(step, *(data[a:b] for a, b in itertools.pairwise(points)))
    finally:
        del django_settings.PORTAL_LOG_LINE_MAX
    lines = out_lines(step)
    expected = data[:-1] if data.endswith(b"\n") else data
    assert printed(lines) == expected
    assert all(len(line.raw) <= 16 for line in lines)


@given(st.binary(max_size=200))
def test_the_escape_is_reversible(raw):
    assert raw_bytes(escape(raw), True) == raw
    assert "\0" not in escape(raw)


def test_the_lines_go_with_their_run_though_the_database_holds_no_foreign_key_for_them(step):
    """The writer's inserts skip the database's per-row key checks; deleting the run still takes its lines."""
    write(step, b"one\ntwo\n")
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, RunLogLine._meta.db_table)
    assert not [name for name, info in found.items() if info["foreign_key"]]
    assert stored(step)
    step.run.delete()
    assert not RunLogLine.objects.filter(run_id=step.run_id).exists()


def test_a_flood_is_stored_and_pushed_in_batches_of_at_most_batch_max_lines_in_order(step, monkeypatch):
    """Viewers get the first lines while the next are stored, not everything after one long transaction."""
    monkeypatch.setattr(logwriter, "BATCH_MAX", 100)
    pushed: list[list[int]] = []
    monkeypatch.setattr(
        logwriter,
        "_push",
        lambda run_id, step_id, chunks: pushed.append([c.first + i for c in chunks for i in range(len(c.texts))]),
    )
    blocks = [b"".join(b"line %d\n" % (n * 50 + i) for i in range(50)) for n in range(60)]  # 3,000 lines
    write(step, *blocks)
    assert len(pushed) > 10
    assert all(len(batch) <= 100 + 50 for batch in pushed)  # up to the cap, finishing the chunk that crosses it
    seqs = [seq for batch in pushed for seq in batch]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # every line once, in order
    assert [line.text for line in out_lines(step)] == [f"line {n}" for n in range(3000)]
