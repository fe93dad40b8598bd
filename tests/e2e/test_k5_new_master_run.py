"""K.5 (1)(a) from the catalog, run end to end by people through the run pages, over real SSH to the lab.

An operator plans the run on the plan page, an approver approves it, the operator starts it; the embedded
executor runs every command step on the lab's nodes over SSH with pinned host keys. At each console step the
operator ticks the whole checklist the page shows; every four-eyes step is signed off by a second approver.
At the end the lab's own ``cmviewcl`` shows the package running on node 1 and ``control.sh.log`` holds the
start lines.
"""

import pytest
from django.urls import reverse

from procedures.choices import RunState, StepState
from tests.e2e.people import (
    client_for,
    drive_run,
    last_start,
    package_line,
    plan_approve_start,
    post,
    waits_for_people,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(900)]


def test_new_master_run_from_the_catalog_completes_with_the_package_on_node_1(run_world, lab_ssh):
    w = run_world
    operator, approver, second_approver = client_for(w.operator), client_for(w.approver), client_for(w.approver2)
    run = plan_approve_start(w.cluster, "k5-1a", operator=operator, approver=approver)

    acted = drive_run(run, operator=operator, second_approver=second_approver)

    run.refresh_from_db()
    assert run.state == RunState.COMPLETED, (run.state, run.wait_message)
    assert acted == waits_for_people(run.plan_object)
    assert set(run.steps.values_list("state", flat=True)) <= {StepState.SUCCEEDED, StepState.CONFIRMED}
    assert set(run.steps.filter(kind="command").values_list("executed_by", flat=True)) == {w.operator.pk}
    assert not run.locks.exists()
    post(approver, reverse("procedures:run-action", args=[run.pk, "sign-off"]), what="the run's sign-off")
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF and run.signed_off_by == w.approver

    cluster = w.lab.spec.cluster(w.cluster.name)
    node1 = cluster.nodes[0]
    view = lab_ssh(node1, "cmviewcl -v")
    assert view.returncode == 0, view.stderr
    assert package_line(view.stdout, cluster.package_name) == [cluster.package_name, "up", "running", "enabled", node1]
    log = lab_ssh(node1, f"cat {cluster.control_script_path}.log").stdout
    start = last_start(log)
    assert f'Node "{node1}": ########### Node "{node1}": Starting package at' in log
    assert "Activating volume group vggmax with exclusive option." in start
    assert 'Starting service addrSV using "/opt/GroupMail/bin/adstatp"' in start
    assert 'Starting service mailSV using "/opt/GroupMail/bin/mlstatp"' in start
    assert "Groupmax address service started" in start and "Groupmax mail server started" in start
    assert "Package start completed" in start
    assert [f.code for f in w.lab.findings() if f.subject != "mailsv03"] == []
