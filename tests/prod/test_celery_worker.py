"""Steps executed by a real Celery worker over SSH, watched through Daphne and the Redis channel layer."""

import asyncio
import json
import re
import subprocess
import sys
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect as ws_connect

from procedures import services
from procedures.choices import HostState, RunState, StepState, Stream
from procedures.execution import dispatch
from procedures.live import emitter
from procedures.models import ProcedureRun, RunEvent, RunLogLine, StepRun
from tests.fixtures.prod import ROOT, process_env, redeliver_unacked
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until
from tests.support import shown

pytestmark = pytest.mark.prod
SETTLED = (RunState.COMPLETED, RunState.WAITING, RunState.ABORTED)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def approved_run(world, command: str):
    run = services.create_run(
        world.cluster, make_plan(world.cluster, [command_step("remote", [host_ref(world.node1, command)])]),
        user=world.operator,
    )  # fmt: skip
    services.approve_run(run.pk, user=world.approver)
    return run


class GroupListener(threading.Thread):
    """Joins a run's group on the Redis channel layer, as a web process does, and keeps what arrives."""

    def __init__(self, group: str):
        super().__init__(name=f"listen-{group}", daemon=True)
        self.group, self.events, self.ready = group, [], threading.Event()
        self.layer = get_channel_layer()
        self.channel = None

    def run(self):
        asyncio.run(self._listen())

    async def _listen(self):
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.ready.set()
        while True:
            event = await self.layer.receive(self.channel)
            if event["type"] == "test.stop":
                break
            self.events.append(event)
        await self.layer.group_discard(self.group, self.channel)

    def stop(self):
        async_to_sync(self.layer.send)(self.channel, {"type": "test.stop"})
        self.join(30)

    def pushed_seqs(self) -> list[int]:
        frames = [json.loads(e["frame"]) for e in self.events if e["type"] == "run.lines"]
        return [m["seq"] for f in frames for m in emitter.expand(f)]


def test_a_step_run_by_the_celery_worker_streams_every_line_once_in_order_to_a_websocket(
    prod_world, celery_workers, daphne_server, settings
):
    w = prod_world
    worker = celery_workers("stream")
    settings.PORTAL_DISPATCH, settings.CELERY_TASK_DEFAULT_QUEUE = "celery", worker.queue
    count = 300
    cmd = (
        f'i=0; while [ $i -lt {count} ]; do i=$((i+1)); echo "line $i"; [ $((i % 50)) -eq 0 ] && sleep 0.2; done; true'
    )
    run = approved_run(w, cmd)

    listener = GroupListener(emitter.run_group(run.pk))
    listener.start()
    assert listener.ready.wait(30)
    messages = []
    with ws_connect(
        f"{daphne_server.ws_url}/ws/runs/{run.pk}/",
        origin=daphne_server.http_url,
        additional_headers={"Cookie": session_cookie(w.viewer)},
        proxy=None,
        open_timeout=30,
    ) as ws:
        services.start_run(run.pk, user=w.operator)  # after commit: the doorbell goes to the worker's queue
        while not any(m["type"] == "run" and m["state"] in SETTLED for m in messages):
            try:
                messages.extend(emitter.expand(json.loads(ws.recv(timeout=90))))
            except TimeoutError:
                pytest.fail(f"no more messages; worker log:\n{worker.log()[-3000:]}\ndaphne:\n{daphne_server.log()}")
    listener.stop()

    run.refresh_from_db()
    step = run.steps.get()
    assert run.state == RunState.COMPLETED, (run.wait_message, worker.log()[-3000:])
    assert step.state == StepState.SUCCEEDED
    # The worker process ran it (worker ids are host:pid:thread:…), not this test process.
    assert step.worker.split(":")[1] == str(worker.pid)

    logs = [m for m in messages if m["type"] == "log"]
    stored = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", "stream", "text"))
    assert [m["seq"] for m in logs] == [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))
    assert [m["text"] for m in logs if m["stream"] == Stream.STDOUT] == [f"line {i}" for i in range(1, count + 1)]
    # System lines are stored as messages and reach this viewer (no language chosen) in the site's language.
    read = [(seq, stream, shown(text, settings.LANGUAGE_CODE) if stream == Stream.SYSTEM else text)
            for seq, stream, text in stored]  # fmt: skip
    assert [(m["seq"], m["stream"], m["text"]) for m in logs] == read
    states = [m["state"] for m in messages if m["type"] == "step"]
    assert states[-1] == StepState.SUCCEEDED and messages[-1]["state"] == RunState.COMPLETED

    # And those lines went through Redis: the worker's pushes reached a listener on the same layer, once each.
    pushed = listener.pushed_seqs()
    stdout_seqs = [seq for seq, stream, _ in stored if stream == Stream.STDOUT]
    assert pushed == sorted(set(pushed)) and set(stdout_seqs) <= set(pushed)


def test_a_celery_worker_killed_mid_step_is_reaped_as_interrupted_and_nothing_runs_again(
    prod_world, celery_workers, lab_ssh, settings
):
    w = prod_world
    worker = celery_workers("crash")
    settings.PORTAL_DISPATCH, settings.CELERY_TASK_DEFAULT_QUEUE = "celery", worker.queue
    starts = f"/var/opt/portal-prod-starts-{w.cluster.pk}"  # on the lab node
    cmd = f'echo started >> {starts}; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "line $i"; sleep 0.01; done'
    run = approved_run(w, cmd)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    wait_until(
        lambda: RunLogLine.objects.filter(run=run, stream=Stream.STDOUT).count() >= 30,
        timeout=90,
        what=f"the worker to store output; its log:\n{worker.log()[-3000:]}",
    )
    step.refresh_from_db()
    assert step.state == StepState.RUNNING and step.worker.split(":")[1] == str(worker.pid)

    assert worker.kill() == -9  # SIGKILL: no clean-up, the broker message stays unacknowledged
    stored = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", "stream", "text"))
    assert [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))  # no hole
    output = [text for _, stream, text in stored if stream == Stream.STDOUT]
    assert output == [f"line {i}" for i in range(1, len(output) + 1)]  # every line, in order, none doubled
    assert StepRun.objects.get(pk=step.pk).state == StepState.RUNNING  # nobody knows yet

    reaper = subprocess.run(
        [sys.executable, "manage.py", "reap", "--stale-after", "0"],
        cwd=ROOT, env=process_env(PORTAL_LANGUAGE="en"), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert reaper.returncode == 0, reaper.stderr
    assert reaper.stdout.splitlines() == [f"step {step.pk}: interrupted"]
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.INTERRUPTED and "outcome on the host is unknown" in shown(step.message)
    assert (run.state, run.wait_reason) == (RunState.WAITING, "failure")
    assert step.host_results.get().state == HostState.INTERRUPTED
    after = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", "stream", "text"))
    assert after[: len(stored)] == stored and after[-1][1] == Stream.SYSTEM

    # The killed worker never acknowledged its message (acks late). Redelivered to another worker, it runs nothing.
    (task_id,) = re.findall(r"Task procedures\.execute_step\[([0-9a-f-]+)\] received", worker.log())
    again = celery_workers("crash-again", queue=worker.queue)
    assert redeliver_unacked(worker.queue) == 1
    again.wait_for_log(f"procedures.execute_step[{task_id}] succeeded", what="the redelivered message to be handled")
    dispatch.send_to_workers(step.pk, step.attempt)  # and a doubled doorbell, for good measure
    again.wait_for_log("succeeded in", count=2, what="the doubled message to be handled")
    assert StepRun.objects.get(pk=step.pk).state == StepState.INTERRUPTED
    assert RunEvent.objects.filter(step=step, action="claim").count() == 1
    assert lab_ssh(w.node1.host_name, f"cat {starts}").stdout.splitlines() == ["started"]
    assert ProcedureRun.objects.get(pk=run.pk).state == RunState.WAITING
