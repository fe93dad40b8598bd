"""K.5 (1)(b) from the catalog, run end to end by people through the run pages, on the lab's second cluster.

The domain's master management server already runs (built by hand over ssh with the proven K.5 (1)(a)
sequence of tests/lab/k5.py). The run builds the address server addsv01 on gmxcl02; its B-27 step edits
the master's gmpublicinfo on whichever master node runs the package, holding the master's cluster for it.
"""

import pytest
from django.urls import reverse

from procedures.choices import RunState, StepState
from procedures.models import RunEvent
from tests.e2e.people import (
    client_for,
    drive_run,
    last_start,
    package_line,
    plan_approve_start,
    post,
    waits_for_people,
)
from tests.lab import k5

pytestmark = [pytest.mark.lab, pytest.mark.timeout(900)]


def build_master_by_hand(lab, lab_ssh) -> None:
    master = lab.spec.cluster(lab.spec.server_of_cluster("gmxcl01").cluster)
    for step in k5.new_master_steps(lab.spec, master):
        step.check(lab_ssh(step.host, step.command, step.input))


def test_new_address_server_run_completes_and_registers_its_nodes_on_the_master(run_world, lab_ssh):
    w = run_world
    build_master_by_hand(w.lab, lab_ssh)
    cluster = w.domain.servers.get(name="addsv01").cluster
    operator, approver, second_approver = client_for(w.operator), client_for(w.approver), client_for(w.approver2)
    run = plan_approve_start(cluster, "k5-1b", operator=operator, approver=approver)

    acted = drive_run(run, operator=operator, second_approver=second_approver)

    run.refresh_from_db()
    assert run.state == RunState.COMPLETED, (run.state, run.wait_message)
    assert acted == waits_for_people(run.plan_object)
    assert set(run.steps.values_list("state", flat=True)) <= {StepState.SUCCEEDED, StepState.CONFIRMED}
    b27 = run.steps.get(key="b27.master_gmpublicinfo")
    assert b27.host_results.get().host_name == "gmx1a"  # the master node that runs gmaxpkg
    held = RunEvent.objects.filter(run=run, step=b27).values_list("action", flat=True)
    assert list(held)[:3] == ["ask_approval", "command_approve", "claim"]  # approved before a worker took it
    assert not run.locks.exists()
    post(approver, reverse("procedures:run-action", args=[run.pk, "sign-off"]), what="the run's sign-off")
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF

    spec = w.lab.spec.cluster(cluster.name)
    node1 = spec.nodes[0]
    view = lab_ssh(node1, "cmviewcl -v")
    assert view.returncode == 0, view.stderr
    assert package_line(view.stdout, spec.package_name) == [spec.package_name, "up", "running", "enabled", node1]
    start = last_start(lab_ssh(node1, f"cat {spec.control_script_path}.log").stdout)
    assert f"Activating volume group {spec.volume_group} with exclusive option." in start
    assert "Groupmax address service started" in start and "Package start completed" in start
    assert "mlstatp" not in start  # no Mail Server on this address server: mailSV stays commented out
    own = lab_ssh(node1, "cat /var/opt/GroupMail/nxcdir/gmpublicinfo").stdout.splitlines()
    assert "CLUSTERING_LEVEL=1" in own
    on_master = lab_ssh("gmx1a", "cat /var/opt/GroupMail/nxcdir/gmpublicinfo").stdout.splitlines()
    for host in spec.nodes:
        assert f"{w.lab.spec.node(host).local_ips[0]}=addpkg" in on_master
    master_view = lab_ssh("gmx1a", "cmviewcl -v").stdout
    assert package_line(master_view, "gmaxpkg") == ["gmaxpkg", "up", "running", "enabled", "gmx1a"]
    assert [f.code for f in w.lab.findings() if f.subject != "mailsv03"] == []
