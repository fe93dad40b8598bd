"""The lab's life cycle and its faults: ``lab up`` / ``lab down`` leave nothing behind; broken nodes fail as broken
machines do (no answer, a command that never returns, a slow one, one that prints 100,000 lines).
"""

import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from procedures import services
from procedures.choices import HostState, RunState, StepState
from procedures.models import ProcedureRun
from tests.fixtures.lab import LabSsh
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until
from tests.lab import k5
from tests.support import shown

pytestmark = pytest.mark.lab


def processes_of(root: Path) -> dict[int, str]:
    """Every process of this machine that names the lab folder on its command line or carries its LAB_ROOT."""
    marker, found = f"LAB_ROOT={root}".encode(), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as fh:
                zombie = fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if not zombie and (str(root) in cmdline or marker in environ):
            found[int(entry)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (an sshd's sessions keep no trace of the lab on their command line)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def pgrep(pattern: str) -> list[str]:
    result = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()


def lab_command(*args) -> str:
    out = StringIO()
    call_command("lab", *args, stdout=out)
    return out.getvalue()


def test_lab_up_then_down_leaves_no_process_behind(db, fresh_lab, tmp_path):
    lab, root = fresh_lab, fresh_lab.root
    up = lab_command("up", "--root", str(root))
    for node in lab.nodes:
        assert f"{node.ssh_address}:{node.ssh_port}" in up and node.host_key_fingerprint in up
    assert len(pgrep(f"sshd.*{root}")) >= len(lab.nodes)  # one listening sshd per node
    # The package runs with its two service monitors (adstatp, mlstatp) started by cmrunserv.
    cluster = lab.spec.cluster("gmxcl01")
    for step in k5.new_master_steps(lab.spec, cluster):
        step.check(lab.node(step.host).run(step.command, input=step.input))
    monitors = [cmd for cmd in processes_of(root).values() if "/adstatp" in cmd or "/mlstatp" in cmd]
    assert len(monitors) == 2, monitors
    # A session still connected, and a command left running in the background of another one.
    ssh = LabSsh(lab, tmp_path)
    connected = subprocess.Popen([*ssh.argv("gmx1b"), "lab-hang"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    background = ssh("mailsv03", "nohup lab-hang >/dev/null 2>&1 &")
    assert background.returncode == 0, background.stderr
    hanging = lambda: [cmd for cmd in processes_of(root).values() if cmd.endswith("/lab-hang ")]  # noqa: E731
    wait_until(lambda: len(hanging()) == 2, 30, "both lab-hangs to run")

    started = set(processes_of(root)) | {pid for s in lab.status() for pid in descendants(s.pid)}
    assert len(started) > len(lab.nodes) + 4  # sshds, their sessions, monitors, the hanging commands

    down = lab_command("down", "--root", str(root))

    assert "no lab process is left" in down
    connected.wait(timeout=30)  # its sshd session is gone, so the client's connection closed
    assert connected.returncode != 0
    assert processes_of(root) == {}
    assert pgrep(str(root)) == []
    assert [pid for pid in started if alive(pid)] == []
    status = lab_command("status", "--root", str(root))
    nodes = [line.split() for line in status.splitlines() if line.startswith("  ") and " cluster " not in line]
    assert {words[0]: words[-1] for words in nodes} == {node.host_name: "down" for node in lab.nodes}, status


def test_a_node_that_is_down_does_not_answer_until_the_fault_is_cleared(fresh_lab, tmp_path):
    fresh_lab.up()
    ssh = LabSsh(fresh_lab, tmp_path)
    assert ssh("gmx1a", "hostname").stdout.strip() == "gmx1a"
    fresh_lab.node("gmx1a").set_fault("down")

    silent = subprocess.run([*ssh.argv("gmx1a", connect_timeout=2), "hostname"], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip

    assert silent.returncode == 255 and silent.stdout == ""
    assert "timed out" in silent.stderr
    assert ssh("gmx1b", "hostname").stdout.strip() == "gmx1b"  # the other node still answers
    assert [s.fault for s in fresh_lab.status() if s.host_name == "gmx1a"] == ["down"]
    fresh_lab.node("gmx1a").set_fault(None)
    assert ssh("gmx1a", "hostname").stdout.strip() == "gmx1a"


def test_lab_flood_prints_exactly_100000_lines_over_ssh(fresh_lab, tmp_path):
    fresh_lab.up()
    flood = LabSsh(fresh_lab, tmp_path)("gmx2a", "lab-flood 100000", timeout=120)
    assert flood.returncode == 0, flood.stderr
    lines = flood.stdout.splitlines()
    assert len(lines) == 100_000
    assert lines == [f"line {n:06d} of 100000" for n in range(1, 100_001)]


def plan_and_start(world, steps) -> ProcedureRun:
    run = services.create_run(world.cluster, make_plan(world.cluster, steps), user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=world.operator)
    return run


def running_on(lab_ssh, host: str, text: str) -> list[str]:
    """The node's processes (zombies are over) whose command line holds ``text``."""
    listing = lab_ssh(host, "ps -e -o stat= -o args=").stdout.splitlines()
    return [line for line in listing if text in line and not line.lstrip().startswith("Z") and " ps -e" not in line]


def waiting(run_id: int):
    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        return run if run.state == RunState.WAITING else None

    return check


def test_a_command_on_a_hanging_node_times_out_and_is_killed_there(run_world, lab_ssh):
    w = run_world
    host = w.node1.host_name
    w.lab.node(host).set_fault("hang")
    try:
        assert lab_ssh(host, "echo shell answers").stdout.strip() == "shell answers"  # only its commands hang
        run = plan_and_start(w, [command_step("view", [host_ref(w.node1, "cmviewcl -v")], timeout_s=2)])
        run = wait_until(waiting(run.pk), what="the hanging step to time out")
        step = run.steps.get()
        result = step.host_results.get()
        assert (step.state, result.state) == (StepState.FAILED, HostState.TIMED_OUT), shown(result.message)
        assert "none of its processes is left" in result.abort_outcome
        assert running_on(lab_ssh, host, "cmviewcl -v") == []
    finally:
        w.lab.node(host).set_fault(None)
    answered = lab_ssh(host, "cmviewcl", timeout=30)
    assert answered.returncode == 1  # answers again, as a node whose cluster is not configured yet
    assert answered.stderr.startswith("cmviewcl: Cannot view the cluster configuration")


def test_a_slow_command_past_its_time_out_fails_the_step_and_leaves_nothing_running(run_world, lab_ssh):
    w = run_world
    run = plan_and_start(w, [command_step("slow", [host_ref(w.node2, "lab-slow 600")], timeout_s=1)])
    run = wait_until(waiting(run.pk), what="the slow step to time out")
    result = run.steps.get().host_results.get()
    assert result.state == HostState.TIMED_OUT
    assert running_on(lab_ssh, w.node2.host_name, "lab-slow 600") == []
    done = lab_ssh(w.node2.host_name, "lab-slow 0.2")
    assert (done.returncode, done.stdout) == (0, "lab-slow: done after 0.2 seconds\n")


def test_linux_only_tools_are_not_found_on_a_lab_node_as_on_hp_ux(fresh_lab):
    node = fresh_lab.node("gmx1a")
    for command in ("setsid sleep 1", "/usr/bin/setsid -w true", "timeout 5 true"):
        result = node.run(command)
        assert (result.returncode, result.stdout) == (127, ""), command
        assert result.stderr == f"sh: {command.split()[0].rsplit('/', 1)[-1]}:  not found.\n"
    assert node.run("ps -e -o pid= -o ppid= | awk 'NF == 2' | head -1").stdout.strip() != ""  # what the abort uses


def test_a_time_out_also_stops_what_the_command_left_running_in_the_background(run_world, lab_ssh):
    w = run_world
    tag = f"portal-orphan-{w.cluster.pk}"
    cmd = f"(sh -c 'trap \"\" TERM; while :; do sleep 1; done' {tag} &); echo started; sleep 600"
    run = plan_and_start(w, [command_step("orphan", [host_ref(w.node1, cmd)], timeout_s=2)])
    run = wait_until(waiting(run.pk), what="the step to time out")
    result = run.steps.get().host_results.get()
    assert result.state == HostState.TIMED_OUT
    assert "killed (SIGKILL); none of its processes is left" in result.abort_outcome  # the job ignored TERM
    assert running_on(lab_ssh, w.node1.host_name, tag) == []
