"""Executing steps over real SSH: output, success rules, fan-out, failure, retry, time-out, abort, host keys."""

import pytest

from procedures import services
from procedures.choices import HostState, RunState, StepState, Stream
from procedures.execution import logwriter
from procedures.models import ProcedureRun, RunLogLine, StepHostResult, StepRun
from procedures.plan import SuccessRule, Target
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan, pinned_key, wait_until
from tests.support import shown


def plan_and_start(world, steps):
    run = services.create_run(world.cluster, make_plan(world.cluster, steps), user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=world.operator)
    return run


def settled(run_id, *states):
    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        return run if run.state in states and not run.steps.filter(state=StepState.RUNNING).exists() else None

    return check


def lines(run, host=None, stream=None):
    qs = RunLogLine.objects.filter(run=run).order_by("seq")
    if host:
        qs = qs.filter(host=host)
    if stream:
        qs = qs.filter(stream=stream)
    return [shown(text) if kind == Stream.SYSTEM else text for kind, text in qs.values_list("stream", "text")]


def test_fan_out_step_streams_each_hosts_lines_and_completes(run_world):
    w = run_world
    cmd = "printf 'héllo 日本語\\n'; echo to-stderr >&2; hostname >/dev/null; echo done"
    run = plan_and_start(
        w, [command_step("both", [host_ref(w.node1, cmd), host_ref(w.node2, cmd)], target=Target.BOTH)]
    )
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING), what="the run to settle")
    assert run.state == RunState.COMPLETED, run.wait_message
    step = run.steps.get()
    results = list(StepHostResult.objects.filter(step=step))
    assert len(results) == 2 and {r.state for r in results} == {HostState.SUCCEEDED}
    assert all(r.exit_code == 0 and r.pgid for r in results)
    for ref in step.planned.hosts:
        assert lines(run, ref.label, Stream.STDOUT) == ["héllo 日本語", "done"]
        assert lines(run, ref.label, Stream.STDERR) == ["to-stderr"]
    seqs = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert not run.locks.exists()


def test_multibyte_character_split_across_reads_stays_whole(run_world):
    w = run_world
    # Ten lines of 20,000 three-byte characters (60,000 bytes each): the channel's reads (SSH packets of at
    # most 32 KiB, blocks of at most 64 KiB) end inside characters again and again.
    cmd = "for i in 1 2 3 4 5 6 7 8 9 10; do head -c 20000 /dev/zero | tr '\\0' a | sed 's/a/日/g'; echo; done"
    run = plan_and_start(w, [command_step("split", [host_ref(w.node1, cmd)])])
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING))
    assert run.state == RunState.COMPLETED
    assert lines(run, stream=Stream.STDOUT) == ["日" * 20000] * 10


def test_failing_step_stops_the_run_and_retry_runs_it_again(run_world):
    w = run_world
    marker = f"/var/opt/portal-retry-{w.cluster.pk}"  # on the lab node
    remote_cmd = f"if [ -e {marker} ]; then echo second; else touch {marker}; echo first >&2; exit 3; fi"
    run = plan_and_start(
        w, [command_step("flaky", [host_ref(w.node1, remote_cmd)]), command_step("after", [host_ref(w.node1, "true")])]
    )
    run = wait_until(settled(run.pk, RunState.WAITING, RunState.COMPLETED))
    step = run.steps.get(position=1)
    assert (run.state, run.wait_reason, step.state) == (RunState.WAITING, "failure", StepState.FAILED)
    assert "exit code 3" in shown(step.message)
    assert run.steps.get(position=2).state == StepState.PENDING
    services.retry_step(step.pk, user=w.operator2)
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING), what="the retried run")
    assert run.state == RunState.COMPLETED
    step.refresh_from_db()
    assert (step.state, step.attempt) == (StepState.SUCCEEDED, 2)
    assert StepHostResult.objects.filter(step=step).count() == 2
    assert lines(run, stream=Stream.STDOUT) == ["second"]
    actions = list(run.events.filter(step=step).values_list("action", flat=True))
    assert "retry" in actions and actions.count("finish") == 2


def test_success_rule_accepts_a_known_message_despite_the_exit_code(run_world):
    w = run_world
    rule = SuccessRule(accept_output="配布に失敗しました")
    cmd = "echo 'ドメイン名/ホスト名の配布に失敗しました。'; exit 1"
    run = plan_and_start(w, [command_step("adsrvn", [host_ref(w.node1, cmd)], success=rule)])
    assert wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING)).state == RunState.COMPLETED


def test_expected_output_missing_fails_even_with_exit_code_zero(run_world):
    w = run_world
    rule = SuccessRule(expect_output=r"/dev/vggmax/")
    run = plan_and_start(w, [command_step("bdf", [host_ref(w.node1, "echo /dev/other/lvol1")], success=rule)])
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING))
    assert run.steps.get().state == StepState.FAILED


def test_time_out_kills_the_remote_process_group(run_world, lab_ssh):
    w = run_world
    seconds = 3000 + w.cluster.pk
    tag = f"sleep {seconds}"
    run = plan_and_start(w, [command_step("slow", [host_ref(w.node1, f"echo start; {tag}")], timeout_s=1)])
    run = wait_until(settled(run.pk, RunState.WAITING, RunState.COMPLETED), what="the time-out")
    step = run.steps.get()
    result = step.host_results.get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.TIMED_OUT), (result.message, lines(run))
    assert "none of its processes is left" in result.abort_outcome
    assert lab_ssh(w.node1.host_name, f'pgrep -f "[{tag[0]}]{tag[1:]}" || echo gone').stdout.strip() == "gone"
    assert "start" in lines(run, stream=Stream.STDOUT)


def test_abort_of_a_hanging_command_stops_it_on_the_host(run_world, lab_ssh):
    w = run_world
    tag = f"portal-abort-{w.cluster.pk}"
    cmd = f"trap '' TERM; echo waiting; sh -c 'trap \"\" TERM; while :; do sleep 1; done' {tag}"
    run = plan_and_start(w, [command_step("hang", [host_ref(w.node1, cmd)], timeout_s=600)])
    step = run.steps.get()
    wait_until(lambda: StepHostResult.objects.filter(step=step, pgid__isnull=False).exists(), what="the pgid")
    wait_until(lambda: "waiting" in lines(run), what="the first line")
    assert (
        lab_ssh(w.node1.host_name, f'pgrep -f "[{tag[0]}]{tag[1:]}" >/dev/null && echo running').stdout.strip()
        == "running"
    )
    services.abort_run(run.pk, user=w.operator2, reason="hangs")
    run = wait_until(settled(run.pk, RunState.ABORTED), what="the abort")
    step.refresh_from_db()
    result = step.host_results.get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.ABORTED)
    assert "SIGKILL" in result.abort_outcome  # it ignored TERM
    assert lab_ssh(w.node1.host_name, f'pgrep -f "[{tag[0]}]{tag[1:]}" || echo gone').stdout.strip() == "gone"
    assert run.aborted_by == w.operator2 and not run.locks.exists()
    assert "abort" in run.events.values_list("action", flat=True)


def test_abort_of_one_step_leaves_the_run_waiting_for_a_decision(run_world):
    w = run_world
    run = plan_and_start(w, [command_step("hang", [host_ref(w.node1, "echo x; sleep 300")], timeout_s=600)])
    step = run.steps.get()
    wait_until(lambda: StepHostResult.objects.filter(step=step, pgid__isnull=False).exists())
    services.abort_step(step.pk, user=w.operator, reason="wrong window")
    run = wait_until(settled(run.pk, RunState.WAITING), what="the run to wait")
    step.refresh_from_db()
    assert step.state == StepState.FAILED and "TERM" in step.host_results.get().abort_outcome


def test_changed_host_key_fails_before_anything_is_sent(run_world, lab_ssh):
    w = run_world
    other = pinned_key(w.lab, w.node2.host_name)
    w.node1.host_key = other
    w.node1.save()
    marker = f"/var/opt/portal-hostkey-{w.cluster.pk}"
    run = plan_and_start(w, [command_step("k", [host_ref(w.node1, f"touch {marker}")])])
    run = wait_until(settled(run.pk, RunState.WAITING))
    result = run.steps.get().host_results.get()
    assert result.state == HostState.HOST_KEY
    assert "CHANGED" in shown(result.message)
    from clusters.validators import fingerprint, parse_host_key

    assert fingerprint(parse_host_key(pinned_key(w.lab, w.node1.host_name))[1]) in shown(result.message)  # seen
    assert fingerprint(parse_host_key(other)[1]) in shown(result.message)  # expected
    assert lab_ssh(w.node1.host_name, f"ls {marker} 2>/dev/null || echo absent").stdout.strip() == "absent"


def test_unknown_host_key_is_refused_with_the_fingerprint_seen(run_world):
    w = run_world
    w.node1.host_key = ""
    w.node1.save()
    run = plan_and_start(w, [command_step("k", [host_ref(w.node1, "true")])])
    run = wait_until(settled(run.pk, RunState.WAITING))
    result = run.steps.get().host_results.get()

    assert result.state == HostState.HOST_KEY
    assert w.lab.node(w.node1.host_name).host_key_fingerprint in shown(result.message)


def test_node_that_does_not_answer_fails_the_step_clearly(run_world):
    w = run_world
    steps = [command_step("both", [host_ref(w.node1, "echo ok"), host_ref(w.node2, "echo ok")], target=Target.BOTH)]
    w.lab.node(w.node2.host_name).set_fault("down")  # its sshd is stopped: connections get no answer
    try:
        run = plan_and_start(w, steps)
        run = wait_until(settled(run.pk, RunState.WAITING))
    finally:
        w.lab.node(w.node2.host_name).set_fault(None)
    results = {r.host_name: r for r in run.steps.get().host_results.all()}
    assert results[w.node1.host_name].state == HostState.SUCCEEDED
    assert results[w.node2.host_name].state == HostState.UNREACHABLE
    # executor_settings pins the site language to English: the worker writes the message in it
    assert shown(results[w.node2.host_name].message).startswith(f"Cannot reach {w.node2.host_name}")


def test_private_key_echoed_by_a_command_is_masked(run_world):
    w = run_world
    key = w.lab.client_key_path
    run = plan_and_start(w, [command_step("leak", [host_ref(w.node1, f"cat {key}; echo after")])])
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING))
    body = [line.strip() for line in key.read_text().splitlines() if not line.startswith("-----")]
    stored = lines(run, stream=Stream.STDOUT)
    assert stored[-1] == "after"
    assert not any(b in s for b in body for s in stored)
    assert not any("PRIVATE KEY" in s for s in stored)
    assert stored.count(logwriter.MASK) == len(key.read_text().splitlines())  # the node did print the key


def test_console_step_needs_every_checklist_item_and_signoff_needs_a_second_person(run_world):
    w = run_world
    steps = [console_step("c", items=("a", "b"), needs_signoff=True), command_step("then", [host_ref(w.node1, "true")])]
    run = plan_and_start(w, steps)
    step = run.steps.get(position=1)
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    from procedures.exceptions import ChecklistIncomplete, SelfApprovalRefused

    with pytest.raises(ChecklistIncomplete):
        services.confirm_step(step.pk, user=w.operator, ticked=["a"])
    services.confirm_step(step.pk, user=w.approver, ticked=["a", "b"])
    with pytest.raises(SelfApprovalRefused):
        services.sign_off_step(step.pk, user=w.approver)
    services.sign_off_step(step.pk, user=w.approver2)
    run = wait_until(settled(run.pk, RunState.COMPLETED, RunState.WAITING))
    assert run.state == RunState.COMPLETED
    assert StepRun.objects.get(pk=step.pk).state == StepState.SUCCEEDED
