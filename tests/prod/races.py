"""Two approvers signing off one step, the second while the first is inside its transaction.

tests/runs/races.py releases racers together (a barrier); this one orders them so the lock is proven: the
first approver is held inside its transaction, after it has taken its row locks and just before it
saves its decision; only then does the second one start. ``while_first_holds`` runs at that moment (on
PostgreSQL it checks that the second really waits on the lock). Then the first is let go.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.utils import translation

from portal.errors import PortalError
from procedures import services
from procedures.models import StepRun

FIRST = "sign-off-race-first"


def sign_off_while_first_holds(step_id: int, first, second, *, while_first_holds=None, timeout: float = 60) -> dict:
    """Returns ``{"first": StepRun | PortalError, "second": …, "second_waited": bool}``."""
    inside, release = threading.Event(), threading.Event()
    outcomes: dict = {}

    def hold(sender, instance, **kwargs):
        if threading.current_thread().name == FIRST and instance.pk == step_id:
            inside.set()
            release.wait(timeout)

    def sign(key, user):
        try:
            with translation.override("en"):
                outcomes[key] = services.sign_off_step(step_id, user=user)
        except PortalError as e:
            outcomes[key] = e
        finally:
            connection.close()  # each thread had a connection (and a transaction) of its own

    uid = f"{FIRST}-{step_id}"
    pre_save.connect(hold, sender=StepRun, weak=False, dispatch_uid=uid)
    one = threading.Thread(target=sign, args=("first", first), name=FIRST)
    two = threading.Thread(target=sign, args=("second", second), name="sign-off-race-second")
    try:
        one.start()
        if not inside.wait(timeout):
            pytest.fail(f"the first sign-off never reached its save: {outcomes}")
        two.start()
        if while_first_holds is not None:
            while_first_holds()
        outcomes["second_waited"] = two.is_alive()
    finally:
        release.set()
        pre_save.disconnect(sender=StepRun, dispatch_uid=uid)
        one.join(timeout)
        two.join(timeout)
    assert not one.is_alive() and not two.is_alive(), "a sign-off never returned"
    return outcomes
