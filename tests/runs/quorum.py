"""A domain that asks two approvers for deleting data: shared by the SQLite tests and the PostgreSQL race."""

from procedures import services
from procedures.choices import FourEyesKind, StepState
from procedures.models import SignoffQuorum, StepRun
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import console_step, make_plan


def third_approver(world):
    user = UserFactory(username="run-approver3")
    MembershipFactory(domain=world.domain, user=user, role="approver")
    return user


def two_of_three(world, kind=FourEyesKind.DELETE_DATA, *, confirmer=None) -> StepRun:
    """A console step of ``kind`` done and waiting for its sign-off, in a domain that asks two approvers for it."""
    SignoffQuorum.objects.create(domain=world.domain, kind=kind, approvers=2)
    plan = make_plan(world.cluster, [console_step("wipe", needs_signoff=True, four_eyes=kind)])
    run = services.create_run(world.cluster, plan, user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=world.operator)
    step = run.steps.get()
    services.confirm_step(step.pk, user=confirmer or world.operator, ticked=["done"])
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF
    return step
