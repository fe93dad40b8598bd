"""Pushes what the database already holds to the browsers watching a run, through the channel layer.

The database is the record; a push is only a doorbell with the new lines attached. Every frame sent to a
browser is a JSON array of messages: ``{"type": "log", "seq", "step", "host", "stream", "text", "ts"}``,
``{"type": "step", "step", "state", …}`` or ``{"type": "run", "state", …}``. A frame is serialised once
here and sent as it is to every viewer. Channel layers drop messages when full: viewers notice the hole
in the sequence numbers and read it back from the database (``procedures.live.consumers``).
"""

import asyncio
import json
import logging
import os
import threading
from functools import partial

from channels.layers import get_channel_layer

from procedures.models import ProcedureRun, RunLogLine, StepRun

log = logging.getLogger(__name__)

MAX_PUSH_LINES = 2000  # lines per push; a larger burst is split into several pushes
PUSH_TIMEOUT_S = 10
_serving_loop: asyncio.AbstractEventLoop | None = None
_own: tuple[int, asyncio.AbstractEventLoop] | None = None  # (pid, loop) of this process's push thread
_own_lock = threading.Lock()


def run_group(run_id: int) -> str:
    return f"run-{run_id}"


def serving_loop_is(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the consumer on the loop that serves websockets in this process.

    The in-memory channel layer is a set of asyncio queues on that loop: a worker thread must hand its
    pushes to that loop rather than run a loop of its own, or the waiting consumer is not woken.
    """
    global _serving_loop  # one loop per process serves the sockets
    _serving_loop = loop


def log_message(seq, step_id, host, stream, text, at) -> dict:
    return {
        "type": "log",
        "seq": seq,
        "step": step_id,
        "host": host,
        "stream": stream,
        "text": text,
        "ts": at.isoformat() if hasattr(at, "isoformat") else str(at),
    }


def frame(messages: list[dict]) -> str:
    return json.dumps(messages, ensure_ascii=False, separators=(",", ":"))


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


def _group_send(run_id: int, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = partial(layer.group_send, run_group(run_id), event)
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


def publish_lines(run_id: int, rows: list[tuple]) -> None:
    """``rows`` as ``store_lines`` stores them: (run, step, attempt, host, seq, stream, text, at)."""
    # A burst goes out as pushes of at most MAX_PUSH_LINES lines, each serialised once for every viewer: a
    # single "gap" notice instead made each viewer read the burst back from the database, which took 10× the
    # step's own time with 20 viewers of a 100,000-line step (benchmarks/README.md, throughput).
    for i in range(0, len(rows), MAX_PUSH_LINES):
        part = rows[i : i + MAX_PUSH_LINES]
        messages = [log_message(r[4], r[1], r[3], r[5], r[6], r[7]) for r in part]
        _group_send(run_id, {"type": "run.lines", "first": part[0][4], "last": part[-1][4], "frame": frame(messages)})


def publish_state(run_id: int, message: dict, *, upto: int) -> None:
    """A step or run state change; ``upto`` is the run's last stored seq, so viewers catch up before showing it."""
    _group_send(run_id, {"type": "run.state", "upto": upto, "frame": frame([message])})


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
    step = StepRun.objects.select_related("run").filter(pk=step_id).first()
    if step is None:
        return
    upto = RunLogLine.objects.last_seq(step.run_id)
    publish_state(step.run_id, step_message(step), upto=upto)
    publish_state(step.run_id, run_message(step.run), upto=upto)


def publish_run(run_id: int) -> None:
    run = ProcedureRun.objects.filter(pk=run_id).first()
    if run is not None:
        publish_state(run_id, run_message(run), upto=RunLogLine.objects.last_seq(run_id))
