"""N of M: a domain asks several distinct approvers for a kind of four-eyes step; the step waits until they signed."""

import pytest
from django.utils import translation

from procedures import services, signoff
from procedures.choices import FourEyesKind, Resolution, RunState, StepState
from procedures.exceptions import AlreadySignedByYou, AlreadySignedOff, SelfApprovalRefused
from procedures.models import RunEvent, Signature, SignoffQuorum
from procedures.signoff import Decision
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, make_plan
from tests.runs.quorum import third_approver, two_of_three
from tests.runs.races import sign_off_race

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_approver_is_the_default_for_every_kind(state_world):
    w = state_world
    for kind in FourEyesKind.values:
        plan = make_plan(
            w.cluster, [command_step(kind, [host_ref(w.node1, "true")], needs_signoff=True, four_eyes=kind)]
        )
        run = services.create_run(w.cluster, plan, user=w.operator)
        step = run.steps.get()
        assert signoff.required(Decision.APPROVE_STEP, step) == 1 and signoff.required(Decision.CLOSE_RUN, run) == 1
        assert signoff.progress(Decision.APPROVE_STEP, step) is None  # one approver: no count to show


def test_the_step_waits_until_two_distinct_approvers_signed(state_world):
    w = state_world
    worker = third_approver(w)  # an approver who did the step at the console
    step = two_of_three(w, confirmer=worker)
    services.sign_off_step(step.pk, user=w.approver)
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF  # one of two: it still waits
    assert signoff.progress(Decision.SIGN_OFF_STEP, step) == {"signed": [w.approver.username], "needed": 2}
    with pytest.raises(AlreadySignedByYou):
        services.sign_off_step(step.pk, user=w.approver)  # the same person twice counts once
    assert step.pk not in [s.pk for s in signoff.waiting_for(Decision.SIGN_OFF_STEP, w.approver)]
    assert step.pk in [s.pk for s in signoff.waiting_for(Decision.SIGN_OFF_STEP, w.approver2)]
    with pytest.raises(SelfApprovalRefused):
        services.sign_off_step(step.pk, user=worker)  # who did the work never signs, whatever the count
    services.sign_off_step(step.pk, user=w.approver2)
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED
    assert list(Signature.objects.filter(step=step).values_list("signer__username", flat=True)) == [
        w.approver.username, w.approver2.username,
    ]  # fmt: skip
    assert RunEvent.objects.filter(step=step, action="signature_sign_off_step").count() == 1
    fourth = UserFactory(username="run-approver4")
    MembershipFactory(domain=w.domain, user=fourth, role="approver")
    with translation.override("en"), pytest.raises(AlreadySignedOff) as late:
        services.sign_off_step(step.pk, user=fourth)
    assert str(late.value) == (
        f"Step 1 was already signed off by {w.approver.username} and {w.approver2.username}; yours was not recorded."
    )


def test_two_of_three_approvers_at_once_give_two_signatures_and_one_answer(state_world):
    w = state_world
    step = two_of_three(w)
    third = third_approver(w)
    with translation.override("en"):
        outcomes = sign_off_race(step.pk, [w.approver, w.approver2, third])
    refused = [o for o in outcomes if isinstance(o, AlreadySignedOff)]
    assert len(refused) == 1 and not [o for o in outcomes if isinstance(o, Exception) and o not in refused], outcomes
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED
    signed = list(Signature.objects.filter(step=step).values_list("signer__username", flat=True))
    assert len(signed) == 2 and len(set(signed)) == 2
    joined = (f"{signed[0]} と {signed[1]}", f"{signed[0]} and {signed[1]}")  # the racing threads' language
    assert refused[0].params["who"] in joined


def test_a_four_eyes_command_is_sent_only_after_the_second_approval(state_world):
    w = state_world
    SignoffQuorum.objects.create(domain=w.domain, kind=FourEyesKind.CLUSTER, approvers=2)
    plan = make_plan(w.cluster, [command_step("start", [host_ref(w.node1, "cmruncl -v")], needs_signoff=True,
                                              four_eyes=FourEyesKind.CLUSTER)])  # fmt: skip
    run = services.create_run(w.cluster, plan, user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    services.approve_step(step.pk, user=w.approver)
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.AWAITING_APPROVAL
    flags = services.actions_for(w.approver2, run, [step])["steps"][step.pk]
    assert flags["approve"] and flags["signatures"] == {"signed": [w.approver.username], "needed": 2}
    assert not services.actions_for(w.approver, run, [step])["steps"][step.pk]["approve"]
    from procedures.execution import dispatch

    assert dispatch.requested == []  # nothing was sent to the node
    services.approve_step(step.pk, user=w.approver2)
    step.refresh_from_db()
    assert step.state == StepState.RUNNING and dispatch.requested


def test_a_rejected_request_starts_the_count_again(state_world):
    w = state_world
    SignoffQuorum.objects.create(domain=w.domain, kind=FourEyesKind.CLUSTER, approvers=2)
    plan = make_plan(w.cluster, [command_step("halt", [host_ref(w.node1, "cmhaltcl -f")], needs_signoff=True,
                                              four_eyes=FourEyesKind.CLUSTER)])  # fmt: skip
    run = services.create_run(w.cluster, plan, user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    services.approve_step(step.pk, user=w.approver)
    services.approve_step(step.pk, user=w.approver2, verdict="reject", note="wrong window")
    services.retry_step(step.pk, user=w.operator)
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_APPROVAL
    assert signoff.signers(Decision.APPROVE_STEP, step) == []  # the earlier request's signature does not carry over


def test_skipping_and_closing_follow_the_domains_numbers(state_world):
    w = state_world
    SignoffQuorum.objects.create(domain=w.domain, kind=FourEyesKind.SKIP, approvers=2)
    SignoffQuorum.objects.create(domain=w.domain, kind=FourEyesKind.CLOSE, approvers=2)
    plan = make_plan(w.cluster, [command_step("one", [host_ref(w.node1, "true")])])
    run = services.create_run(w.cluster, plan, user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()  # it runs (nothing is dispatched here) and fails; the operator asks to skip it
    services.claim_step(step.pk, attempt=1, worker="w")
    services.finish_step(step.pk, worker="w", attempt=1, ok=False, message="exit code 1")
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="not needed")
    services.countersign(step.pk, user=w.approver, request=1)
    step.refresh_from_db()
    assert step.state == StepState.FAILED
    services.countersign(step.pk, user=w.approver2, request=1)
    run.refresh_from_db()
    assert run.steps.get().state == StepState.SKIPPED and run.state == RunState.COMPLETED
    services.sign_off_run(run.pk, user=w.approver)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert services.actions_for(w.approver2, run)["close_signatures"] == {"signed": [w.approver.username], "needed": 2}
    services.sign_off_run(run.pk, user=w.approver2)
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF
