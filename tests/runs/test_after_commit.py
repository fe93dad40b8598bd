"""Side effects wait for the commit: a step is handed to a worker and viewers are told only once it is stored.

Inside a ``db`` test everything runs in one transaction that never commits, so pytest-django's
``django_capture_on_commit_callbacks`` collects what ``transaction.on_commit`` was given and runs it when
its block ends, as a commit would. Dispatch mode "none" records each request in ``dispatch.requested``.
"""

import pytest
from django.db import transaction

from procedures import services
from procedures.choices import RunState, StepState
from procedures.execution import dispatch
from procedures.live import emitter
from tests.fixtures.runs import command_step, host_ref, make_plan


class RolledBack(Exception):
    """Raised inside an atomic block to roll it back after the service has done its work."""


@pytest.fixture
def pushes(monkeypatch):
    """Every push the emitter would hand to the channel layer: (run id, event); a home page's ring included."""
    sent = []
    monkeypatch.setattr(emitter, "_group_send", lambda run_id, event, group=None: sent.append((run_id, event)))
    return sent


@pytest.fixture
def approved_run(state_world):
    w = state_world
    plan = make_plan(w.cluster, [command_step("first", [host_ref(w.node1, "true")])])
    run = services.create_run(w.cluster, plan, user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    dispatch.requested.clear()
    return run


def frames(pushes, run_id) -> list[str]:
    return [event["frame"] for rid, event in pushes if rid == run_id and "frame" in event]  # not the home's rings


def test_starting_a_run_enqueues_its_first_step_only_on_commit(
    state_world, approved_run, pushes, django_capture_on_commit_callbacks
):
    step = approved_run.steps.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.start_run(approved_run.pk, user=state_world.operator)
        assert dispatch.requested == []  # started and stored, but not yet committed: no worker is asked
        assert pushes == []
    assert callbacks, "start_run handed its side effects to on_commit"
    assert dispatch.requested == [(step.pk, 1)]
    step.refresh_from_db()
    assert step.state == StepState.RUNNING


def test_a_transitions_live_push_is_sent_only_after_commit(
    state_world, approved_run, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_run(approved_run.pk, user=state_world.operator)
        assert pushes == []
    sent = frames(pushes, approved_run.pk)
    assert any('"type":"run"' in f and f'"state":"{RunState.RUNNING}"' in f for f in sent), sent
    assert any('"type":"step"' in f and f'"state":"{StepState.RUNNING}"' in f for f in sent), sent


def test_nothing_is_sent_when_the_transaction_rolls_back(
    state_world, approved_run, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RolledBack), transaction.atomic():
            services.start_run(approved_run.pk, user=state_world.operator)
            raise RolledBack
    assert callbacks == []
    assert dispatch.requested == [] and pushes == []
    approved_run.refresh_from_db()
    assert approved_run.state == RunState.APPROVED
    assert approved_run.steps.get().state == StepState.PENDING
