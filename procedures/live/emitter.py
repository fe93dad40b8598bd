"""Pushes what the database already holds to the browsers watching a run, through the channel layer.

The database is the record; a push is only a doorbell with the new lines attached. Every frame sent to a
browser is a JSON array of messages: ``{"type": "step", "step", "state", …}``, ``{"type": "run", "state", …}``
or, for log lines, one ``lines`` message per run of lines that share their step, host and stream::

    {"type": "lines", "seq": 101, "step": 7, "host": "gmx1a (node 1)", "stream": "out",
     "at": 1764582000123, "text": ["first line", "second line", …]}

The lines are numbered ``seq``, ``seq + 1``, …; ``at`` is the first line's time in milliseconds since the
epoch, and ``dt`` (present only when the lines' times differ) each line's offset from it in milliseconds;
``cont`` lists the indexes of lines that continue the line before (a line longer than the stored maximum),
``esc`` those stored escaped (NUL or bytes that are not UTF-8, as backslash escapes); both only when
non-empty. A 51-byte line costs about 54 bytes on the wire (it cost 178 as one object per line). A frame is
serialised once here and sent as it is to every viewer. Channel layers drop messages when full: viewers
notice the hole in the sequence numbers and read it back from the database (``procedures.live.consumers``).
The log API (``procedures.views.logs``) answers with the same ``lines`` messages.
"""

import asyncio
import datetime
import json
import logging
import os
import threading
from functools import partial

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from procedures.choices import Stream
from procedures.models import ProcedureRun, RunLogLine, StepRun
from procedures.texts import MARK, render_message

log = logging.getLogger(__name__)

MAX_PUSH_LINES = 2000  # lines per push; a larger burst is split into several pushes
PUSH_TIMEOUT_S = 10
_serving_loop: asyncio.AbstractEventLoop | None = None
_own: tuple[int, asyncio.AbstractEventLoop] | None = None  # (pid, loop) of this process's push thread
_own_lock = threading.Lock()


def run_group(run_id: int) -> str:
    return f"run-{run_id}"


def home_group(domain_id: int) -> str:
    """The home pages of the people with a role in one domain: rung when a run of that domain changes."""
    return f"home-domain-{domain_id}"


def serving_loop_is(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the consumer on the loop that serves websockets in this process.

    The in-memory channel layer is a set of asyncio queues on that loop: a worker thread must hand its
    pushes to that loop rather than run a loop of its own, or the waiting consumer is not woken.
    """
    global _serving_loop  # one loop per process serves the sockets
    _serving_loop = loop


def _ms(at) -> int:
    return round(at.timestamp() * 1000)


def lines_messages(rows, limit: int = 0) -> list[dict]:
    """``lines`` messages for ``(seq, step, host, stream, text, at, continued, escaped)`` rows in seq order.

    A message ends where the step, host or stream changes, where a seq is skipped (a page of one step's lines),
    or after ``limit`` lines.
    """
    out: list[dict] = []
    key = None
    texts = times = cont = esc = None
    next_seq = 0
    for seq, step, host, stream, text, at, continued, escaped in rows:
        if (step, host, stream) != key or seq != next_seq or (limit and len(texts) >= limit):
            _close(out, texts, times, cont, esc)
            key, texts, times, cont, esc = (step, host, stream), [], [], [], []
            out.append({"type": "lines", "seq": seq, "step": step, "host": host, "stream": stream})
        if continued:
            cont.append(len(texts))
        if escaped:
            esc.append(len(texts))
        texts.append(text)
        times.append(at)
        next_seq = seq + 1
    _close(out, texts, times, cont, esc)
    return out


def _close(out, texts, times, cont, esc) -> None:
    if not out or texts is None:
        return
    message = out[-1]
    base = _ms(times[0])
    message["at"] = base
    if times[-1] != times[0] or any(t != times[0] for t in times):
        message["dt"] = [_ms(t) - base for t in times]
    message["text"] = texts
    if cont:
        message["cont"] = cont
    if esc:
        message["esc"] = esc


def chunk_message(step_id, chunk, start: int = 0, stop: int | None = None) -> dict:
    """One ``lines`` message for lines ``start:stop`` of a log writer's chunk (one host, stream and time)."""
    texts = chunk.texts[start:stop]
    stop = start + len(texts)
    message = {"type": "lines", "seq": chunk.first + start, "step": step_id, "host": chunk.host,
               "stream": chunk.stream, "at": _ms(chunk.at), "text": texts}  # fmt: skip
    if chunk.continued:
        if cont := sorted(i - start for i in chunk.continued if start <= i < stop):
            message["cont"] = cont
    if chunk.escaped:
        if esc := sorted(i - start for i in chunk.escaped if start <= i < stop):
            message["esc"] = esc
    return message


def expand(messages: list[dict]) -> list[dict]:
    """A frame's messages with each ``lines`` message as one ``log`` message per line (what a reader sees).

    ``{"type": "log", "seq", "step", "host", "stream", "text", "ts", "continued", "escaped"}``; for tests and the
    benchmarks' viewers (the browser does the same in ``run_live.js``).
    """
    out = []
    for m in messages:
        if m.get("type") != "lines":
            out.append(m)
            continue
        dt, cont, esc = m.get("dt"), set(m.get("cont", ())), set(m.get("esc", ()))
        for i, text in enumerate(m["text"]):
            at = m["at"] + (dt[i] if dt else 0)
            out.append({"type": "log", "seq": m["seq"] + i, "step": m["step"], "host": m["host"],
                        "stream": m["stream"], "text": text, "ts": _iso(at), "continued": i in cont,
                        "escaped": i in esc})  # fmt: skip
    return out


def _iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat(timespec="milliseconds")


def frame(messages: list[dict]) -> str:
    return json.dumps(messages, ensure_ascii=False, separators=(",", ":"))


def _holds_stored(message: dict) -> bool:
    """The message carries a text the portal stored as a message id (procedures.texts): a system line, an outcome."""
    kind = message.get("type")
    if kind == "lines" and message.get("stream") == Stream.SYSTEM:
        return any(text.startswith(MARK) for text in message["text"])
    return kind == "step" and str(message.get("message") or "").startswith(MARK)


def localised(messages: list[dict], language: str | None = None) -> list[dict]:
    """The messages with the portal's own texts (system lines, step outcomes) in ``language`` (else the active one)."""
    out = []
    for m in messages:
        if not _holds_stored(m):
            out.append(m)
        elif m["type"] == "lines":
            out.append({**m, "text": [render_message(text, language) for text in m["text"]]})
        else:
            out.append({**m, "message": render_message(m["message"], language)})
    return out


def _frames(messages: list[dict]) -> dict:
    """``{"frame": …}``, and one frame per language when a message is read in the viewer's language: each is
    serialised once here for all the viewers of that language (the consumer sends its viewer's)."""
    if not any(_holds_stored(m) for m in messages):
        return {"frame": frame(messages)}
    frames = {code: frame(localised(messages, code)) for code, _name in settings.LANGUAGES}
    return {"frame": frames.get(settings.LANGUAGE_CODE) or frame(messages), "frames": frames}


def _push_loop() -> asyncio.AbstractEventLoop:
    """A loop of its own, on a daemon thread, for a process that serves no websocket (a Celery worker).

    One long-lived loop keeps channels-redis' connection pool between pushes; ``async_to_sync`` made a new
    loop, and so a new pool, for every push (benchmarks/README.md, latency at 5,000 lines/s). Made again
    after a fork, whose child has the loop object but not its thread.
    """
    global _own
    with _own_lock:
        if _own is None or _own[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="portal-push", daemon=True).start()
            _own = (os.getpid(), loop)
        return _own[1]


def on_push_loop(make_coroutine, *, timeout: float = PUSH_TIMEOUT_S):
    """Run ``make_coroutine()`` on the push loop, where this process's channel-layer connections live."""
    return asyncio.run_coroutine_threadsafe(make_coroutine(), _push_loop()).result(timeout=timeout)


def _group_send(run_id: int, event: dict, *, group: str = "") -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = partial(layer.group_send, group or run_group(run_id), event)
    loop = _serving_loop
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    try:
        if loop is not None and loop.is_running():
            if running is loop:
                _keep(loop.create_task(send()))
            else:
                asyncio.run_coroutine_threadsafe(send(), loop)
        elif running is not None:
            # A loop runs in this thread but it is not ours (a caller inside async code, or a sync API driven
            # by an event loop, as Playwright's): async_to_sync cannot be used here, so queue the push on it.
            _keep(running.create_task(send()))
        else:  # wait for it: pushes from one writer keep their order
            on_push_loop(send)
    except Exception:  # a push that fails loses nothing: the lines are stored and viewers catch up
        log.warning("push to run %s failed", run_id, exc_info=True)


_pending: set = set()


def _keep(task) -> None:
    """The loop holds tasks weakly: keep each push until it is done."""
    _pending.add(task)
    task.add_done_callback(_pending.discard)


def _nobody_watches(run_id: int) -> bool:
    """No socket of this process watches the run (the in-process layer only; others cannot tell at no cost).

    Safe to skip the push then: a viewer joins the group before it reads its backlog from the database, so a
    viewer that joins after this check reads these lines, which are stored already. A step nobody watches
    then costs no frames: 1,000,000 lines were 0.7 s of JSON for nobody (benchmarks/README.md, big_step).
    """
    layer = get_channel_layer()
    return isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(run_group(run_id))


def publish_lines(run_id: int, rows: list[tuple]) -> None:
    """``rows`` as ``store_lines`` stores them: (run, step, attempt, host, seq, stream, text, at[, cont, esc])."""
    # A burst goes out as pushes of at most MAX_PUSH_LINES lines, each serialised once for every viewer: a
    # single "gap" notice instead made each viewer read the burst back from the database, which took 10× the
    # step's own time with 20 viewers of a 100,000-line step (benchmarks/README.md, throughput).
    if _nobody_watches(run_id):
        return
    for i in range(0, len(rows), MAX_PUSH_LINES):
        part = rows[i : i + MAX_PUSH_LINES]
        messages = lines_messages(
            (r[4], r[1], r[3], r[5], r[6], r[7], *(r[8:10] if len(r) >= 10 else (False, False))) for r in part
        )
        _send_lines(run_id, part[0][4], part[-1][4], messages)


def publish_chunks(run_id: int, step_id, chunks) -> None:
    """The log writer's chunks (``logwriter.Chunk``: lines of one host and stream that arrived together).

    Consecutive chunks of one host and stream become one message (their times as offsets): a paced command
    hands on a chunk per line, and a message per line cost the viewers as much as the old format did.
    """
    if _nobody_watches(run_id):
        return
    messages: list[dict] = []
    count, first, current = 0, None, None
    for chunk in chunks:
        start, size = 0, len(chunk.texts)
        while start < size:
            take = min(size - start, MAX_PUSH_LINES - count)
            if current is not None and current["host"] == chunk.host and current["stream"] == chunk.stream:
                _extend(current, chunk, start, start + take)
            else:
                current = chunk_message(step_id, chunk, start, start + take)
                messages.append(current)
            if first is None:
                first = chunk.first + start
            start += take
            count += take
            if count >= MAX_PUSH_LINES:
                _send_lines(run_id, first, first + count - 1, messages)
                messages, count, first, current = [], 0, None, None
    if messages:
        _send_lines(run_id, first, first + count - 1, messages)


def _extend(message: dict, chunk, start: int, stop: int) -> None:
    """Lines ``start:stop`` of ``chunk`` appended to ``message`` (same host and stream, the next seq numbers)."""
    offset = len(message["text"])
    message["text"].extend(chunk.texts[start:stop])  # chunk_message made the list: it is the message's own
    delta = _ms(chunk.at) - message["at"]
    if delta or "dt" in message:
        message.setdefault("dt", [0] * offset).extend([delta] * (stop - start))
    for key, marks in (("cont", chunk.continued), ("esc", chunk.escaped)):
        if marks:
            if found := sorted(i - start + offset for i in marks if start <= i < stop):
                message.setdefault(key, []).extend(found)


def _send_lines(run_id: int, first: int, last: int, messages: list[dict]) -> None:
    _group_send(run_id, {"type": "run.lines", "first": first, "last": last, **_frames(messages)})


def publish_state(run_id: int, message: dict, *, upto: int) -> None:
    """A step or run state change; ``upto`` is the run's last stored seq, so viewers catch up before showing it."""
    _group_send(run_id, {"type": "run.state", "upto": upto, **_frames([message])})


def step_message(step) -> dict:
    return {
        "type": "step",
        "step": step.pk,
        "key": step.key,
        "state": step.state,
        "state_label": str(step.get_state_display()),
        "attempt": step.attempt,
        "message": step.message,
        "started_at": step.started_at.isoformat() if step.started_at else None,
        "finished_at": step.finished_at.isoformat() if step.finished_at else None,
    }


def run_message(run) -> dict:
    return {
        "type": "run",
        "run": run.pk,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "wait_reason": run.wait_reason,
    }


def publish_step(step_id: int) -> None:
    """After commit: tell viewers a step changed (and its run, which may have moved with it)."""
    step = StepRun.objects.select_related("run__cluster__server").filter(pk=step_id).first()
    if step is None:
        return
    upto = RunLogLine.objects.last_seq(step.run_id)
    publish_state(step.run_id, step_message(step), upto=upto)
    publish_state(step.run_id, run_message(step.run), upto=upto)
    publish_home(step.run)


def publish_run(run_id: int) -> None:
    run = ProcedureRun.objects.select_related("cluster__server").filter(pk=run_id).first()
    if run is not None:
        publish_state(run_id, run_message(run), upto=RunLogLine.objects.last_seq(run_id))
        publish_home(run)


def publish_domain_home(domain_id: int) -> None:
    """Ring the home pages of a domain for what belongs to no run (a machine's host key changed or was decided)."""
    _group_send(0, {"type": "home.changed", "run": None}, group=home_group(domain_id))


def publish_home(run) -> None:
    """Ring the home pages of the run's domain; the event names only the run, each page reads what it may see."""
    server = getattr(run.cluster, "server", None)  # a cluster without its server belongs to no domain yet
    if server is not None:
        _group_send(run.pk, {"type": "home.changed", "run": run.pk}, group=home_group(server.domain_id))
