"""The four-eyes rules of procedures.signoff: one rule per decision, asked alike for one object and for lists.

For each decision, the approver who did the work (or asked for it) is refused by the rule, by the service
that acts and by the queue; a second approver of the same domain is offered it; an operator and an approver
of another domain are not.
"""

import pytest

from clusters.choices import DomainRoleName
from procedures import duties, services, signoff
from procedures.choices import Resolution, RunState, StepState
from procedures.exceptions import SecondPersonRequired, SelfApprovalRefused
from procedures.signoff import Decision
from tests.factories import DomainFactory, MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


def _run(world, *, by, steps):
    return services.create_run(world.cluster, make_plan(world.cluster, steps), user=by)


def _started(world, *, steps, planner=None, approver=None):
    run = _run(world, by=planner or world.operator, steps=steps)
    services.approve_run(run.pk, user=approver or world.approver2)
    services.start_run(run.pk, user=world.operator)
    return run


def plan_to_approve(world):
    """The approver planned it himself."""
    run = _run(world, by=world.approver, steps=[console_step("c1")])
    return run, lambda user: services.approve_run(run.pk, user=user)


def command_to_approve(world):
    """The approver will run the four-eyes step himself (he started the run)."""
    run = _run(
        world, by=world.operator, steps=[command_step("a08", [host_ref(world.node2, "true")], needs_signoff=True)]
    )
    services.approve_run(run.pk, user=world.approver2)
    services.start_run(run.pk, user=world.approver)
    step = run.steps.get()
    assert step.state == StepState.AWAITING_APPROVAL
    return step, lambda user: services.approve_step(step.pk, user=user)


def step_to_sign_off(world):
    """The approver did the console step himself."""
    run = _started(world, steps=[console_step("c1", needs_signoff=True)])
    step = run.steps.get()
    services.confirm_step(step.pk, user=world.approver, ticked=["done"])
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF
    return step, lambda user: services.sign_off_step(step.pk, user=user)


def skip_to_countersign(world):
    """The approver asked for the skip himself."""
    run = _started(world, steps=[console_step("c1")])
    step = run.steps.get()
    services.request_resolution(step.pk, user=world.approver, resolution=Resolution.SKIP, reason="done by hand")
    step.refresh_from_db()
    return step, lambda user: services.countersign(step.pk, user=user, request=step.resolution_version)


def run_to_close(world):
    """The approver confirmed one of its steps."""
    run = _started(world, steps=[console_step("c1")])
    services.confirm_step(run.steps.get().pk, user=world.approver, ticked=["done"])
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    return run, lambda user: services.sign_off_run(run.pk, user=user)


def outside_duty_to_confirm(world):
    """The approver recorded the duty done outside the portal himself."""
    record = duties.record_outside(
        world.cluster.server.pk, user=world.approver, node_id=world.node2.pk, reason="done at the console"
    )
    return record, lambda user: duties.decide_outside(record.pk, user=user, confirm=True)


CASES = {
    Decision.APPROVE_RUN: plan_to_approve,
    Decision.APPROVE_STEP: command_to_approve,
    Decision.SIGN_OFF_STEP: step_to_sign_off,
    Decision.COUNTERSIGN: skip_to_countersign,
    Decision.CLOSE_RUN: run_to_close,
    Decision.CONFIRM_OUTSIDE_DUTY: outside_duty_to_confirm,
}


@pytest.mark.parametrize("decision", list(CASES))
def test_one_rule_decides_for_the_object_the_service_and_the_queue(state_world, decision):
    world = state_world
    obj, act = CASES[decision](world)
    outsider = UserFactory(username="other-domain-approver")
    MembershipFactory(domain=DomainFactory(), user=outsider, role=DomainRoleName.APPROVER)

    def waiting(user):
        return set(signoff.waiting_for(decision, user).values_list("pk", flat=True))

    # The one who did the work: refused by the rule, by the service, and not in the queue.
    assert not signoff.may_decide(decision, world.approver, obj)
    with pytest.raises((SelfApprovalRefused, SecondPersonRequired)):
        act(world.approver)
    assert obj.pk not in waiting(world.approver)
    # Nobody without the role, nor an approver elsewhere.
    for user in (world.operator, world.viewer, outsider):
        assert not signoff.may_decide(decision, user, obj)
        assert obj.pk not in waiting(user)
    # A second approver of the domain: offered it, and the service takes it.
    assert signoff.may_decide(decision, world.approver2, obj)
    assert obj.pk in waiting(world.approver2)
    act(world.approver2)
    assert obj.pk not in waiting(world.approver2)  # decided: nothing waits any more


def test_the_run_page_offers_only_what_the_rule_allows(state_world, client):
    world = state_world
    step, _act = step_to_sign_off(world)
    for user, offered in ((world.approver, False), (world.approver2, True)):
        client.force_login(user)
        page = client.get(step.run.get_absolute_url())
        assert (f'data-testid="step-{step.position}-signoff"' in page.content.decode()) is offered
