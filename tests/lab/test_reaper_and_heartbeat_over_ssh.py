"""Worker faults over real SSH: the embedded profile reaps what a dead web process left, and a worker that
cannot write its heartbeat stops its command and gives the step up (so a retry never runs it twice)."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from procedures import services
from procedures.choices import HostState, RunState, StepState, Stream
from procedures.models import ProcedureRun, RunLogLine, StepRun
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until
from tests.support import shown

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def started(w, cluster, node, command, *, timeout_s=600):
    run = services.create_run(
        cluster,
        make_plan(cluster, [command_step("s", [host_ref(node, command)], timeout_s=timeout_s)]),
        user=w.operator,
    )
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    return run, run.steps.get()


def env_for_subprocess(**extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}", PORTAL_PROFILE="embedded", PORTAL_LANGUAGE="en",
        **extra,
    )  # fmt: skip
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def running(lab_ssh, host, tag) -> bool:
    return (
        lab_ssh(host, f'pgrep -f "[{tag[0]}]{tag[1:]}" >/dev/null && echo running || echo gone').stdout.strip()
        == "running"
    )


def test_the_embedded_web_process_reaps_at_start_up_what_a_dead_one_left(run_world, settings):
    """Make demo's Daphne, started again after a crash: a step claimed by the dead process ends as interrupted at
    once (the stale limit here is an hour), and a step whose dispatch died with the old pool is run by the new."""
    settings.PORTAL_DISPATCH = "none"  # the test process only records; the Daphne below executes
    w = run_world
    run_a, orphan = started(
        w, w.cluster, w.node1, "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo l $i; sleep 0.05; done"
    )
    old = subprocess.Popen(
        [sys.executable, "manage.py", "run_step", str(orphan.pk)], cwd=ROOT, env=env_for_subprocess(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(
            lambda: RunLogLine.objects.filter(run=run_a, stream=Stream.STDOUT).count() >= 5, what="the old worker"
        )
    finally:
        old.send_signal(signal.SIGKILL)
        old.wait(30)
    other = w.domain.servers.exclude(cluster=w.cluster).exclude(cluster=None).first().cluster
    run_b, lost = started(w, other, other.nodes.order_by("position").first(), "echo asked again")
    assert StepRun.objects.get(pk=lost.pk).worker == ""  # its dispatch went nowhere (the old pool)

    daphne = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(free_port()), "portal.asgi:application"],
        cwd=ROOT, env=env_for_subprocess(PORTAL_DISPATCH="thread", PORTAL_STEP_STALE_S="3600"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        orphan = wait_until(
            lambda: StepRun.objects.filter(pk=orphan.pk, state=StepState.INTERRUPTED).first(),
            what="the start-up reaper to interrupt the dead process's step",
        )
        assert "is gone" in shown(orphan.message)
        assert ProcedureRun.objects.get(pk=run_a.pk).wait_reason == "failure"
        run_b = wait_until(
            lambda: ProcedureRun.objects.filter(pk=run_b.pk, state=RunState.COMPLETED).first(),
            what="the new web process to run the step whose dispatch was lost",
        )
        assert "asked again" in RunLogLine.objects.filter(run=run_b, stream=Stream.STDOUT).values_list(
            "text", flat=True
        )
    finally:
        daphne.terminate()
        daphne.wait(30)


def test_a_worker_that_cannot_write_its_heartbeat_stops_its_command_and_gives_the_step_up(
    run_world, lab_ssh, settings, monkeypatch
):
    settings.PORTAL_STEP_GIVE_UP_S = 2
    w = run_world
    tag = f"portal-no-heartbeat-{w.cluster.pk}"
    _run, step = started(w, w.cluster, w.node1, f"echo started; sh -c 'while :; do sleep 1; done' {tag}")
    wait_until(lambda: StepRun.objects.filter(pk=step.pk).exclude(worker="").exists(), what="the claim")
    wait_until(lambda: step.host_results.filter(pgid__isnull=False).exists(), what="the remote process group")
    assert running(lab_ssh, w.node1.host_name, tag)

    def database_gone(*args, **kwargs):
        raise OperationalError("the database server closed the connection")

    monkeypatch.setattr(services, "heartbeat", database_gone)  # every heartbeat write fails from now on
    step = wait_until(
        lambda: StepRun.objects.exclude(state=StepState.RUNNING).filter(pk=step.pk).first(),
        timeout=60, what="the worker to give the step up",
    )  # fmt: skip
    assert step.state == StepState.FAILED and "could not write its heartbeat" in shown(step.message)
    assert step.host_results.get().state == HostState.ABORTED
    assert not running(lab_ssh, w.node1.host_name, tag)  # stopped on the node: a retry cannot run it twice
