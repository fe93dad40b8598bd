"""The people of a run, acting through the run pages with the Django test client, as they would in a browser.

The operator plans and starts a run and confirms console steps by ticking every item the page shows; an
approver approves; a second approver approves every four-eyes command in the queue before it is sent (and
signs off a four-eyes step done at the console). Each action posts the page's own form and fails the test
with the page's error message if the portal refuses it.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, RunLogLine
from procedures.plan import Kind
from tests.fixtures.runs import wait_until

STEP_WAIT_S = 180  # the longest a single step of a K.5 plan needs on the lab, with room to spare


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def post(client: Client, url: str, data=None, *, what: str) -> None:
    """Press a button: the portal answers with a redirect and no error message."""
    response = client.post(url, data or {}, follow=True)
    assert response.status_code == 200, f"{what}: HTTP {response.status_code}"
    refused = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert not refused, f"{what} refused: {refused}"


def plan_approve_start(cluster, procedure: str, *, operator: Client, approver: Client, options=None) -> ProcedureRun:
    form = {"cluster": cluster.pk, "procedure": procedure, **(options or {})}
    response = operator.post(reverse("procedures:run-plan"), form)
    run = ProcedureRun.objects.filter(cluster=cluster, procedure=procedure).order_by("-pk").first()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    post(approver, reverse("procedures:run-action", args=[run.pk, "approve"]), what="approval")
    post(operator, reverse("procedures:run-action", args=[run.pk, "start"]), what="start")
    run.refresh_from_db()
    assert run.state in RunState.ACTIVE, run.state
    return run


def settled(run_id: int):
    """The run no longer runs a step by itself: it waits for a person, or it is over."""

    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        busy = run.state == RunState.RUNNING or run.steps.filter(state=StepState.RUNNING).exists()
        return None if busy else run

    return check


def step_output(run, step) -> str:
    lines = RunLogLine.objects.filter(run=run, step=step).order_by("seq").values_list("host", "stream", "text")
    return "\n".join(f"[{host} {stream}] {text}" for host, stream, text in lines)


def form(page: str, testid: str) -> str:
    match = re.search(rf'<form[^>]*data-testid="{testid}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"the run page shows no form {testid}"
    return match.group(1)


def confirm_as_operator(client: Client, run, step) -> list[str]:
    """Tick every checkbox the page shows for the step, then press "Confirm step done"."""
    page = client.get(run.get_absolute_url()).content.decode()
    ticked = re.findall(r'name="checked" value="([^"]*)"', form(page, f"step-{step.position}-confirm"))
    post(client, reverse("procedures:step-action", args=[step.pk, "confirm"]), {"checked": ticked},
         what=f"confirmation of {step.key}")  # fmt: skip
    return ticked


def approve_command_as_second_approver(client: Client, run, step) -> None:
    """In the queue: the step's exact commands are shown before anything is sent; press "Approve and run"."""
    page = client.get(reverse("procedures:queue")).content.decode()
    shown = form(page, f"queue-step-{step.pk}-approve")
    assert 'value="approve"' in shown
    for ref in step.planned.hosts:
        assert escape(ref.command) in page, f"the queue does not show {ref.command!r}"
    post(client, reverse("procedures:step-action", args=[step.pk, "approve"]), {"verdict": "approve"},
         what=f"approval of {step.key}")  # fmt: skip


def sign_off_as_second_approver(client: Client, run, step) -> None:
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'value="approve"' in form(page, f"step-{step.position}-signoff")
    post(client, reverse("procedures:step-action", args=[step.pk, "sign-off"]), {"verdict": "approve"},
         what=f"sign-off of {step.key}")  # fmt: skip


def drive_run(run, *, operator: Client, second_approver: Client) -> dict:
    """Act on the run like its people until it is over; fail with the step's output if a step fails."""
    acted = {"confirmed": [], "approved": [], "signed_off": []}
    for _turn in range(4 * run.steps.count()):
        run = wait_until(settled(run.pk), timeout=STEP_WAIT_S, what="the run to wait for a person or finish")
        if run.state != RunState.WAITING:
            return acted
        step = run.steps.exclude(state__in=StepState.FINISHED).order_by("position").first()
        if step.state == StepState.AWAITING_CONFIRMATION:
            ticked = confirm_as_operator(operator, run, step)
            assert ticked == [item.key for item in step.planned.checklist]
            acted["confirmed"].append(step.key)
        elif step.state == StepState.AWAITING_APPROVAL:
            approve_command_as_second_approver(second_approver, run, step)
            acted["approved"].append(step.key)
        elif step.state == StepState.AWAITING_SIGNOFF:
            sign_off_as_second_approver(second_approver, run, step)
            acted["signed_off"].append(step.key)
        else:
            pytest.fail(
                f"step {step.position} {step.key} is {step.state}: {step.message}\n"
                f"{run.wait_message}\n{step_output(run, step)}"
            )
    pytest.fail("the run never finished")


def waits_for_people(plan) -> dict:
    """What the people of a run must do for a plan: confirm these steps, approve those commands before they are
    sent, sign off what a person did or read (four-eyes steps with a checklist or done at the console)."""
    person = [s.key for s in plan.steps if s.kind in ("console", "confirm") or s.checklist]
    return {
        "confirmed": person,
        "approved": [s.key for s in plan.steps if s.needs_signoff and s.kind in Kind.EXECUTED],
        "signed_off": [s.key for s in plan.steps if s.needs_signoff and s.key in person],
    }


def package_line(cmviewcl_output: str, package: str) -> list[str]:
    """The package's line of ``cmviewcl -v``: name, status, state, auto-run, node."""
    return next(line.split() for line in cmviewcl_output.splitlines() if line.split()[:1] == [package])


def last_start(log: str) -> str:
    """The control.sh.log lines of the last package start."""
    return log[log.rindex("Starting package at") :]
