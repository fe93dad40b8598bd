"""The mistakes of K.5 (2) fail on the lab as on the real system, and the run page tells the operator why.

Each test runs the catalog's own commands over SSH on the lab's existing environment (gmxcl03, node 1 serving
stand-alone): a whole plan with a wrong option, or the plan's steps taken where the mistake happens.
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from procedures import services
from procedures.catalog import render_plan
from procedures.choices import RunState, StepState
from tests.e2e.people import client_for, plan_approve_start, post, settled
from tests.fixtures.runs import make_plan, wait_until
from tests.support import shown

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def run_steps(w, keys, options=None):
    """The plan's own steps ``keys`` (commands exactly as rendered), planned, approved and started by people."""
    full = render_plan(w.cluster, "k5-2", options or {"previous_database_directory": "/GMAXDB"})
    plan = make_plan(w.cluster, [s for s in full.steps if s.key in keys], procedure="k5-2")
    run = services.create_run(w.cluster, plan, user=w.operator)
    operator = client_for(w.operator)
    post(client_for(w.approver), reverse("procedures:run-action", args=[run.pk, "approve"]), what="approval")
    post(operator, reverse("procedures:run-action", args=[run.pk, "start"]), what="start")
    return run, operator


def failed_step(run, key):
    run = wait_until(settled(run.pk), timeout=120, what="the run to stop")
    assert run.state == RunState.WAITING, run.state
    step = run.steps.get(key=key)
    assert step.state == StepState.FAILED, (step.state, step.message)
    return step


def test_copying_the_database_while_object_server_runs_is_refused_and_said(conversion_world):
    w = conversion_world
    run, operator = run_steps(w, {"c02.backup"})  # C-01 left out: Object Server still serves the users
    step = failed_step(run, "c02.backup")
    page = operator.get(run.get_absolute_url()).content.decode()
    assert escape("tar: /GMAXDB/xoddb.dat: Cannot read: the file is held open by Object Server") in page
    assert "Stop Object Server (xodstop) before copying its database files." in page
    assert "exit code 2" in shown(step.message)


def test_a_previous_directory_that_does_not_exist_stops_the_plan_at_the_gate(conversion_world):
    w = conversion_world
    operator, approver = client_for(w.operator), client_for(w.approver)
    run = plan_approve_start(
        w.cluster, "k5-2", operator=operator, approver=approver, options={"previous_database_directory": "/GMAXDB2"}
    )
    failed_step(run, "c00.gate_root")
    page = operator.get(run.get_absolute_url()).content.decode()
    assert "the previous database directory /GMAXDB2 of the plan does not exist on this node" in page
    assert run.steps.get(key="c01.stop_services").state == StepState.PENDING  # nothing was stopped or moved
    assert "xoddb.sys" in w.lab.node("gmx3a").run("ls /GMAXDB").stdout


def test_node_2_without_the_services_lines_is_named_by_the_check(conversion_world):
    w = conversion_world
    run, operator = run_steps(w, {"c.services.check"})  # node 2's /etc/services step was not done
    step = failed_step(run, "c.services.check")
    hosts = {r.host_name: r.state for r in step.host_results.all()}
    assert hosts == {"gmx3a": "succeeded", "gmx3b": "failed"}  # node 1 has them from its stand-alone days
    page = operator.get(run.get_absolute_url()).content.decode()
    assert "/etc/services has no line gmaxaddr 20010/tcp on gmx3b" in page


def test_node_2s_object_server_not_aligned_fails_on_node_2_with_the_reason(conversion_world):
    """The lab itself: node 2's fresh xodrc names the shared directory, the database files name /GMAXDB."""
    lab = w_lab = conversion_world.lab
    node1, node2 = lab.node("gmx3a"), lab.node("gmx3b")
    for command in ("/opt/GroupMail/bin/APSTOP", "/opt/GroupMail/bin/GM_STOP", "/opt/HiOODB/bin/xodstop"):
        assert node1.run(command).returncode == 0
    assert node1.run("mv /GMAXDB /GMAXDB_tmp && vgchange -a y vgconv && mount /dev/vgconv/lvol2 /OBJSVFILE "
                     "&& cd /GMAXDB_tmp && tar -cf - . | (cd /OBJSVFILE && tar -xpf -) && cd / && umount /OBJSVFILE "
                     "&& vgchange -a n vgconv").returncode == 0  # fmt: skip
    setup = "vgchange -a y vgconv && mount /dev/vgconv/lvol2 /OBJSVFILE && mount /dev/vgconv/lvol1 /var/opt/GroupMail"
    assert node2.run(setup + " && swinstall -s /var/spool/sw HiOODB && ln -s /OBJSVFILE /GMAXDB").returncode == 0
    refused = node2.run("/opt/HiOODB/bin/xodstart")
    assert refused.returncode == 1
    assert "KFOD00203-E The database files in /OBJSVFILE belong to database directory /GMAXDB" in refused.stderr
    aligned = node2.run("sed -i 's|^dbdir .*|dbdir /GMAXDB|' /opt/HiOODB/conf/xodrc && /opt/HiOODB/bin/xodstart")
    assert aligned.returncode == 0, aligned.stderr
    assert w_lab.node("gmx3b").run("/opt/HiOODB/bin/xodstop").returncode == 0
