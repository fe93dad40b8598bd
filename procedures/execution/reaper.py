"""The reaper: steps whose worker died end as *interrupted*, steps whose dispatch was lost are asked again.

``sweep()`` is one pass (``manage.py reap`` runs it, once or in a loop, beside Celery workers). The embedded
profile has no process of its own for it: its steps run in the web process's thread pool, so the web process
runs the reaper too (``start_embedded``, called by ``portal.asgi`` when Daphne loads the application). At
start-up it first ends what a previous web process left: steps claimed by a process of this machine that no
longer exists are interrupted at once, and steps that no worker claimed are asked of the new pool (their
dispatch died with the old one's). Then it sweeps every ``PORTAL_REAPER_INTERVAL_S`` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection

from procedures import services
from procedures.execution import dispatch
from procedures.models import StepRun

log = logging.getLogger(__name__)
_started = threading.Event()


def sweep(stale_after: timedelta | None = None) -> dict[str, list[int]]:
    """One pass: interrupt claimed-and-silent steps, ask again for steps no worker claimed in time."""
    return {
        "interrupted": services.reap_stale_steps(stale_after),
        "asked_again": services.redispatch_unclaimed(),
    }


def worker_process(worker: str) -> tuple[str, int] | None:
    """(host, pid) of a worker id made by ``engine.worker_id`` ("host:pid:thread:tag"), or None."""
    parts = worker.split(":")
    if len(parts) != 4 or not parts[1].isascii() or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def gone_workers() -> set[str]:
    """Workers of running steps whose process, on this machine, has ended (never this process's own)."""
    here, me = socket.gethostname(), os.getpid()
    gone = set()
    for worker in StepRun.objects.running().exclude(worker="").values_list("worker", flat=True).distinct():
        process = worker_process(worker)
        if process and process[0] == here and process[1] != me and not _process_exists(process[1]):
            gone.add(worker)
    return gone


def at_start_up() -> dict[str, list[int]]:
    """What a previous web process left: its steps end as interrupted, its undelivered dispatches go out again."""
    return {
        "interrupted": services.reap_gone_workers(gone_workers()),
        "asked_again": services.redispatch_unclaimed(timedelta(0)),
    }


def start_embedded() -> bool:
    """Start the reaper thread in this (web) process once, if steps run in this process's thread pool."""
    if not getattr(settings, "PORTAL_EMBEDDED_REAPER", True) or dispatch.mode() != "thread" or _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_loop, name="portal-reaper", daemon=True).start()
    return True


def _loop() -> None:
    interval = getattr(settings, "PORTAL_REAPER_INTERVAL_S", 10)
    first = True
    while True:
        try:
            done = at_start_up() if first else sweep()
            first = False
            if any(done.values()):
                log.warning("reaper: %s", done)
        except Exception:  # the database may be away for a moment; try again at the next turn
            log.exception("reaper pass failed")
        finally:
            connection.close()
        threading.Event().wait(interval)
