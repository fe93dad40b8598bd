"""A worker killed with SIGKILL mid-step, and two starts racing for one cluster."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from procedures import services
from procedures.choices import HostState, RunState, StepState, Stream
from procedures.exceptions import ClusterBusy
from procedures.execution import engine
from procedures.models import RunLogLine, StepRun
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until
from tests.support import shown

ROOT = Path(__file__).resolve().parents[2]


def _subprocess_env():
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    env["PORTAL_PROFILE"] = "embedded"
    return env


def test_worker_killed_mid_step_is_reaped_as_interrupted_keeping_every_line(run_world, lab_ssh, settings):
    settings.PORTAL_DISPATCH = "none"  # this test runs the executor itself, in another process
    w = run_world
    starts = f"/var/opt/portal-starts-{w.cluster.pk}"  # on the lab node
    cmd = f'echo started >> {starts}; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "line $i"; sleep 0.01; done'
    run = services.create_run(
        w.cluster, make_plan(w.cluster, [command_step("long", [host_ref(w.node1, cmd)])]), user=w.operator
    )
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_step", str(step.pk)],
        cwd=ROOT,
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: RunLogLine.objects.filter(run=run, stream=Stream.STDOUT).count() >= 30,
            what="the worker to store output",
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    assert worker.returncode == -signal.SIGKILL
    stored = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", "stream", "text"))
    assert [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))  # no hole
    output = [text for _, stream, text in stored if stream == Stream.STDOUT]
    assert output == [f"line {i}" for i in range(1, len(output) + 1)]  # every line, in order, none doubled

    assert StepRun.objects.get(pk=step.pk).state == StepState.RUNNING  # nobody knows yet
    with translation.override("en"):  # the reaper writes its message in the language active here
        assert services.reap_stale_steps(timedelta(0)) == [step.pk]
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.INTERRUPTED and "outcome on the host is unknown" in shown(step.message)
    assert (run.state, run.wait_reason) == (RunState.WAITING, "failure")
    assert step.host_results.get().state == HostState.INTERRUPTED
    after = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", "stream", "text"))
    assert after[: len(stored)] == stored and after[-1][1] == Stream.SYSTEM

    # Nothing re-runs it by itself: a redelivered message, a second worker, the reaper again.
    assert engine.execute_step(step.pk) is None
    again = subprocess.run(
        [sys.executable, "manage.py", "run_step", str(step.pk)],
        cwd=ROOT,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "not this worker's" in again.stderr
    assert services.reap_stale_steps(timedelta(0)) == []
    assert lab_ssh(w.node1.host_name, f"cat {starts}").stdout.splitlines() == ["started"]
    assert StepRun.objects.get(pk=step.pk).state == StepState.INTERRUPTED


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_once_on_one_cluster_exactly_one_starts(settings):
    from tests.fixtures.runs import build_world, console_step

    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    runs = []
    for _ in range(2):
        run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)
        services.approve_run(run.pk, user=w.approver)
        runs.append(run)
    barrier = threading.Barrier(2)
    outcomes = {}

    def start(run, user):
        try:
            barrier.wait(10)
            services.start_run(run.pk, user=user)
            outcomes[run.pk] = "started"
        except ClusterBusy as e:
            outcomes[run.pk] = e
        finally:
            connection.close()

    threads = [
        threading.Thread(target=start, args=(run, user))
        for run, user in zip(runs, (w.operator, w.operator2), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(str(type(v).__name__) for v in outcomes.values()) == ["ClusterBusy", "str"]
    winner = next(pk for pk, v in outcomes.items() if v == "started")
    loser = next(v for v in outcomes.values() if v != "started")
    assert str(winner) in str(loser) and w.cluster.name in str(loser)
    states = {r.pk: r.state for r in (type(runs[0]).objects.filter(pk__in=[r.pk for r in runs]))}
    assert sorted(states.values()) == [RunState.APPROVED, RunState.WAITING]  # the console step waits
