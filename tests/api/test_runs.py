"""Runs and steps over the API: plan, list, read, and each action, through the page's own service functions."""

import pytest

from procedures import services
from procedures.choices import Resolution, RunState, StepState
from procedures.models import ProcedureRun, RunEvent
from tests.fixtures.api import HIDDEN, api_client
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan

pytestmark = pytest.mark.django_db


def _run(w, steps, by=None):
    return services.create_run(w.cluster, make_plan(w.cluster, steps), user=by or w.operator)


def _started(w, steps):
    run = _run(w, steps)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    return run


def test_an_operator_plans_a_run_and_gets_it_with_its_plan(api_world):
    w = api_world
    answer = api_client(w.operator).post("/api/runs/", {"cluster": w.cluster.pk, "procedure": "k5-1a"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    run = ProcedureRun.objects.get(pk=body["id"])
    assert (
        body["state"] == "planned" and body["plan_digest"] == run.plan_digest and body["planned_by"] == "run-operator"
    )
    assert body["plan"]["procedure"] == "k5-1a" and len(body["steps"]) == len(run.plan["steps"])
    first = body["steps"][0]
    assert set(first) >= {"id", "position", "seed_ids", "kind", "target", "state", "needs_signoff", "checklist"}
    with_items = next(s for s in body["steps"] if s["checklist"])
    assert set(with_items["checklist"][0]) == {"key", "label", "expected", "text"}
    assert body["actions"]["approve"] is False  # the planner is never offered the approval


def test_planning_refuses_bad_input_naming_the_field_and_a_viewer_with_403(api_world):
    w = api_world
    client = api_client(w.operator)
    unknown = client.post("/api/runs/", {"cluster": w.cluster.pk, "procedure": "k5-9"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["detail"].startswith("procedure: ")
    hidden = client.post("/api/runs/", {"cluster": w.hidden.cluster.pk, "procedure": "k5-1a"}, format="json")
    assert hidden.status_code == 400 and hidden.json()["detail"].startswith("cluster: ")
    typed = client.post("/api/runs/", {"cluster": w.cluster.pk, "procedure": "k5-2",
                                       "options": {"db_files_precreated": "maybe"}}, format="json")  # fmt: skip
    assert typed.status_code == 400 and typed.json()["detail"].startswith("options.db_files_precreated: ")
    viewer = api_client(w.viewer).post("/api/runs/", {"cluster": w.cluster.pk, "procedure": "k5-1a"}, format="json")
    assert viewer.status_code == 403 and w.domain.name in viewer.json()["detail"]
    assert not ProcedureRun.objects.filter(cluster=w.cluster).exists()


def test_runs_are_listed_in_pages_with_filters_and_never_another_domains(api_world):
    w = api_world
    first, second = _run(w, [console_step("a")]), None
    services.abort_run(first.pk, user=w.operator, reason="test")
    second = _run(w, [console_step("b")])
    client = api_client(w.viewer)
    everything = client.get("/api/runs/", {"page_size": 1}).json()
    assert everything["count"] == 2 and len(everything["results"]) == 1 and everything["next"]
    assert HIDDEN not in str(client.get("/api/runs/").json())
    planned = client.get("/api/runs/", {"state": "planned", "domain": w.domain.pk, "cluster": w.cluster.pk}).json()
    assert [r["id"] for r in planned["results"]] == [second.pk]
    assert client.get("/api/runs/", {"procedure": "k5-1a"}).json()["count"] == 0
    bad = client.get("/api/runs/", {"state": "sleeping"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("state: ")
    assert client.get(f"/api/runs/{w.hidden.run.pk}/").status_code == 404


def test_approve_start_and_close_through_the_api_by_two_people(api_world):
    w = api_world
    run = _run(w, [console_step("c", items=("screen",))])
    operator, approver = api_client(w.operator), api_client(w.approver)
    approved = approver.post(f"/api/runs/{run.pk}/approve/", {"note": "plan read"}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    started = operator.post(f"/api/runs/{run.pk}/start/", {}, format="json").json()
    assert started["state"] == "waiting" and started["steps"][0]["state"] == "awaiting_confirmation"
    step = started["steps"][0]["id"]
    confirmed = operator.post(f"/api/steps/{step}/confirm/", {"checklist": {"screen": True}, "note": "seen"},
                              format="json")  # fmt: skip
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    closed = approver.post(f"/api/runs/{run.pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "signed_off"
    actions = list(RunEvent.objects.filter(run=run).values_list("action", flat=True))
    assert {"approve", "start", "confirm", "sign_off"} <= set(actions)


def test_conflicts_are_409_naming_the_state(api_world):
    w = api_world
    run = _run(w, [console_step("c")])
    answer = api_client(w.operator).post(f"/api/runs/{run.pk}/start/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "run_state"
    assert "Planned" in answer.json()["detail"]
    step = run.steps.get()
    retry = api_client(w.operator).post(f"/api/steps/{step.pk}/retry/", {}, format="json")
    assert retry.status_code == 409 and "Pending" in retry.json()["detail"]
    ja = api_client(w.operator, language="ja").post(f"/api/runs/{run.pk}/start/", {}, format="json")
    assert ja.status_code == 409 and not ja.json()["detail"].isascii()


def test_four_eyes_refusals_are_the_services(api_world):
    w = api_world
    mine = _run(w, [console_step("c")], by=w.approver)
    own = api_client(w.approver).post(f"/api/runs/{mine.pk}/approve/", {}, format="json")
    assert own.status_code == 409 and own.json()["code"] == "self_approval"
    operator = api_client(w.operator).post(f"/api/runs/{mine.pk}/approve/", {}, format="json")
    assert operator.status_code == 403 and operator.json()["code"] == "forbidden"


def test_an_unticked_item_is_refused_naming_the_checklist(api_world):
    w = api_world
    run = _started(w, [console_step("c", items=("screen", "ip"))])
    step = run.steps.get()
    answer = api_client(w.operator).post(f"/api/steps/{step.pk}/confirm/", {"checklist": {"screen": True, "ip": False}},
                                         format="json")  # fmt: skip
    assert answer.status_code == 400 and answer.json()["detail"].startswith("checklist: ")
    assert "ip" in answer.json()["detail"] and answer.json()["fields"]["checklist"]


def test_sign_off_of_a_four_eyes_step_and_a_reject_needs_a_note(api_world):
    w = api_world
    run = _started(w, [console_step("c", needs_signoff=True), console_step("d")])
    step = run.steps.get(position=1)
    api_client(w.operator).post(f"/api/steps/{step.pk}/confirm/", {"checklist": {"done": True}}, format="json")
    second = api_client(w.approver2)
    odd = second.post(f"/api/steps/{step.pk}/sign-off/", {"verdict": "perhaps"}, format="json")
    assert odd.status_code == 400 and odd.json()["detail"].startswith("verdict: ")
    no_note = second.post(f"/api/steps/{step.pk}/sign-off/", {"verdict": "reject"}, format="json")
    assert no_note.status_code == 400 and no_note.json()["detail"].startswith("reason: ")
    ok = second.post(f"/api/steps/{step.pk}/sign-off/", {"verdict": "approve"}, format="json")
    assert (
        ok.status_code == 200
        and ok.json()["state"] == StepState.SUCCEEDED
        and ok.json()["signed_off_by"] == "run-approver2"
    )


def test_skip_is_requested_by_one_and_countersigned_by_another(api_world):
    w = api_world
    run = _started(w, [console_step("c")])
    step = run.steps.get()
    operator = api_client(w.operator)
    no_reason = operator.post(f"/api/steps/{step.pk}/skip/", {"reason": " "}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["detail"].startswith("reason: ")
    missing = operator.post(f"/api/steps/{step.pk}/skip/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["detail"].startswith("reason: ")
    asked = operator.post(f"/api/steps/{step.pk}/skip/", {"reason": "done at the console"}, format="json")
    assert asked.status_code == 200 and asked.json()["resolution"] == Resolution.SKIP
    assert operator.post(f"/api/steps/{step.pk}/countersign/", {"request": 1}, format="json").status_code == 403
    unnamed = api_client(w.approver).post(f"/api/steps/{step.pk}/countersign/", {}, format="json")
    assert unnamed.status_code == 400 and unnamed.json()["detail"].startswith("request: ")
    number = asked.json()["resolution_version"]
    signed = api_client(w.approver).post(f"/api/steps/{step.pk}/countersign/", {"request": number}, format="json")
    assert signed.status_code == 200 and signed.json()["state"] == StepState.SKIPPED
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def _fails(step_id: int, attempt: int, *, claimed: bool = False) -> None:
    """What a worker does with a command that exits non-zero: claim the attempt, then report it failed."""
    if not claimed:
        services.claim_step(step_id, attempt=attempt, worker="test-worker")
    services.finish_step(step_id, worker="test-worker", attempt=attempt, ok=False, message="exit 1")


def test_a_failed_step_is_retried_or_marked_done_and_a_running_one_aborted(api_world):
    w = api_world
    run = _started(w, [command_step("cmd", [host_ref(w.node1, "false")])])
    step = run.steps.get()
    operator = api_client(w.operator)
    services.claim_step(step.pk, attempt=1, worker="test-worker")  # a live worker stops the command itself
    running = operator.post(f"/api/steps/{step.pk}/abort/", {"reason": "wrong host"}, format="json")
    assert running.status_code == 200 and running.json()["state"] == StepState.RUNNING
    _fails(step.pk, 1, claimed=True)
    step.refresh_from_db()
    assert step.state in StepState.RETRYABLE, step.state
    retried = operator.post(f"/api/steps/{step.pk}/retry/", {}, format="json")
    assert retried.status_code == 200, retried.content
    assert retried.json()["state"] == StepState.RUNNING and retried.json()["attempt"] == 2
    _fails(step.pk, 2)
    done = operator.post(f"/api/steps/{step.pk}/mark-done/", {"reason": "done by hand"}, format="json")
    assert done.status_code == 200 and done.json()["resolution"] == Resolution.DONE


def test_a_four_eyes_commands_are_approved_before_they_are_sent_by_another_person(api_world):
    w = api_world
    run = _started(w, [command_step("cmd", [host_ref(w.node1, "true")], needs_signoff=True)])
    step = run.steps.get()
    assert step.state == StepState.AWAITING_APPROVAL
    runs_it = api_client(w.operator).post(f"/api/steps/{step.pk}/approve/", {"verdict": "approve"}, format="json")
    assert runs_it.status_code == 403
    detail = api_client(w.approver).get(f"/api/runs/{run.pk}/").json()
    assert detail["actions"]["steps"] == [{"id": step.pk, "approve": True, "sign_off": False, "countersign": False}]
    approved = api_client(w.approver).post(f"/api/steps/{step.pk}/approve/", {"verdict": "approve"}, format="json")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "run-approver"
    assert approved.json()["state"] == StepState.RUNNING


def test_a_waiting_run_is_resumed_and_a_run_aborted_with_a_reason(api_world):
    w = api_world
    run = _run(w, [console_step("c")])
    operator = api_client(w.operator)
    assert operator.post(f"/api/runs/{run.pk}/resume/", {}, format="json").status_code == 409
    no_reason = operator.post(f"/api/runs/{run.pk}/abort/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["detail"].startswith("reason: ")
    aborted = operator.post(f"/api/runs/{run.pk}/abort/", {"reason": "change withdrawn"}, format="json")
    assert aborted.status_code == 200 and aborted.json()["state"] == RunState.ABORTED


def test_another_domains_run_and_step_are_404_for_every_action(api_world):
    w = api_world
    client = api_client(w.approver)
    for path in ("approve", "start", "abort", "resume", "close", "log"):
        method = client.get if path == "log" else client.post
        assert method(f"/api/runs/{w.hidden.run.pk}/{path}/").status_code == 404
    for path in ("confirm", "sign-off", "countersign", "retry", "skip", "mark-done", "abort"):
        assert client.post(f"/api/steps/{w.hidden.step.pk}/{path}/", {}, format="json").status_code == 404
    assert client.get(f"/api/steps/{w.hidden.step.pk}/").status_code == 404
    assert client.get(f"/api/steps/{w.hidden.step.pk}/log.txt").status_code == 404


def test_malformed_json_is_a_400_not_a_server_error(api_world):
    w = api_world
    client = api_client(w.operator)
    answer = client.post("/api/runs/", "{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "parse_error"


def test_a_run_reads_in_a_bounded_number_of_queries(api_world, django_assert_max_num_queries):
    w = api_world
    run = _run(w, [console_step(f"c{i}") for i in range(20)])
    client = api_client(w.viewer)
    with django_assert_max_num_queries(25):
        assert client.get(f"/api/runs/{run.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/runs/").status_code == 200


def test_a_list_of_runs_shows_each_title_in_the_readers_language_without_loading_plans(api_world):
    w = api_world
    _run(w, [console_step("c")])
    english = api_client(w.viewer).get("/api/runs/").json()["results"][0]["title"]
    japanese = api_client(w.viewer, language="ja").get("/api/runs/").json()["results"][0]["title"]
    assert (english, japanese) == ("Test", "テスト")


def test_the_queue_shows_what_waits_for_the_reader_and_never_their_own_work(api_world):
    w = api_world
    theirs = _run(w, [console_step("c")], by=w.operator)
    own = _run(w, [console_step("d")], by=w.approver)
    queue = api_client(w.approver).get("/api/queue/").json()
    assert [r["id"] for r in queue["approve"]] == [theirs.pk] and own.pk not in [r["id"] for r in queue["approve"]]
    assert queue["sign_off"] == [] and queue["countersign"] == [] and queue["close"] == []
    assert api_client(w.operator).get("/api/queue/").json()["approve"] == []


def test_a_countersign_naming_no_request_number_is_the_services_400_naming_the_field(api_world):
    w = api_world
    run = _started(w, [console_step("c")])
    step = run.steps.get()
    services.request_resolution(step.pk, user=w.operator, resolution=Resolution.SKIP, reason="by hand")
    answer = api_client(w.approver).post(f"/api/steps/{step.pk}/countersign/", {"request": "x"}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "request_not_named"
    assert answer.json()["detail"].startswith("request: ")


def test_a_step_reads_with_its_plan_facts_in_the_readers_language(api_world):
    w = api_world
    run = _run(w, [console_step("c", items=("screen",))])
    step = run.steps.get()
    body = api_client(w.viewer, language="ja").get(f"/api/steps/{step.pk}/").json()
    assert body["run"] == run.pk and body["position"] == 1 and body["kind"] == "console"
    assert body["title"] == "コンソール c" and body["checklist"][0]["key"] == "screen"
