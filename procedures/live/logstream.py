"""Reading a run's log by sequence number: the backlog for a socket, pages for the browser, the download."""

from asgiref.sync import sync_to_async
from django.utils import timezone

from procedures.choices import Stream
from procedures.live.emitter import frame, lines_messages, localised, run_message, step_message
from procedures.models import ProcedureRun, RunLogLine
from procedures.texts import render_message

BATCH = 2000
FIELDS = ("seq", "step_id", "host", "stream", "text", "at", "continued", "escaped")


RUN_WIDE = "run"  # ``step=RUN_WIDE``: only the lines that belong to no step (the run-wide log)


def _lines(run_id: int, step: int | str | None):
    """The run's lines; of one step when ``step`` is its id, of no step when it is ``RUN_WIDE``, else all."""
    lines = RunLogLine.objects.filter(run_id=run_id)
    if step == RUN_WIDE:
        return lines.filter(step__isnull=True)
    return lines.filter(step_id=step) if step else lines


# Every reader below shows the portal's own lines in ``language`` (the active one when not given).


def messages_after(
    run_id: int, after: int, limit: int = BATCH, *, step: int | str | None = None, language: str | None = None
) -> list[dict]:
    """``lines`` messages (``procedures.live.emitter``) of the next ``limit`` lines after ``after``."""
    rows = _lines(run_id, step).filter(seq__gt=after).order_by("seq").values_list(*FIELDS)[:limit]
    return localised(lines_messages(rows), language)


def messages_before(
    run_id: int, before: int, limit: int = BATCH, *, step: int | str | None = None, language: str | None = None
) -> list[dict]:
    """The ``limit`` lines just before ``before`` (all of the tail when ``before`` is 0), oldest first."""
    lines = _lines(run_id, step)
    if before:
        lines = lines.filter(seq__lt=before)
    rows = list(lines.order_by("-seq").values_list(*FIELDS)[:limit])
    return localised(lines_messages(reversed(rows)), language)


def search(
    run_id: int, query: str, limit: int = 200, *, step: int | str | None = None, language: str | None = None
) -> list[dict]:
    """Lines containing ``query`` (case-insensitive), oldest first: the log's search box.

    The portal's own lines are stored as message ids, so they are matched as the reader reads them."""
    lines = _lines(run_id, step).order_by("seq")
    found = list(lines.filter(text__icontains=query).exclude(stream=Stream.SYSTEM).values_list(*FIELDS)[:limit])
    wanted = query.casefold()
    for row in lines.filter(stream=Stream.SYSTEM).values_list(*FIELDS).iterator():
        if wanted in render_message(row[4], language).casefold():
            found.append(row)
    return localised(lines_messages(sorted(found)[:limit]), language)


def frame_after(run_id: int, after: int, limit: int = BATCH, *, language: str | None = None) -> tuple[str, int, int]:
    """The next frame of stored lines after ``after``: (frame, last seq in it, number of lines)."""
    messages = messages_after(run_id, after, limit, language=language)
    if not messages:
        return "", after, 0
    tail = messages[-1]
    return frame(messages), tail["seq"] + len(tail["text"]) - 1, sum(len(m["text"]) for m in messages)


def text_chunk(
    run_id: int, after: int, limit: int = 5000, *, step: int | str | None = None, language: str | None = None
) -> tuple[str, int]:
    """The stored lines after ``after`` as text, one line per log line: (text, last seq in it).

    Each line is ``seq<TAB>time<TAB>host<TAB>stream<TAB>text``: the download is the audit copy, so it keeps
    the number and time of every line, and tabs keep it easy to cut apart.
    """
    rows = list(
        _lines(run_id, step)
        .filter(seq__gt=after)
        .order_by("seq")
        .values_list("seq", "at", "host", "stream", "text")[:limit]
    )
    if not rows:
        return "", after
    text = "".join(
        f"{seq}\t{timezone.localtime(at).isoformat(timespec='milliseconds')}\t{host or '-'}\t{stream}\t"
        f"{render_message(line, language) if stream == Stream.SYSTEM else line}\n"
        for seq, at, host, stream, line in rows
    )
    return text, rows[-1][0]


async def text_chunks(run_id: int, *, step: int | str | None = None, language: str | None = None):
    """The whole log as text, read a chunk at a time so a million lines never sit in memory (ASGI streams it)."""
    after = 0
    while True:
        text, after = await sync_to_async(text_chunk)(run_id, after, step=step, language=language)
        if not text:
            return
        yield text


def state_frame(run_id: int, *, language: str | None = None) -> str:
    """The run's state and every step's, as one frame: a socket that (re)connects learns what it missed."""
    run = ProcedureRun.objects.filter(pk=run_id).first()
    if run is None:
        return frame([])
    steps = (step_message(step) for step in run.steps.order_by("position"))
    return frame(localised([run_message(run), *steps], language))
