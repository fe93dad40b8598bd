"""Four-eyes before the command: a step the catalog marks as needing a second person waits for an approver's
go, with its exact commands and hosts, before anything is sent; a rejection (with a reason) fails it unsent."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal.errors import NotAllowed
from procedures import services
from procedures.choices import Resolution, RunState, StepState, Verdict, WaitReason
from procedures.exceptions import AlreadySignedOff, ReasonRequired, RejectedNotDone, SelfApprovalRefused
from procedures.execution import dispatch
from procedures.queue import queue_for, waiting_count
from tests.fixtures.runs import command_step, host_ref, make_plan

COMMAND = "rm -rf /var/opt/GroupMail"


def started(w, capture, *, starter=None):
    steps = [command_step("a08", [host_ref(w.node2, COMMAND)], needs_signoff=True)]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    with capture(execute=True):
        services.start_run(run.pk, user=starter or w.operator2)
    return run, run.steps.get()


def test_the_step_waits_in_the_queue_with_its_commands_and_nothing_is_sent(
    state_world, django_capture_on_commit_callbacks, client
):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    step.refresh_from_db()
    assert (step.state, run.state, run.wait_reason) == (StepState.AWAITING_APPROVAL, RunState.WAITING, "approval")
    assert step.executed_by == w.operator2 and step.attempt == 0 and dispatch.requested == []
    event = run.events.get(action="ask_approval")
    assert event.details["commands"] == [COMMAND] and event.details["hosts"] == [step.planned.hosts[0].label]

    # The approver's queue and the header count show it, with the exact command and host of the snapshot.
    assert [s.pk for s in queue_for(w.approver2).run_command] == [step.pk]
    assert waiting_count(w.approver2) == 1
    client.force_login(w.approver2)
    page = client.get(reverse("procedures:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-testid="queue-step-{step.pk}-approve"' in page
    assert COMMAND in page and step.planned.hosts[0].label in page
    assert f'data-testid="step-{step.position}-approve"' in client.get(run.get_absolute_url()).content.decode()

    # Nobody who planned the run or will run the step decides; nor anyone without the approver's role.
    for who in (w.operator, w.operator2, w.viewer):
        assert waiting_count(who) == 0
        client.force_login(who)
        assert f'data-testid="step-{step.position}-approve"' not in client.get(run.get_absolute_url()).content.decode()
    with pytest.raises(NotAllowed):
        services.approve_step(step.pk, user=w.operator)

    # The approver's go: the step starts, run by the one it was asked for; the command is sent only now.
    client.force_login(w.approver2)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("procedures:step-action", args=[step.pk, "approve"]), {"verdict": Verdict.APPROVE})
    step.refresh_from_db()
    run.refresh_from_db()
    assert (step.state, run.state, step.attempt) == (StepState.RUNNING, RunState.RUNNING, 1)
    assert (step.executed_by, step.approved_by) == (w.operator2, w.approver2)
    assert dispatch.requested == [(step.pk, 1)]
    approval = run.events.get(action="command_approve")
    assert approval.actor == w.approver2 and approval.details["commands"] == [COMMAND]
    assert approval.details["digest"] == run.plan_digest
    with translation.override("en"), pytest.raises(AlreadySignedOff, match="run-approver2"):
        services.approve_step(step.pk, user=w.approver)
    assert waiting_count(w.approver2) == 0


def test_the_planner_and_the_one_who_will_run_it_may_not_approve(state_world, django_capture_on_commit_callbacks):
    w = state_world
    steps = [command_step("a36", [host_ref(w.node1, "cmruncl -v")], needs_signoff=True)]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.approver)  # an approver planned it
    services.approve_run(run.pk, user=w.approver2)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_run(run.pk, user=w.approver2)  # and another starts it: it runs the step
    step = run.steps.get()
    with translation.override("en"):
        with pytest.raises(SelfApprovalRefused, match="You planned this run"):
            services.approve_step(step.pk, user=w.approver)
        with pytest.raises(SelfApprovalRefused, match="You will run step 1"):
            services.approve_step(step.pk, user=w.approver2)
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_APPROVAL and dispatch.requested == []


def test_a_rejected_command_fails_unsent_and_cannot_be_counted_done(state_world, django_capture_on_commit_callbacks):
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    with pytest.raises(ReasonRequired):
        services.approve_step(step.pk, user=w.approver2, verdict=Verdict.REJECT, note=" ")
    services.approve_step(step.pk, user=w.approver2, verdict=Verdict.REJECT, note="wrong window")
    step.refresh_from_db()
    run.refresh_from_db()
    assert (step.state, step.message, step.rejected_by) == (StepState.FAILED, "wrong window", w.approver2)
    assert (run.state, run.wait_reason, run.wait_message) == (RunState.WAITING, WaitReason.FAILURE, "wrong window")
    assert dispatch.requested == [] and step.attempt == 0  # never sent
    with translation.override("en"), pytest.raises(RejectedNotDone, match="run-approver2 rejected step 1"):
        services.request_resolution(step.pk, user=w.operator, resolution=Resolution.DONE, reason="did it by hand")

    # A retry asks again: the one who retries runs it now, so another approver decides.
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_step(step.pk, user=w.operator)
    step.refresh_from_db()
    run.refresh_from_db()
    assert (step.state, step.executed_by, step.rejected_by) == (StepState.AWAITING_APPROVAL, w.operator, None)
    assert (run.state, run.wait_reason) == (RunState.WAITING, WaitReason.APPROVAL) and dispatch.requested == []
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_step(step.pk, user=w.approver, note="window confirmed")
    assert dispatch.requested == [(step.pk, 1)]


def test_an_approved_command_that_succeeds_needs_no_second_sign_off(state_world, django_capture_on_commit_callbacks):
    """The approver read the exact command before it ran; its exit code and success rule decide the outcome."""
    w = state_world
    run, step = started(w, django_capture_on_commit_callbacks)
    services.approve_step(step.pk, user=w.approver2)
    claimed = services.claim_step(step.pk, attempt=1, worker="w")
    services.finish_step(step.pk, worker="w", attempt=claimed.attempt, ok=True)
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.SUCCEEDED and run.state == RunState.COMPLETED
