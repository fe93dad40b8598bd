"""The API and the pages refuse exactly the same things, because both ask the same rules.

One parametrised test: for each action and person, the same situation is built twice (on two clusters of one
domain), the page's button is pressed on one and the API is called on the other. Both must come to the same
outcome: the same refusal, word for word (the message of the service's ``PortalError``, from
``procedures.signoff`` and ``clusters.rules.has_role``), or 404 for both, or success for both with the same state.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from clusters.choices import DomainRoleName, ServerRole
from procedures import services
from procedures.choices import Resolution
from procedures.models import ProcedureRun, StepRun
from tests.factories import MembershipFactory, ServerFactory, UserFactory
from tests.fixtures.api import api_client
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


def _planned(w, cluster, by="operator"):
    return services.create_run(
        cluster, make_plan(cluster, [console_step("c", needs_signoff=True)]), user=getattr(w, by)
    )


def planned(w, cluster):
    return "run", _planned(w, cluster).pk


def planned_by_approver(w, cluster):
    return "run", _planned(w, cluster, by="approver").pk


def approved(w, cluster):
    run = _planned(w, cluster)
    services.approve_run(run.pk, user=w.approver)
    return "run", run.pk


def _waiting_step(w, cluster):
    run = _planned(w, cluster)
    services.approve_run(run.pk, user=w.approver2)
    services.start_run(run.pk, user=w.operator)
    return run.steps.get()


def awaiting_confirmation(w, cluster):
    return "step", _waiting_step(w, cluster).pk


def awaiting_signoff_done_by_approver(w, cluster):
    step = _waiting_step(w, cluster)
    services.confirm_step(step.pk, user=w.approver, ticked=["done"])
    return "step", step.pk


def skip_asked_by_approver(w, cluster):
    step = _waiting_step(w, cluster)
    services.request_resolution(step.pk, user=w.approver, resolution=Resolution.SKIP, reason="by hand")
    return "step", step.pk


def command_awaiting_approval(w, cluster):
    node = cluster.nodes.order_by("position").first()
    run = services.create_run(
        cluster,
        make_plan(cluster, [command_step("cmd", [host_ref(node, "true")], needs_signoff=True)]),
        user=w.operator,
    )
    services.approve_run(run.pk, user=w.approver2)
    services.start_run(run.pk, user=w.operator)
    return "step", run.steps.get().pk


def _request_of(kind, pk) -> dict:
    return {"request": StepRun.objects.get(pk=pk).resolution_version}


def completed_worked_on_by_approver(w, cluster):
    step = _waiting_step(w, cluster)
    services.confirm_step(step.pk, user=w.approver, ticked=["done"])
    services.sign_off_step(step.pk, user=w.approver2)
    return "run", step.run_id


# (situation, page action, API action, body or body(kind, pk)) — the page's form and the API's JSON say the same
ACTIONS = {
    "approve": (planned, "approve", "approve", {}),
    "approve own plan": (planned_by_approver, "approve", "approve", {}),
    "start planned": (planned, "start", "start", {}),
    "start": (approved, "start", "start", {}),
    "resume": (approved, "resume", "resume", {}),
    "abort without reason": (approved, "abort", "abort", {"reason": ""}),
    "abort": (approved, "abort", "abort", {"reason": "change withdrawn"}),
    "close": (completed_worked_on_by_approver, "sign-off", "close", {}),
    "confirm unticked": (awaiting_confirmation, "confirm", "confirm", {"checked": []}),
    "confirm": (awaiting_confirmation, "confirm", "confirm", {"checked": ["done"]}),
    "sign off": (awaiting_signoff_done_by_approver, "sign-off", "sign-off", {"verdict": "approve"}),
    "reject without note": (awaiting_signoff_done_by_approver, "sign-off", "sign-off", {"verdict": "reject"}),
    "countersign": (skip_asked_by_approver, "countersign", "countersign", _request_of),
    "countersign another request": (skip_asked_by_approver, "countersign", "countersign", {"request": "0"}),
    "approve the command": (command_awaiting_approval, "approve", "approve", {"verdict": "approve"}),
    "reject the command without note": (command_awaiting_approval, "approve", "approve", {"verdict": "reject"}),
    "skip without reason": (awaiting_confirmation, "request-skip", "skip", {"reason": ""}),
    "skip": (awaiting_confirmation, "request-skip", "skip", {"reason": "done at the console"}),
    "retry pending": (awaiting_confirmation, "retry", "retry", {}),
}
PEOPLE = ("viewer", "operator", "approver", "approver2", "outsider")


def _api_body(action: str, body: dict) -> dict:
    if action == "confirm":
        return {"checklist": {key: True for key in body["checked"]}}
    return body


def _page(user, kind, pk, action, body):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    if kind == "step" and action == "confirm":
        url = reverse("procedures:step-confirm", args=[pk])
    else:
        url = reverse(f"procedures:{kind}-action", args=[pk, action])
    response = client.post(url, body, follow=True)
    if response.status_code == 404:
        return "404"
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    return errors[0] if errors else None


def _api(user, kind, pk, action, body):
    response = api_client(user).post(f"/api/{kind}s/{pk}/{action}/", _api_body(action, body), format="json")
    if response.status_code == 404:
        return "404"
    if response.status_code >= 400:
        error = response.json()
        fields = error.get("fields") or {}
        return next(iter(fields.values()))[0] if fields else error["detail"]
    return None


def _state(kind, pk) -> str:
    return (ProcedureRun if kind == "run" else StepRun).objects.get(pk=pk).state


def _same_words(text, kind, pk):
    """The refusal with its run's number masked: the two runs differ in nothing else (steps go by position)."""
    run = pk if kind == "run" else StepRun.objects.get(pk=pk).run_id
    return re.sub(rf"\b([Rr]un) {run}\b", r"\1 #", text or "")


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("case", list(ACTIONS))
def test_the_api_and_the_pages_refuse_the_same_things(state_world, case, who):
    w = state_world
    w.outsider = UserFactory(username="other-domain-approver")
    MembershipFactory(user=w.outsider, role=DomainRoleName.APPROVER)
    second = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS).cluster
    situation, page_action, api_action, body = ACTIONS[case]
    kind, on_page = situation(w, w.cluster)
    _kind, on_api = situation(w, second)
    user = getattr(w, who)
    page_body, api_body = (body(kind, on_page), body(kind, on_api)) if callable(body) else (body, body)

    page = _page(user, kind, on_page, page_action, page_body)
    api = _api(user, kind, on_api, api_action, api_body)

    assert _same_words(page, kind, on_page) == _same_words(api, kind, on_api), (page, api)
    assert _state(kind, on_page) == _state(kind, on_api)
