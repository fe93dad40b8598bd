"""K.5 (2) from the catalog, run end to end by people through the run pages, on the lab's existing environment.

Node 1 of gmxcl03 serves users stand-alone (Address Server and Mail Server, database in /GMAXDB); node 2 is
bare; the domain's master cluster gmxcl01 was built by hand (tests/lab/k5.py). The run moves the data onto
the shared disk and leaves the package running on node 1, switchable to node 2, nxsrepstat converged.
"""

import pytest
from django.urls import reverse

from procedures.choices import RunState, StepState
from tests.e2e.people import client_for, drive_run, package_line, plan_approve_start, post, waits_for_people

pytestmark = [pytest.mark.lab, pytest.mark.timeout(900)]


def test_conversion_run_moves_the_existing_environment_onto_the_shared_disk(conversion_world, conversion_ssh):
    w, ssh = conversion_world, conversion_ssh
    operator, approver, second_approver = client_for(w.operator), client_for(w.approver), client_for(w.approver2)
    before = ssh("gmx3a", "ls /var/opt/GroupMail/nxcdir/users; ls /GMAXDB").stdout.split()
    assert {"tanaka.adr", "xoddb.sys"} <= set(before)  # the existing environment, on node 1's own disks

    run = plan_approve_start(
        w.cluster, "k5-2", operator=operator, approver=approver, options={"previous_database_directory": "/GMAXDB"}
    )
    assert run.plan["options"]["previous_database_directory"] == "/GMAXDB"
    acted = drive_run(run, operator=operator, second_approver=second_approver)

    run.refresh_from_db()
    assert run.state == RunState.COMPLETED, (run.state, run.wait_message)
    assert acted == waits_for_people(run.plan_object)
    assert {"c42.remove_groupmail_tmp", "c43.remove_dbdir_tmp"} <= set(acted["approved"])  # deleting data
    assert set(run.steps.values_list("state", flat=True)) <= {StepState.SUCCEEDED, StepState.CONFIRMED}
    post(approver, reverse("procedures:run-action", args=[run.pk, "sign-off"]), what="the run's sign-off")
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF

    # The data is on the shared disk, the old copies are gone, the package runs on node 1.
    where = ssh("gmx3a", "bdf /var/opt/GroupMail /OBJSVFILE").stdout
    assert "/dev/vgconv/lvol1" in where and "/dev/vgconv/lvol2" in where
    assert "tanaka.adr" in ssh("gmx3a", "ls /var/opt/GroupMail/nxcdir/users").stdout
    assert "xoddb.sys" in ssh("gmx3a", "ls /GMAXDB/").stdout  # the old path is C-19's link to the shared disk
    assert ssh("gmx3a", "ls -d /var/opt/GroupMail_tmp /GMAXDB_tmp").returncode != 0
    view = ssh("gmx3a", "cmviewcl -v").stdout
    assert package_line(view, "convpkg") == ["convpkg", "up", "running", "enabled", "gmx3a"]
    assert ssh("gmx1a", "/opt/GroupMail/bin/nxsrepstat").stdout.strip() == "トランザクションレコードなし"

    # Switchable to node 2 and back.
    moved = ssh("gmx3a", "cmhaltpkg convpkg && cmrunpkg -n gmx3b convpkg && cmmodpkg -e convpkg")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert package_line(ssh("gmx3a", "cmviewcl -v").stdout, "convpkg")[-1] == "gmx3b"
    assert "tanaka.adr" in ssh("gmx3b", "ls /var/opt/GroupMail/nxcdir/users").stdout
    back = ssh("gmx3a", "cmhaltpkg convpkg && cmrunpkg -n gmx3a convpkg && cmmodpkg -e convpkg")
    assert back.returncode == 0, back.stdout + back.stderr
    assert [f.code for f in w.lab.findings()] == []
