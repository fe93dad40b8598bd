"""The run's websocket: backlog then live lines, each exactly once and in order, only for people of the domain."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from procedures.live import emitter
from procedures.live.routing import websocket_urlpatterns
from procedures.models import ProcedureRun, StepRun
from procedures.models.logs import store_lines
from procedures.plan import Plan, text
from tests.factories import MasterFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make_run(domain, user) -> ProcedureRun:
    master = MasterFactory(domain=domain)
    plan = Plan("k5-1a", "test", text("試験", "test"), master.cluster.pk, master.cluster.name, {}, ())
    return ProcedureRun.objects.create(
        cluster=master.cluster, procedure="k5-1a", plan=plan.as_json(), plan_digest=plan.digest, planned_by=user
    )


def add_steps(run, count: int) -> None:
    for position, key in enumerate(("one", "two", "three")[:count], start=1):
        StepRun.objects.create(run=run, position=position, key=key, kind="command")


def write_lines(run, first: int, last: int, *, push: bool = True) -> None:
    rows = [(run.pk, None, 1, "gmx1a", seq, "out", f"line {seq}", timezone.now()) for seq in range(first, last + 1)]
    with transaction.atomic():  # as the step's log writer (procedures.execution.logwriter.StepLog) stores a batch
        store_lines(rows)
    if push:
        emitter.publish_lines(run.pk, rows)


async def connect(user, run_id: int, after: int | None = None) -> WebsocketCommunicator:
    path = f"/ws/runs/{run_id}/" + (f"?after={after}" if after is not None else "")
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    ws.scope["user"] = user
    return ws


async def receive_until(ws, last_seq: int, timeout: float = 10) -> list[dict]:
    """Every message up to the log line ``last_seq``, in the order received."""
    messages = []
    while not any(m["type"] == "log" and m["seq"] >= last_seq for m in messages):
        messages.extend(emitter.expand(json.loads(await ws.receive_from(timeout=timeout))))
    return messages


def seqs(messages) -> list[int]:
    return [m["seq"] for m in messages if m["type"] == "log"]


async def test_a_viewer_gets_the_backlog_then_live_lines_once_each(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    await database_sync_to_async(write_lines)(run, 1, 5, push=False)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    backlog = await receive_until(ws, 5)
    assert seqs(backlog) == [1, 2, 3, 4, 5]
    assert backlog[0] == {**backlog[0], "type": "log", "host": "gmx1a", "stream": "out", "text": "line 1"}
    await database_sync_to_async(write_lines)(run, 6, 8)
    assert seqs(await receive_until(ws, 8)) == [6, 7, 8]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_a_reconnecting_viewer_gets_only_what_follows_its_last_seq(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    await database_sync_to_async(write_lines)(run, 1, 10, push=False)
    ws = await connect(operator, run.pk, after=7)
    assert (await ws.connect())[0]
    assert seqs(await receive_until(ws, 10)) == [8, 9, 10]
    await ws.disconnect()


async def test_lines_the_channel_layer_lost_are_read_back_from_the_database(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 3)
    await database_sync_to_async(write_lines)(run, 4, 6, push=False)  # a push that never arrived
    await database_sync_to_async(write_lines)(run, 7, 9)
    assert seqs(await receive_until(ws, 9)) == list(range(1, 10))
    await ws.disconnect()


async def test_a_lost_final_push_is_caught_by_the_idle_check(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 4, push=False)
    assert seqs(await receive_until(ws, 4, timeout=10)) == [1, 2, 3, 4]
    await ws.disconnect()


async def test_a_burst_larger_than_a_push_arrives_complete_and_in_order(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 5000)  # over MAX_PUSH_LINES: split into several pushes
    assert seqs(await receive_until(ws, 5000)) == list(range(1, 5001))
    await ws.disconnect()


async def test_state_changes_follow_the_lines_written_before_them(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    assert [m["type"] for m in json.loads(await ws.receive_from())] == ["run"]  # the states on connecting
    await database_sync_to_async(write_lines)(run, 1, 3, push=False)
    await database_sync_to_async(emitter.publish_run)(run.pk)
    messages = await receive_until(ws, 3)
    while not any(m["type"] == "run" for m in messages):
        messages.extend(emitter.expand(json.loads(await ws.receive_from(timeout=5))))
    assert [m["type"] for m in messages] == ["log", "log", "log", "run"]
    assert messages[-1]["state"] == "planned"
    await ws.disconnect()


async def test_after_the_backlog_a_viewer_learns_the_current_state_of_the_run_and_each_step(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    await database_sync_to_async(add_steps)(run, 2)
    await database_sync_to_async(write_lines)(run, 1, 3, push=False)
    ws = await connect(operator, run.pk)
    assert (await ws.connect())[0]
    messages = await receive_until(ws, 3)
    while not any(m["type"] == "run" for m in messages):
        messages.extend(emitter.expand(json.loads(await ws.receive_from(timeout=5))))
    assert [m["type"] for m in messages] == ["log", "log", "log", "run", "step", "step"]
    assert [(m["key"], m["state"]) for m in messages[4:]] == [("one", "pending"), ("two", "pending")]
    await ws.disconnect()


async def test_anonymous_users_are_refused(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(AnonymousUser(), run.pk)
    connected, code = await ws.connect()
    assert not connected and code == 4401


async def test_users_of_another_domain_are_refused(operator, outsider, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(outsider, run.pk)
    connected, code = await ws.connect()
    assert not connected and code == 4403


async def test_the_full_application_refuses_a_foreign_origin(operator, domain):
    from portal.asgi import application

    run = await database_sync_to_async(make_run)(domain, operator)
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await ws.connect()
    assert not connected


async def test_viewers_receive_the_same_lines_concurrently(operator, viewer, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    sockets = [await connect(user, run.pk) for user in (operator, viewer, operator)]
    for ws in sockets:
        assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 300)
    results = await asyncio.gather(*(receive_until(ws, 300) for ws in sockets))
    assert all(seqs(r) == list(range(1, 301)) for r in results)
    for ws in sockets:
        await ws.disconnect()
