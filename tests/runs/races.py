"""Two people pressing a button at the same moment: one thread each, each with its own database connection.

Reused by the PostgreSQL variant (tests/prod/): the same race, another database. A barrier releases the
threads together; whatever each call returns or raises is its outcome.
"""

from __future__ import annotations

import threading
from functools import partial

from django.db import connection

from procedures import services


def race(calls, timeout: float = 60) -> list:
    """Run ``calls`` at once; return each one's result or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout)
            outcomes[index] = call()
        except Exception as e:  # the outcome under test
            outcomes[index] = e
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=runner, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing call did not finish"
    return outcomes


def sign_off_race(step_id: int, approvers, **kwargs) -> list:
    """Every approver signs the same step off at once (``services.sign_off_step``)."""
    return race([partial(services.sign_off_step, step_id, user=user, **kwargs) for user in approvers])


def run_sign_off_race(run_id: int, approvers, **kwargs) -> list:
    """Every approver signs the same completed run off at once (``services.sign_off_run``)."""
    return race([partial(services.sign_off_run, run_id, user=user, **kwargs) for user in approvers])
