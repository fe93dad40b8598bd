"""Two approvers sign off the same step at once on PostgreSQL: one decision, one clear refusal."""

import time

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import translation

from procedures import services
from procedures.choices import RunState, StepState
from procedures.exceptions import AlreadySignedOff
from procedures.models import RunEvent, StepRun
from tests.fixtures.runs import build_world, console_step, make_plan
from tests.prod.races import sign_off_while_first_holds
from tests.runs.races import sign_off_race

pytestmark = [pytest.mark.prod, pytest.mark.django_db(transaction=True)]


def step_awaiting_signoff(world) -> StepRun:
    plan = make_plan(world.cluster, [console_step("check", needs_signoff=True)])
    run = services.create_run(world.cluster, plan, user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=world.operator)
    step = run.steps.get()
    services.confirm_step(step.pk, user=world.operator, ticked=["done"])
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF
    return step


def second_waits_on_a_row_lock():
    """PostgreSQL itself says the second session waits for the first one's lock on the run row (FOR UPDATE)."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND cardinality(pg_blocking_pids(pid)) > 0 AND query LIKE %s"
    )
    end = time.monotonic() + 30
    while time.monotonic() < end:
        with connection.cursor() as cursor:
            cursor.execute(sql, ['SELECT "procedures_procedurerun".%'])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail("the second sign-off never waited on a lock: select_for_update did not lock")


def assert_one_decision(step, winner) -> None:
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED and step.signed_off_by == winner
    decisions = RunEvent.objects.filter(step=step).filter(Q(action__startswith="signoff_"))
    assert list(decisions.values_list("action", "actor__username")) == [("signoff_approve", winner.username)]
    assert step.run.__class__.objects.get(pk=step.run_id).state == RunState.COMPLETED


def test_the_second_of_two_approvers_waits_on_the_row_lock_then_is_refused_clearly(settings):
    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    step = step_awaiting_signoff(w)

    outcomes = sign_off_while_first_holds(
        step.pk, w.approver, w.approver2, while_first_holds=second_waits_on_a_row_lock
    )

    assert outcomes["second_waited"]  # queued behind the first one's lock, not deciding beside it
    assert isinstance(outcomes["first"], StepRun), outcomes["first"]
    refusal = outcomes["second"]
    assert isinstance(refusal, AlreadySignedOff), refusal
    with translation.override("en"):
        assert str(refusal) == f"Step 1 was already signed off by {w.approver.username}; yours was not recorded."
    assert refusal.status == 409
    assert_one_decision(step, w.approver)


def test_two_approvers_released_together_give_one_decision_and_one_refusal(settings):
    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    step = step_awaiting_signoff(w)

    outcomes = sign_off_race(step.pk, [w.approver, w.approver2])

    decided = [o for o in outcomes if isinstance(o, StepRun)]
    refused = [o for o in outcomes if isinstance(o, AlreadySignedOff)]
    assert len(decided) == 1 and len(refused) == 1, outcomes
    winner = w.approver if outcomes[0] is decided[0] else w.approver2
    assert refused[0].params["who"] == winner.username
    assert_one_decision(step, winner)


def test_two_of_three_approvers_at_once_give_exactly_two_signatures_and_one_answer(settings):
    """N of M on PostgreSQL: the run row lock orders the three; the third is told who signed."""
    from procedures.models import Signature
    from tests.runs.quorum import third_approver, two_of_three

    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    step = two_of_three(w)
    third = third_approver(w)

    outcomes = sign_off_race(step.pk, [w.approver, w.approver2, third])

    refused = [o for o in outcomes if isinstance(o, AlreadySignedOff)]
    assert len(refused) == 1 and sum(isinstance(o, StepRun) for o in outcomes) == 2, outcomes
    signed = list(Signature.objects.filter(step=step).values_list("signer__username", flat=True))
    assert len(signed) == 2 and len(set(signed)) == 2
    assert refused[0].params["who"] in (f"{signed[0]} と {signed[1]}", f"{signed[0]} and {signed[1]}")
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED
