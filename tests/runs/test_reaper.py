"""The reaper's rules without SSH: stale means claimed and silent; an unclaimed step is asked of the workers again;
an abort of a step with no living worker ends it at once, as interrupted; a gone worker's step ends at start-up."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from procedures import services
from procedures.choices import RunState, StepState, WaitReason
from procedures.execution import dispatch, engine, reaper
from procedures.models import StepRun
from tests.fixtures.runs import command_step, host_ref, make_plan
from tests.support import shown


def started(w, capture):
    steps = [command_step("one", [host_ref(w.node1, "true")]), command_step("two", [host_ref(w.node1, "true")])]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    with capture(execute=True):
        services.start_run(run.pk, user=w.operator)
    return run, run.steps.get(position=1)


def silent_since(step, seconds: float, worker: str = "elsewhere:1:1:abc"):
    """A worker claimed the step and last reported ``seconds`` ago."""
    assert services.claim_step(step.pk, attempt=step.attempt or None, worker=worker) is not None
    StepRun.objects.filter(pk=step.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_a_step_no_worker_has_claimed_is_not_stale_however_long_it_waits(
    state_world, django_capture_on_commit_callbacks
):
    w = state_world
    _run, step = started(w, django_capture_on_commit_callbacks)
    StepRun.objects.filter(pk=step.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert services.reap_stale_steps(timedelta(0)) == []
    step.refresh_from_db()
    assert step.state == StepState.RUNNING and step.heartbeat_at is None  # the queue wait is no heartbeat


def test_an_unclaimed_step_is_asked_again_and_the_doubled_request_runs_nothing(
    state_world, django_capture_on_commit_callbacks
):
    """A lost dispatch message (a broker restart, a dead web process's pool) must not leave the step for ever."""
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    assert dispatch.requested == [(step.pk, 1)]
    assert services.redispatch_unclaimed() == []  # asked just now: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.redispatch_unclaimed(timedelta(0)) == [step.pk]
    assert dispatch.requested == [(step.pk, 1), (step.pk, 1)]
    assert run.events.filter(action="redispatch", step=step).count() == 1
    assert services.claim_step(step.pk, attempt=1, worker="first") is not None
    assert services.claim_step(step.pk, attempt=1, worker="second") is None  # the second message runs nothing
    assert services.redispatch_unclaimed(timedelta(0)) == []  # claimed: never asked again


def test_a_claimed_step_whose_worker_went_silent_is_interrupted(state_world, django_capture_on_commit_callbacks):
    w = state_world
    _run, step = started(w, django_capture_on_commit_callbacks)
    silent_since(step, 120)
    with translation.override("en"):
        assert services.reap_stale_steps(timedelta(seconds=30)) == [step.pk]
    step.refresh_from_db()
    assert step.state == StepState.INTERRUPTED and "stopped reporting" in shown(step.message)


def test_an_abort_of_a_step_no_worker_took_ends_the_run_at_once_with_nothing_sent(
    state_world, django_capture_on_commit_callbacks
):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    with translation.override("en"):
        services.abort_run(run.pk, user=w.operator, reason="wrong cluster")
    run.refresh_from_db()
    step.refresh_from_db()
    assert run.state == RunState.ABORTED and not run.locks.exists()
    assert step.state == StepState.INTERRUPTED and "nothing was sent" in shown(step.message)
    assert services.claim_step(step.pk, attempt=1, worker="late") is None  # the queued message runs nothing


def test_an_abort_of_a_step_whose_worker_died_ends_it_as_interrupted(state_world, django_capture_on_commit_callbacks):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    silent_since(step, 120)
    with translation.override("en"):
        services.abort_step(step.pk, user=w.operator, reason="it hangs")
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.INTERRUPTED and shown(step.message).startswith("Aborted; Worker elsewhere:1:1:abc")
    assert (run.state, run.wait_reason) == (RunState.WAITING, WaitReason.FAILURE)


def test_an_abort_of_a_step_whose_worker_lives_waits_for_that_worker(state_world, django_capture_on_commit_callbacks):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    silent_since(step, 0)
    services.abort_run(run.pk, user=w.operator, reason="stop it")
    run.refresh_from_db()
    step.refresh_from_db()
    assert (run.state, step.state) == (RunState.RUNNING, StepState.RUNNING)  # its worker kills, then ends the run
    assert services.heartbeat(step.pk, worker="elsewhere:1:1:abc", attempt=1) == {"abort": True}


def test_at_start_up_the_steps_of_a_gone_process_of_this_machine_are_interrupted(
    state_world, django_capture_on_commit_callbacks
):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_worker = engine.worker_id().split(":")
    dead_worker[1] = gone.stdout.strip()  # a process of this machine that has ended
    silent_since(step, 0, worker=":".join(dead_worker))  # its heartbeat is fresh: only the process tells
    mine = engine.worker_id()
    other = run.steps.get(position=2)
    assert reaper.worker_process(mine) == (mine.split(":")[0], os.getpid())
    assert reaper.gone_workers() == {":".join(dead_worker)}
    with translation.override("en"):
        done = reaper.at_start_up()
    assert done["interrupted"] == [step.pk]
    step.refresh_from_db()
    assert step.state == StepState.INTERRUPTED and "is gone" in shown(step.message)
    assert other.state == StepState.PENDING


@pytest.mark.parametrize("worker", ["", "test-worker", "host:notapid:1:x", "a:b", "h:12:3"])
def test_worker_ids_that_name_no_process_are_left_to_the_stale_rule(worker):
    assert reaper.worker_process(worker) is None
