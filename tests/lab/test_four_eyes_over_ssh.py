"""Four-eyes before the command, on the lab over real SSH: until an approver approves, nothing reaches the node.

The lab node keeps a log of every command it was asked to run (``LabNode.commands()``, written by the node's
way in before the command starts), so "nothing was sent" is read on the node, not inferred from the portal.
"""

from pathlib import Path

import pytest

from procedures import services
from procedures.choices import RunState, StepState, Verdict, WaitReason
from procedures.execution import dispatch
from procedures.models import ProcedureRun
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until

pytestmark = pytest.mark.lab


def node_file(lab, host: str, path: str) -> Path:
    return lab.layout.node_dir(host) / "root" / path.lstrip("/")


def settled(run_id):
    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        busy = run.state == RunState.RUNNING or run.steps.filter(state=StepState.RUNNING).exists()
        return None if busy else run

    return check


def plan_and_start(w, command: str):
    steps = [command_step("a08", [host_ref(w.node2, command)], needs_signoff=True)]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator2)
    return run, run.steps.get()


def test_nothing_reaches_the_node_before_the_approval_then_the_command_runs_once(run_world):
    w = run_world
    marker = f"/var/opt/portal-four-eyes-{w.cluster.pk}"
    command = f"touch {marker}; echo removed"
    node = w.lab.node(w.node2.host_name)
    before = len(node.commands())
    run, step = plan_and_start(w, command)
    dispatch.drain_pool()  # anything sent to the embedded pool would have run by now

    run.refresh_from_db()
    step.refresh_from_db()
    assert (run.state, run.wait_reason, step.state) == (
        RunState.WAITING,
        WaitReason.APPROVAL,
        StepState.AWAITING_APPROVAL,
    )
    assert node.commands()[before:] == []  # not one command, not even a connection that ran something
    assert not node_file(w.lab, w.node2.host_name, marker).exists()
    assert not step.host_results.exists()

    services.approve_step(step.pk, user=w.approver2)
    run = wait_until(settled(run.pk), what="the approved step to run and the run to complete")
    assert run.state == RunState.COMPLETED, run.wait_message
    assert node_file(w.lab, w.node2.host_name, marker).exists()
    sent = [c for c in node.commands()[before:] if marker in c]
    assert len(sent) == 1  # sent once, after the approval


def test_a_rejected_command_never_reaches_the_node(run_world):
    w = run_world
    marker = f"/var/opt/portal-rejected-{w.cluster.pk}"
    node = w.lab.node(w.node2.host_name)
    before = len(node.commands())
    run, step = plan_and_start(w, f"touch {marker}")
    services.approve_step(step.pk, user=w.approver2, verdict=Verdict.REJECT, note="not in this window")
    dispatch.drain_pool()
    run.refresh_from_db()
    step.refresh_from_db()
    assert (run.state, run.wait_reason, step.state) == (RunState.WAITING, WaitReason.FAILURE, StepState.FAILED)
    assert step.message == "not in this window"
    assert node.commands()[before:] == [] and not node_file(w.lab, w.node2.host_name, marker).exists()
