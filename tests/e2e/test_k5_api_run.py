"""K.5 (1)(b) for the address server addsv01, from planning to the run's sign-off through the JSON API alone.

Two people, each with a token made from their password: the operator plans, starts and confirms; the approver
approves the plan, approves every four-eyes step's commands before they are sent, signs off what needs it and
closes the run. The steps run on the lab over SSH, as in
the page version (tests/e2e/test_k5_new_address_server_run.py). Meanwhile a follower reads the log by sequence
number, as a script would; at the end the whole log has been read back without a gap.
"""

import pytest
from rest_framework.test import APIClient

from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, RunLogLine
from tests.e2e.people import STEP_WAIT_S, package_line, waits_for_people
from tests.e2e.test_k5_new_address_server_run import build_master_by_hand
from tests.factories import PASSWORD
from tests.fixtures.runs import wait_until

pytestmark = [pytest.mark.lab, pytest.mark.timeout(900)]


def logged_in(user) -> APIClient:
    """A client with a token made the way a script makes one: ``POST /api/token/`` with the password."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    made = client.post("/api/token/", {"username": user.username, "password": PASSWORD, "name": "e2e"}, format="json")
    assert made.status_code == 201, made.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {made.json()['token']}")
    return client


def call(client: APIClient, method: str, url: str, body=None, *, what: str) -> dict:
    response = getattr(client, method)(url, body or {}, format="json") if method == "post" else client.get(url)
    assert response.status_code in (200, 201), f"{what}: HTTP {response.status_code} {response.content[:2000]!r}"
    return response.json()


class LogFollower:
    """Reads the run's log after the last seq it has, page by page, like ``tail -f`` over the API."""

    def __init__(self, client: APIClient, run_id: int):
        self.client, self.run_id, self.lines = client, run_id, []

    def read(self) -> bool:
        """Everything stored so far; True once the run has ended and nothing more is left to read."""
        while True:
            after = self.lines[-1]["seq"] if self.lines else 0
            page = call(self.client, "get", f"/api/runs/{self.run_id}/log/?after={after}&limit=500", what="the log")
            self.lines += page["lines"]
            if not page["lines"]:
                return page["finished"] and after == page["last_seq"]


def settled(client: APIClient, run_id: int, follower: LogFollower):
    def check():
        follower.read()
        run = call(client, "get", f"/api/runs/{run_id}/", what="the run")
        busy = run["state"] == RunState.RUNNING or any(s["state"] == StepState.RUNNING for s in run["steps"])
        return None if busy else run

    return check


def test_k5_1b_is_planned_approved_run_and_signed_off_through_the_api_by_two_people(run_world, lab_ssh):
    w = run_world
    build_master_by_hand(w.lab, lab_ssh)
    cluster = w.domain.servers.get(name="addsv01").cluster
    operator, approver = logged_in(w.operator), logged_in(w.approver)

    run = call(operator, "post", "/api/runs/", {"cluster": cluster.pk, "procedure": "k5-1b"}, what="planning")
    run_id = run["id"]
    assert run["state"] == RunState.PLANNED and run["plan"]["procedure"] == "k5-1b"
    call(approver, "post", f"/api/runs/{run_id}/approve/", {"note": "plan read"}, what="approval")
    call(operator, "post", f"/api/runs/{run_id}/start/", what="start")
    follower = LogFollower(approver, run_id)

    acted = {"confirmed": [], "approved": [], "signed_off": []}
    for _turn in range(4 * len(run["steps"])):
        run = wait_until(settled(operator, run_id, follower), timeout=STEP_WAIT_S, what="the run to wait or finish")
        if run["state"] != RunState.WAITING:
            break
        step = next(s for s in run["steps"] if s["state"] not in StepState.FINISHED)
        if step["state"] == StepState.AWAITING_CONFIRMATION:
            ticked = {item["key"]: True for item in step["checklist"]}
            call(operator, "post", f"/api/steps/{step['id']}/confirm/", {"checklist": ticked, "note": "seen"},
                 what=f"confirmation of {step['key']}")  # fmt: skip
            acted["confirmed"].append(step["key"])
        elif step["state"] == StepState.AWAITING_APPROVAL:  # four eyes before the command is sent
            assert step["hosts"], step
            call(approver, "post", f"/api/steps/{step['id']}/approve/", {"verdict": "approve"},
                 what=f"approval of {step['key']}'s commands")  # fmt: skip
            acted["approved"].append(step["key"])
        elif step["state"] == StepState.AWAITING_SIGNOFF:
            call(approver, "post", f"/api/steps/{step['id']}/sign-off/", {"verdict": "approve"},
                 what=f"sign-off of {step['key']}")  # fmt: skip
            acted["signed_off"].append(step["key"])
        else:
            text = approver.get(f"/api/steps/{step['id']}/log.txt", HTTP_ACCEPT="text/plain")
            pytest.fail(f"step {step['position']} {step['key']} is {step['state']}: {step['message']}\n"
                        f"{b''.join(text).decode()}")  # fmt: skip

    assert run["state"] == RunState.COMPLETED, (run["state"], run["wait_message"])
    assert run["actions"]["sign_off"] is False  # the operator reads it: they worked on the run
    closed = call(approver, "post", f"/api/runs/{run_id}/close/", {"note": "checked"}, what="the run's sign-off")
    assert closed["state"] == RunState.SIGNED_OFF and closed["signed_off_by"] == w.approver.username
    assert acted == waits_for_people(ProcedureRun.objects.get(pk=run_id).plan_object)

    assert wait_until(follower.read, timeout=30, what="the whole log")
    seqs = [line["seq"] for line in follower.lines]
    assert seqs == list(range(1, len(seqs) + 1)), "the log read back has a gap or a repeat"
    stored = list(RunLogLine.objects.filter(run_id=run_id).order_by("seq").values_list("seq", "text"))
    assert [(line["seq"], line["text"]) for line in follower.lines] == stored and len(stored) > 100

    spec = w.lab.spec.cluster(cluster.name)
    view = lab_ssh(spec.nodes[0], "cmviewcl -v")
    assert package_line(view.stdout, spec.package_name)[:3] == [spec.package_name, "up", "running"]
    on_master = lab_ssh("gmx1a", "cat /var/opt/GroupMail/nxcdir/gmpublicinfo").stdout.splitlines()
    for host in spec.nodes:
        assert f"{w.lab.spec.node(host).local_ips[0]}=addpkg" in on_master
