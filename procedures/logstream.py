"""Reading a run's log by sequence number: the backlog for a socket, pages for the browser, the download."""

from procedures.emitter import frame, log_message
from procedures.models import RunLogLine

BATCH = 2000
FIELDS = ("seq", "step_id", "host", "stream", "text", "at")


def _lines(run_id: int, step: int | None):
    lines = RunLogLine.objects.filter(run_id=run_id)
    return lines.filter(step_id=step) if step else lines


def messages_after(run_id: int, after: int, limit: int = BATCH, *, step: int | None = None) -> list[dict]:
    rows = _lines(run_id, step).filter(seq__gt=after).order_by("seq").values_list(*FIELDS)[:limit]
    return [log_message(*row) for row in rows]


def messages_before(run_id: int, before: int, limit: int = BATCH, *, step: int | None = None) -> list[dict]:
    """The ``limit`` lines just before ``before`` (all of the tail when ``before`` is 0), oldest first."""
    lines = _lines(run_id, step)
    if before:
        lines = lines.filter(seq__lt=before)
    rows = list(lines.order_by("-seq").values_list(*FIELDS)[:limit])
    return [log_message(*row) for row in reversed(rows)]


def search(run_id: int, query: str, limit: int = 200, *, step: int | None = None) -> list[dict]:
    """Lines containing ``query`` (case-insensitive), oldest first: the log's search box."""
    rows = _lines(run_id, step).filter(text__icontains=query).order_by("seq").values_list(*FIELDS)[:limit]
    return [log_message(*row) for row in rows]


def frame_after(run_id: int, after: int, limit: int = BATCH) -> tuple[str, int, int]:
    """The next frame of stored lines after ``after``: (frame, last seq in it, number of lines)."""
    messages = messages_after(run_id, after, limit)
    if not messages:
        return "", after, 0
    return frame(messages), messages[-1]["seq"], len(messages)


def text_chunks(run_id: int, chunk: int = 5000, *, step: int | None = None):
    """The whole log as text, one line per log line, read in chunks so a million lines never sit in memory."""
    after = 0
    while True:
        rows = list(
            _lines(run_id, step)
            .filter(seq__gt=after)
            .order_by("seq")
            .values_list("seq", "host", "stream", "text")[:chunk]
        )
        if not rows:
            return
        yield "".join(
            f"{host or '-'}\t{'ERR ' if stream == 'err' else ''}{text}\n" for _seq, host, stream, text in rows
        )
        after = rows[-1][0]
