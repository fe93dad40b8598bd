"""Over real SSH: a command that floods its output still times out and can be aborted, an abort that comes before
the remote process group is known still kills it, a step already being aborted never starts, and hostile output
(NUL, bytes that are not UTF-8, a 10 MB line, ``\\r``-only progress) is stored whole while the step goes on.
"""

import time
import uuid

import pytest
from django.utils import timezone

from procedures import services
from procedures.choices import HostState, RunState, StepState, Stream
from procedures.execution import engine, ssh
from procedures.models import ProcedureRun, RunLogLine, StepHostResult, StepRun
from procedures.models.logs import LINE_MAX
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until

pytestmark = pytest.mark.lab


def plan_and_start(world, steps) -> ProcedureRun:
    run = services.create_run(world.cluster, make_plan(world.cluster, steps), user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=world.operator)
    return run


def settled(run_id: int, *states):
    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        return run if run.state in states and not run.steps.filter(state=StepState.RUNNING).exists() else None

    return check


def running_on(lab_ssh, host: str, text: str) -> list[str]:
    """The node's processes (zombies are over) whose command line holds ``text``."""
    listing = lab_ssh(host, "ps -e -o stat= -o args=").stdout.splitlines()
    return [line for line in listing if text in line and not line.lstrip().startswith("Z") and " ps -e" not in line]


def test_a_command_that_floods_its_output_still_times_out_and_is_gone_from_the_node(run_world, lab_ssh):
    w = run_world
    tag = f"portal-flood-{uuid.uuid4().hex[:8]}"
    run = plan_and_start(w, [command_step("yes", [host_ref(w.node1, f"yes {tag}")], timeout_s=2)])
    run = wait_until(settled(run.pk, RunState.WAITING, RunState.COMPLETED), timeout=60, what="the flood to time out")
    step = run.steps.get()
    result = step.host_results.get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.TIMED_OUT), result.message
    assert "none of its processes is left" in result.abort_outcome
    assert running_on(lab_ssh, w.node1.host_name, tag) == []
    assert RunLogLine.objects.filter(run=run, stream=Stream.STDOUT, text=tag).count() > 1000  # it did flood


def test_a_command_that_floods_its_output_can_be_aborted_and_is_gone_from_the_node(run_world, lab_ssh):
    w = run_world
    tag = f"portal-flood-{uuid.uuid4().hex[:8]}"
    run = plan_and_start(w, [command_step("yes", [host_ref(w.node1, f"yes {tag}")], timeout_s=600)])
    wait_until(lambda: RunLogLine.objects.filter(run=run, text=tag).exists(), what="the flood to start")
    services.abort_run(run.pk, user=w.operator2, reason="floods")
    run = wait_until(settled(run.pk, RunState.ABORTED), timeout=60, what="the abort")
    result = run.steps.get().host_results.get()
    assert result.state == HostState.ABORTED, result.message
    assert "none of its processes is left" in result.abort_outcome
    assert running_on(lab_ssh, w.node1.host_name, tag) == []


def test_an_abort_before_the_process_group_is_known_waits_for_it_and_kills_it(run_world, lab_ssh):
    w = run_world
    seconds = 4000 + w.cluster.pk
    endpoint = ssh.Endpoint.of(w.node1)
    conn = ssh.connect(endpoint)
    try:  # the abort is there before the command has printed anything, its process group line included
        outcome = ssh.execute(
            conn, f"sleep {seconds}", on_block=lambda stream, data: None, on_pgid=lambda pgid: None,
            timeout_s=60, should_abort=lambda: True,
        )  # fmt: skip
    finally:
        conn.close()
    assert outcome.aborted and outcome.pgid, outcome
    assert ssh.kill_process_group(endpoint, outcome.pgid, grace_s=1) == "TERMINATED"
    assert running_on(lab_ssh, w.node1.host_name, f"sleep {seconds}") == []


def test_a_step_whose_run_is_being_aborted_is_never_started(run_world, lab_ssh):
    w = run_world
    marker = f"/var/opt/portal-never-{uuid.uuid4().hex[:8]}"
    run = services.create_run(
        w.cluster, make_plan(w.cluster, [command_step("touch", [host_ref(w.node1, f"touch {marker}")])]),
        user=w.operator,
    )  # fmt: skip
    services.approve_run(run.pk, user=w.approver)
    from django.test import override_settings

    with override_settings(PORTAL_DISPATCH="none"):  # started, but no worker has claimed it yet
        services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    # An abort recorded while the step waits for its worker (what abort_run records for a step it believes a
    # living worker holds); the worker's claim comes after it.
    now = timezone.now()
    ProcedureRun.objects.filter(pk=run.pk).update(abort_requested_at=now, abort_reason="wrong", aborted_by=w.operator2)
    StepRun.objects.filter(pk=step.pk).update(abort_requested_at=now, abort_requested_by=w.operator2)
    assert engine.execute_step(step.pk, attempt=step.attempt) is None
    run.refresh_from_db()
    step.refresh_from_db()
    assert run.state == RunState.ABORTED and step.state == StepState.FAILED
    assert not StepHostResult.objects.filter(step=step).exists()  # no host was even connected to
    assert lab_ssh(w.node1.host_name, f"test -e {marker} && echo ran || echo never").stdout.strip() == "never"


def test_hostile_output_over_ssh_is_stored_whole_and_the_step_goes_on(run_world):
    w = run_world
    cmd = (
        r"printf 'nul \000 here\nbad \377\376 bytes\n'; "
        r"head -c 10000000 /dev/zero | tr '\000' x; echo; "
        r"i=0; while [ $i -lt 3000 ]; do printf 'copying %d%%\r' $i; i=$((i + 1)); done; echo; "
        "echo still here"
    )
    run = plan_and_start(w, [command_step("hostile", [host_ref(w.node1, cmd)], timeout_s=120)])
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING), timeout=120, what="the step")
    assert run.state == RunState.COMPLETED, run.wait_message
    lines = list(RunLogLine.objects.filter(run=run, stream=Stream.STDOUT).order_by("seq"))
    assert [(line.text, line.escaped) for line in lines[:2]] == [
        ("nul \\x00 here", True),
        ("bad \\xff\\xfe bytes", True),
    ]
    assert lines[0].raw == b"nul \x00 here" and lines[1].raw == b"bad \xff\xfe bytes"
    long = [line for line in lines[2:] if set(line.text) == {"x"}]
    assert b"".join(line.raw for line in long) == b"x" * 10_000_000
    assert all(len(line.raw) <= LINE_MAX for line in lines)
    assert [line.continued for line in long] == [False] + [True] * (len(long) - 1)
    progress = b"".join(
        line.raw for line in lines if line.text.startswith("copying") or (line.continued and "%" in line.text)
    )
    assert progress == b"".join(b"copying %d%%\r" % i for i in range(3000))[:-1]  # the last CR + LF: a line end
    assert lines[-1].text == "still here"


def _read(node, command: str, window_s: float) -> list[tuple[float, str, bytes]]:
    """``ssh.execute`` of ``command`` with a reader window: each block handed on, with when it was."""
    blocks = []
    conn = ssh.connect(ssh.Endpoint.of(node))
    try:
        outcome = ssh.execute(
            conn, command, on_block=lambda stream, data: blocks.append((time.time(), stream, data)),
            on_pgid=lambda pgid: None, timeout_s=60, should_abort=lambda: False, window_s=window_s,
        )  # fmt: skip
    finally:
        conn.close()
    assert outcome.exit_code == 0, outcome
    return blocks


def test_lines_flushed_one_at_a_time_go_on_in_blocks_of_a_window(run_world):
    # 60 lines over about 1.2 s, each flushed on its own (one SSH packet each); a 0.4 s window gathers them.
    command = "i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i + 1)); sleep 0.02; done"
    blocks = _read(run_world.node1, command, window_s=0.4)
    assert b"".join(data for _t, _s, data in blocks) == b"".join(b"line %d\n" % i for i in range(60))
    assert len(blocks) <= 8, [data for _t, _s, data in blocks]  # 60 without the window


def test_a_line_after_a_quiet_spell_goes_on_at_once_not_after_a_window(run_world):
    # The window opens with a hand-on and never waits for more: a line printed after a silence longer than the
    # window goes on as it comes (held for a window from its first byte, it would arrive 4 s late).
    command = "echo first; sleep 5; date +%s.%N; sleep 0.5"
    blocks = _read(run_world.node1, command, window_s=4)
    (_first_at, _s, first), (second_at, _s, second) = blocks
    assert first == b"first\n"
    printed = float(second.decode())
    assert second_at - printed < 2, (second_at - printed, blocks)
