"""Reading a run's log by sequence number: the backlog for a socket, the gap filler and the download."""

from procedures.emitter import frame, log_message
from procedures.models import RunLogLine

BATCH = 2000


def messages_after(run_id: int, after: int, limit: int = BATCH) -> list[dict]:
    rows = (
        RunLogLine.objects.filter(run_id=run_id, seq__gt=after)
        .order_by("seq")
        .values_list("seq", "step_id", "host", "stream", "text", "at")[:limit]
    )
    return [log_message(*row) for row in rows]


def frame_after(run_id: int, after: int, limit: int = BATCH) -> tuple[str, int, int]:
    """The next frame of stored lines after ``after``: (frame, last seq in it, number of lines)."""
    messages = messages_after(run_id, after, limit)
    if not messages:
        return "", after, 0
    return frame(messages), messages[-1]["seq"], len(messages)


def text_chunks(run_id: int, chunk: int = 5000):
    """The whole log as text, one line per log line, read in chunks so a million lines never sit in memory."""
    after = 0
    while True:
        rows = list(
            RunLogLine.objects.filter(run_id=run_id, seq__gt=after)
            .order_by("seq")
            .values_list("seq", "host", "stream", "text")[:chunk]
        )
        if not rows:
            return
        yield "".join(
            f"{host or '-'}\t{'ERR ' if stream == 'err' else ''}{text}\n" for _seq, host, stream, text in rows
        )
        after = rows[-1][0]
