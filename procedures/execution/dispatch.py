"""The seam between "a step should run now" and whoever runs it; always after commit, so that a worker never
reads a step whose transaction has not committed (or rolled back).

Modes (``settings.PORTAL_DISPATCH``, default from the environment):
- ``thread``: a small thread pool inside the web process, started lazily (the embedded default);
- ``celery``: the ``procedures.execute_step`` Celery task (``tasks.py``; production: CELERY_BROKER_URL/REDIS_URL);
- ``inline``: run in the committing thread (tests and the ``run_step`` command);
- ``none``: only remember the request (tests that drive the executor themselves, e.g. in a subprocess).

The database stays the source of truth: a step is executed only by the worker that claims it
(``services.claim_step``), so a lost or doubled message can never run a command twice.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
requested: list[tuple[int, int]] = []  # mode "none": what would have been sent, for tests


def mode() -> str:
    configured = getattr(settings, "PORTAL_DISPATCH", "")
    if configured:
        return configured
    return "celery" if getattr(settings, "CELERY_BROKER_URL", "") or getattr(settings, "REDIS_URL", "") else "thread"


def enqueue_step(step_id: int, attempt: int) -> None:
    """Ask for ``execute_step(step_id)`` once the current transaction commits."""
    transaction.on_commit(lambda: _send(step_id, attempt), robust=False)


def _send(step_id: int, attempt: int) -> None:
    how = mode()
    if how == "celery":
        send_to_workers(step_id, attempt)
    elif how == "inline":
        _execute(step_id, attempt)
    elif how == "none":
        requested.append((step_id, attempt))
    else:
        _thread_pool().submit(_in_thread, step_id, attempt)


def send_to_workers(step_id: int, attempt: int) -> None:
    """The Celery doorbell, through the portal's app (the web process never imports it otherwise).

    The queue is read now, not when Celery was configured: a worker takes only the queues it is given (-Q).
    Sending it twice is harmless, which is what a redelivery does: the step runs once (``claim_step``).
    """
    from portal.celery import app  # the web process loads Celery only when it sends to workers

    app.send_task(
        "procedures.execute_step", args=(step_id, attempt), queue=getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None)
    )


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            size = getattr(settings, "PORTAL_EXECUTOR_THREADS", 4)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="portal-step")
        return _pool


def _execute(step_id: int, attempt: int) -> None:
    # Breaks the circle services -> dispatch -> engine -> services: the rules dispatch, the engine obeys them.
    from procedures.execution import engine

    engine.execute_step(step_id, attempt=attempt)


def _in_thread(step_id: int, attempt: int) -> None:
    try:
        _execute(step_id, attempt)
    except Exception:
        log.exception("step %s attempt %s failed in the executor", step_id, attempt)
    finally:
        connection.close()


def drain_pool(timeout: float = 60) -> None:
    """Wait for the embedded pool's current work (tests, shutdown)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
