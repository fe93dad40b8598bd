"""A countersign approves the request its signer read: it names the request's number, and a request that changed
since (a new reason, skip instead of done) is refused with what it says now. A request to count a step done
never overrides an approver's rejection."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from procedures import services
from procedures.choices import Resolution, StepState, Verdict
from procedures.exceptions import RejectedNotDone, RequestChanged, RequestNotNamed
from tests.fixtures.runs import console_step, make_plan


def started(w, steps):
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    return run


def countersign_form(client, run, step) -> dict:
    page = client.get(run.get_absolute_url()).content.decode()
    form = re.search(rf'<form[^>]*data-testid="step-{step.position}-countersign"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the run page offers no countersign"
    return dict(re.findall(r'<input type="hidden" name="(request)" value="([^"]*)"', form.group(1)))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_countersign_of_a_request_that_changed_after_it_was_read_is_refused(state_world, client):
    w = state_world
    run = started(w, [console_step("a"), console_step("b")])
    step = run.steps.get(position=1)
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="done at the console")
    client.force_login(w.approver)
    read = countersign_form(client, run, step)  # what the approver read: request 1
    assert read == {"request": "1"}
    services.request_resolution(step.pk, user=w.operator2, resolution=Resolution.SKIP, reason="not needed at all")

    response = client.post(
        reverse("procedures:step-action", args=[step.pk, "countersign"]), read, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert any("no longer the one that waits" in m and "not needed at all" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION and not step.resolved_by_id
    with translation.override("en"), pytest.raises(RequestChanged, match="run-operator2 asks"):
        services.countersign(step.pk, user=w.approver, request=1)

    services.countersign(step.pk, user=w.approver, request=countersign_form(client, run, step)["request"])
    step.refresh_from_db()
    assert step.state == StepState.SKIPPED and step.resolved_by == w.approver
    assert run.events.get(action="skip").details["request"] == 2


@pytest.mark.parametrize("named", [None, "", "abc", "²", "1 OR 1", "-1", "9" * 40])
def test_a_countersign_that_names_no_request_is_refused_clearly(state_world, named):
    w = state_world
    run = started(w, [console_step("a")])
    step = run.steps.get()
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="done by hand")
    with pytest.raises(RequestNotNamed) as refused:
        services.countersign(step.pk, user=w.approver, request=named)
    assert refused.value.status == 400
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION


def test_the_page_refuses_a_countersign_without_its_request_with_a_message_not_an_error(state_world, client):
    w = state_world
    run = started(w, [console_step("a")])
    step = run.steps.get()
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="done by hand")
    client.force_login(w.approver)
    response = client.post(
        reverse("procedures:step-action", args=[step.pk, "countersign"]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert any("names the request it approves" in m for m in messages_of(response))


def test_a_done_request_cannot_override_an_approvers_rejected_sign_off(state_world):
    w = state_world
    run = started(w, [console_step("check", needs_signoff=True)])
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["done"])
    services.sign_off_step(step.pk, user=w.approver, verdict=Verdict.REJECT, note="the screen showed errors")
    step.refresh_from_db()
    assert step.state == StepState.FAILED and step.rejected_by == w.approver
    with translation.override("en"), pytest.raises(RejectedNotDone, match="run-approver rejected step 1"):
        services.request_resolution(step.pk, user=w.operator, resolution=Resolution.DONE, reason="it is fine")
    step.refresh_from_db()
    assert not step.resolution
    # Skipping it stays possible, countersigned by a second person, and is recorded as a skip, not as done.
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="not needed here")
    step.refresh_from_db()
    services.countersign(step.pk, user=w.approver2, request=step.resolution_version)
    step.refresh_from_db()
    assert step.state == StepState.SKIPPED
