"""K.5 (1)(a) on the lab by hand, through the real ssh client with pinned host keys, as the executor will."""

import pytest

from tests.fixtures.lab import machine_paths
from tests.lab import k5

pytestmark = pytest.mark.lab


def test_new_master_procedure_ends_with_the_package_running_on_node_1(running_lab, lab_ssh, machine_paths_snapshot):
    cluster = running_lab.spec.cluster("gmxcl01")
    node1, node2 = cluster.nodes
    for step in k5.new_master_steps(running_lab.spec, cluster):
        step.check(lab_ssh(step.host, step.command, step.input))
        if step.id == "A-23":  # xodrc the same on both nodes
            assert lab_ssh(node1, f"cat {k5.XODRC}").stdout == lab_ssh(node2, f"cat {k5.XODRC}").stdout

    view = lab_ssh(node1, "cmviewcl -v")
    assert view.returncode == 0, view.stderr
    package_line = next(line for line in view.stdout.splitlines() if line.strip().startswith(cluster.package_name))
    assert package_line.split() == [cluster.package_name, "up", "running", "enabled", node1]
    log = lab_ssh(node1, f"cat {cluster.control_script_path}.log").stdout
    assert f'Node "{node1}": Starting package at' in log
    assert "Activating volume group vggmax with exclusive option." in log
    assert 'Starting service mailSV using "/opt/GroupMail/bin/mlstatp"' in log
    assert log.count("Package start completed") == 2 and "Package halt completed" in log
    assert "Groupmax mail server started" in log
    assert running_lab.domain_findings()[0].subject == "mailsv03"  # the standalone mail server still has TCP on
    assert [f.code for f in running_lab.findings() if f.code != "mhs_nadr_cfg_missing"] == []
    assert machine_paths() == machine_paths_snapshot


def test_the_shared_disk_follows_the_package_and_the_bare_mount_point_stays_empty(running_lab, lab_ssh):
    cluster = running_lab.spec.cluster("gmxcl01")
    node1, node2 = cluster.nodes
    assert lab_ssh(node1, "bdf /var/opt/GroupMail").stdout.split()[-6] == "/dev/vggmax/lvol1"
    assert "/dev/vg00/lvol8" in lab_ssh(node2, "bdf /var/opt/GroupMail").stdout
    assert lab_ssh(node2, "ls -A /var/opt/GroupMail").stdout == ""
    assert lab_ssh(node1, "ls /var/opt/GroupMail/nxcdir").stdout.split() == ["gmpublicinfo"]
