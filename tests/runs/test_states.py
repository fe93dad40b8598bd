"""Run and step rules without SSH: who may do what, four eyes, snapshots, locks, the append-only record."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation

from clusters.choices import ServerRole
from portal.errors import NotAllowed, PortalError
from procedures import services
from procedures.choices import Resolution, RunState, StepState, Verdict, WaitReason
from procedures.exceptions import (
    ClusterBusy,
    ReasonRequired,
    SecondPersonRequired,
    SelfApprovalRefused,
    ServerBusy,
)
from procedures.execution import dispatch
from procedures.models import ProcedureRun, RunEvent, ServerLock, StepRun
from tests.factories import ServerFactory
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


def planned(world, steps=None, *, approve=True):
    steps = steps or [command_step("one", [host_ref(world.node1, "true")]), console_step("two")]
    run = services.create_run(world.cluster, make_plan(world.cluster, steps), user=world.operator)
    if approve:
        services.approve_run(run.pk, user=world.approver, address="192.0.2.7")
    return run


def work(step_id, *, ok=True, message=""):
    """What a worker does, without SSH: claim, then report."""
    step = services.claim_step(step_id, attempt=None, worker="test-worker")
    assert step is not None
    return services.finish_step(step_id, worker="test-worker", attempt=step.attempt, ok=ok, message=message)


def test_run_keeps_its_plan_snapshot_when_the_inventory_changes(state_world):
    w = state_world
    run = planned(w)
    digest, plan = run.plan_digest, run.plan
    w.cluster.package_host = "renamed"
    w.cluster.save()
    w.node1.host_name = "renamed1"
    w.node1.save()
    run.refresh_from_db()
    assert (run.plan_digest, run.plan) == (digest, plan)
    assert run.plan_object.digest == digest
    assert [s.key for s in run.steps.all()] == ["one", "two"]


def test_planner_cannot_approve_their_own_run(state_world):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.approver)
    with pytest.raises(SelfApprovalRefused):
        services.approve_run(run.pk, user=w.approver)
    services.approve_run(run.pk, user=w.approver2)


def test_roles_decide_who_may_act(state_world, outsider):
    w = state_world
    with pytest.raises(NotAllowed):
        services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.viewer)
    run = planned(w, approve=False)
    with pytest.raises(NotAllowed):
        services.approve_run(run.pk, user=w.operator2)  # operators do not approve
    with pytest.raises(NotAllowed):
        services.approve_run(run.pk, user=outsider)
    services.approve_run(run.pk, user=w.approver)
    with pytest.raises(NotAllowed):
        services.start_run(run.pk, user=w.viewer)


def test_full_path_with_console_step_signoff_and_run_signoff(state_world, django_capture_on_commit_callbacks):
    w = state_world
    steps = [command_step("cmd", [host_ref(w.node1, "true")], needs_signoff=True), console_step("c", items=("x",))]
    run = planned(w, steps)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_run(run.pk, user=w.approver2)
    first, second = run.steps.order_by("position")
    first.refresh_from_db()
    run.refresh_from_db()
    assert (first.state, run.state, run.wait_reason) == (StepState.AWAITING_APPROVAL, RunState.WAITING, "approval")
    assert dispatch.requested == []  # nothing is sent before the approval
    with pytest.raises(SelfApprovalRefused):
        services.approve_step(first.pk, user=w.approver2)  # started the run: will run the step
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_step(first.pk, user=w.approver)
    first.refresh_from_db()
    assert (first.state, first.executed_by, first.approved_by) == (StepState.RUNNING, w.approver2, w.approver)
    assert dispatch.requested == [(first.pk, 1)]
    work(first.pk)
    run.refresh_from_db()
    first.refresh_from_db()
    assert first.state == StepState.SUCCEEDED  # approved before it ran: its exit code decides
    second.refresh_from_db()
    assert second.state == StepState.AWAITING_CONFIRMATION
    services.confirm_step(second.pk, user=w.operator, ticked=["x"])
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and not ServerLock.objects.filter(run=run).exists()
    with pytest.raises(NotAllowed):
        services.sign_off_run(run.pk, user=w.operator)  # operators do not sign off
    with pytest.raises(SelfApprovalRefused):
        services.sign_off_run(run.pk, user=w.approver2)  # started the run: did the work
    services.sign_off_run(run.pk, user=w.approver)
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF and run.signed_off_by == w.approver


def test_approver_who_did_a_step_cannot_sign_it_off(state_world):
    w = state_world
    run = planned(w, [console_step("c", needs_signoff=True)])
    services.start_run(run.pk, user=w.approver2)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.approver2, ticked=["done"])
    with pytest.raises(SelfApprovalRefused):
        services.sign_off_step(step.pk, user=w.approver2)
    with pytest.raises(ReasonRequired):
        services.sign_off_step(step.pk, user=w.approver, verdict=Verdict.REJECT)
    services.sign_off_step(step.pk, user=w.approver, verdict=Verdict.REJECT, note="wrong screen")
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.FAILED and run.wait_reason == WaitReason.FAILURE


def test_skip_needs_a_reason_and_a_second_person(state_world):
    w = state_world
    run = planned(w)
    services.start_run(run.pk, user=w.operator)
    first = run.steps.get(position=1)
    work(first.pk, ok=False, message="exit code 1")
    with pytest.raises(ReasonRequired):
        services.request_resolution(first.pk, user=w.operator, resolution=Resolution.SKIP, reason=" ")
    services.request_resolution(first.pk, user=w.approver, resolution=Resolution.SKIP, reason="done by hand")
    with pytest.raises(SecondPersonRequired):
        services.countersign(first.pk, user=w.approver, request=1)
    with pytest.raises(NotAllowed):
        services.countersign(
            first.pk, user=w.operator2, request=1
        )  # a skip is four-eyes work: an approver countersigns
    services.countersign(first.pk, user=w.approver2, request=1)
    first.refresh_from_db()
    assert first.state == StepState.SKIPPED and first.resolved_by == w.approver2
    assert run.steps.get(position=2).state == StepState.AWAITING_CONFIRMATION
    event = RunEvent.objects.get(step=first, action="skip")
    assert event.reason == "done by hand" and event.details["requested_by"] == w.approver.username


def test_interrupted_step_can_be_marked_done_by_two_people(state_world):
    w = state_world
    run = planned(w)
    services.start_run(run.pk, user=w.operator)
    first = run.steps.get(position=1)
    services.claim_step(first.pk, attempt=None, worker="gone")
    from datetime import timedelta

    assert services.reap_stale_steps(timedelta(0)) == [first.pk]
    first.refresh_from_db()
    assert first.state == StepState.INTERRUPTED
    services.request_resolution(first.pk, user=w.operator2, resolution=Resolution.DONE, reason="checked on node")
    services.countersign(first.pk, user=w.approver, request=1)
    first.refresh_from_db()
    assert first.state == StepState.SUCCEEDED


def test_every_transition_is_recorded_with_who_when_and_where(state_world):
    w = state_world
    run = planned(w)
    approve = run.events.get(action="approve")
    assert (approve.actor, approve.source, approve.target, approve.address) == (
        w.approver,
        "planned",
        "approved",
        "192.0.2.7",
    )
    assert approve.at is not None


def test_run_events_are_append_only(state_world):
    w = state_world
    run = planned(w)
    event = run.events.first()
    event.reason = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionError):
        RunEvent.objects.filter(run=run).update(reason="x")
    with pytest.raises(PermissionError):
        RunEvent.objects.filter(run=run).delete()


def test_states_cannot_be_set_by_hand(state_world):
    w = state_world
    run = planned(w)
    with pytest.raises(AttributeError):
        run.state = RunState.COMPLETED


def test_database_refuses_a_second_active_run_on_a_cluster(state_world):
    w = state_world
    first, second = planned(w), planned(w)
    services.start_run(first.pk, user=w.operator)
    with pytest.raises(ClusterBusy, match=f"{first.pk}"):
        services.start_run(second.pk, user=w.operator)
    second.refresh_from_db()
    assert second.state == RunState.APPROVED
    # Even bypassing the services and the queryset's guard, the database keeps one active run per cluster.
    with pytest.raises(IntegrityError), transaction.atomic():
        QuerySet.update(ProcedureRun.objects.filter(pk=second.pk), state=RunState.RUNNING)


def test_a_run_holds_the_master_it_will_edit_from_its_start_to_its_end(state_world):
    w = state_world
    other_server = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS)
    other = other_server.cluster
    node = other.nodes.order_by("position").first()
    steps = [command_step("gmpublicinfo", [host_ref(w.node1, "true")], locks_master=True)]
    run = services.create_run(
        other, make_plan(other, [command_step("x", [host_ref(node, "true")]), *steps]), user=w.operator
    )
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    master = w.cluster.server
    assert set(ServerLock.objects.filter(run=run).values_list("server", flat=True)) == {other_server.pk, master.pk}
    master_run = planned(w)
    with translation.override("en"), pytest.raises(ServerBusy) as refused:
        services.start_run(master_run.pk, user=w.operator)  # before the edit step too: the run will touch it
    assert str(refused.value).startswith(f"Server {master.name} (cluster {w.cluster.name}) is held by run {run.pk}")
    work(run.steps.get(position=1).pk)
    work(run.steps.get(position=2).pk)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and not ServerLock.objects.exists()
    services.start_run(master_run.pk, user=w.operator)


def test_a_run_whose_master_is_held_does_not_start_and_names_the_holder(state_world):
    w = state_world
    master_run = planned(w)
    services.start_run(master_run.pk, user=w.operator)
    other = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS).cluster
    run = services.create_run(
        other,
        make_plan(other, [command_step("edit", [host_ref(w.node1, "true")], locks_master=True)]),
        user=w.operator,
    )
    services.approve_run(run.pk, user=w.approver)
    with pytest.raises(ServerBusy, match=f"{master_run.pk}"):
        services.start_run(run.pk, user=w.operator2)
    run.refresh_from_db()
    assert run.state == RunState.APPROVED and not ServerLock.objects.filter(run=run).exists()
    assert run.steps.get().state == StepState.PENDING


def test_abort_without_a_running_step_ends_the_run_and_frees_the_cluster(state_world):
    w = state_world
    run = planned(w, [console_step("c")])
    services.start_run(run.pk, user=w.operator)
    with pytest.raises(ReasonRequired):
        services.abort_run(run.pk, user=w.operator, reason="")
    services.abort_run(run.pk, user=w.operator, reason="window closed")
    run.refresh_from_db()
    assert run.state == RunState.ABORTED and run.abort_reason == "window closed"
    assert not ServerLock.objects.exists()


def test_redelivered_or_duplicate_execution_is_refused(state_world):
    w = state_world
    run = planned(w)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get(position=1)
    assert services.claim_step(step.pk, attempt=1, worker="a") is not None
    assert services.claim_step(step.pk, attempt=1, worker="b") is None
    assert services.finish_step(step.pk, worker="b", attempt=1, ok=True) is None
    assert StepRun.objects.get(pk=step.pk).state == StepState.RUNNING


def test_an_aborted_run_keeps_its_record_no_confirmation_sign_off_or_countersign_after_it(state_world):
    w = state_world
    run = planned(w, [console_step("c"), console_step("d")])
    services.start_run(run.pk, user=w.operator)
    first = run.steps.get(position=1)
    services.request_resolution(first.pk, user=w.operator, resolution=Resolution.SKIP, reason="done by hand")
    services.abort_run(run.pk, user=w.operator, reason="window closed")
    events = RunEvent.objects.filter(run=run).count()
    with pytest.raises(PortalError):
        services.confirm_step(first.pk, user=w.operator, ticked=["done"])
    with pytest.raises(PortalError):
        services.countersign(first.pk, user=w.approver2, request=1)
    first.refresh_from_db()
    assert first.state == StepState.AWAITING_CONFIRMATION and not first.resolved_by_id
    assert RunEvent.objects.filter(run=run).count() == events


def test_a_sign_off_decision_is_approve_or_reject_nothing_else(state_world):
    w = state_world
    run = planned(w, [console_step("one", needs_signoff=True)])
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["done"])
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF
    with pytest.raises(PortalError, match="not a sign-off decision"):
        with translation.override("en"):
            services.sign_off_step(step.pk, user=w.approver2, verdict="approve ", note="looks fine")
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF


def test_bulk_updates_cannot_change_a_state(state_world):
    """``protected=True`` guards the attribute; the querysets guard ``update(state=…)`` the same way."""
    w = state_world
    run = planned(w)
    step = run.steps.first()
    with pytest.raises(PermissionError):
        ProcedureRun.objects.filter(pk=run.pk).update(state=RunState.COMPLETED)
    with pytest.raises(PermissionError):
        StepRun.objects.filter(pk=step.pk).update(state=StepState.SUCCEEDED)
    run.refresh_from_db()
    step.refresh_from_db()
    assert (run.state, step.state) == (RunState.APPROVED, StepState.PENDING)  # as planned() left them
    StepRun.objects.filter(pk=step.pk).update(worker="w1")  # other fields stay open to bulk updates
    assert StepRun.objects.get(pk=step.pk).worker == "w1"
