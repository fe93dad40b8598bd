"""K.5's mistakes on the lab fail (or are flagged) with the message and exit code the operator would see.

These run on the nodes through ``node.run``: the same entry program and environment as over SSH, without
the handshake, so that each test can start from a fresh lab.
"""

import dataclasses

import pytest
from django.core.management import CommandError, call_command

from tests.lab import k5

pytestmark = pytest.mark.lab


def run(lab, steps):
    for step in steps:
        step.check(lab.node(step.host).run(step.command, input=step.input))


def minimal_script(cluster) -> str:
    """A control script without the Groupmax lines: enough to own the volume group, its disks and the IP."""
    script = k5.control_script(cluster, mail_active=False)
    script = script.replace(f"    {k5.OD}/xodstart || return 1\n    {k5.GM}/GM_START || return 1\n", "")
    script = script.replace(f"    {k5.GM}/GM_STOP\n    {k5.OD}/xodstop\n", "")
    return script.replace("SERVICE_NAME[0]=addrSV", "#SERVICE_NAME[0]=addrSV")


def configure(lab, cluster, scripts=None):
    """A-34 and the apply of flaw 16: configuration files and a control script on both nodes."""
    for host in cluster.nodes:
        script = (scripts or {}).get(host, minimal_script(cluster))
        run(lab, [
            k5.Step("A-34", host, k5.write_file("/etc/cmcluster/cluster.ascii"), k5.cluster_ascii(cluster)),
            k5.Step("A-34", host, k5.write_file(k5.package_conf_path(cluster)), k5.package_conf(cluster)),
            k5.Step("A-34", host, k5.write_file(cluster.control_script_path, "755"), script),
        ])  # fmt: skip
    run(lab, k5.apply_configuration(cluster))


@pytest.fixture
def gmx(fresh_lab):
    return fresh_lab.spec.cluster("gmxcl01")


def test_a_second_hand_activation_succeeds_as_in_lvm_and_is_flagged(fresh_lab, gmx):
    node1, node2 = gmx.nodes
    run(fresh_lab, [k5.Step("A-01", node2, "vgchange -a y vggmax"), *k5.mount_steps("A-02", node2, gmx)])
    second = fresh_lab.node(node1).run("vgchange -a y vggmax")
    assert second.returncode == 0  # no LVM guard without the cluster: vgchange(1M)
    run(
        fresh_lab,
        [*k5.mount_steps("A-12", node1, gmx), k5.Step("A-13", node1, f"swinstall -s {k5.DEPOT} GMAX-ADDRESS")],
    )
    codes = {f.code: f.message for f in fresh_lab.findings()}
    assert codes["vg_dual_active"] == "vggmax is active on gmx1a, gmx1b"
    assert codes["concurrent_write"] == (
        "swinstall GMAX-ADDRESS wrote to the shared disk of vggmax on gmx1a while the volume group was active on "
        "gmx1a, gmx1b"
    )
    assert "fs_dual_mount" in codes


def test_exclusive_activation_is_refused_while_the_other_node_holds_the_volume_group(fresh_lab, gmx):
    node1, node2 = gmx.nodes
    configure(fresh_lab, gmx)
    run(fresh_lab, [k5.Step("A-36", node1, "cmruncl -v", expect="Cluster successfully formed.")])
    refused = fresh_lab.node(node2).run("vgchange -a y vggmax")
    assert refused.returncode == 1
    assert 'Activation of volume group "/dev/vggmax" denied by another node in the cluster.' in refused.stderr


def test_gm_setup_refuses_a_groupmax_directory_that_is_not_on_the_shared_disk(fresh_lab, gmx):
    node2 = gmx.nodes[1]
    steps = k5.install_and_setup(fresh_lab.spec, gmx, node2, ("A-01", "A-02", "A-03", "A-04", "A-05", "A-06", "A-07"))
    steps = [s for s in steps if s.id != "A-02"]  # the operator forgets to mount the shared disk
    run(fresh_lab, [s for s in steps if s.id not in ("A-05", "A-07")])
    check = fresh_lab.node(node2).run("bdf /var/opt/GroupMail")
    assert "/dev/vg00/lvol8" in check.stdout and "/dev/vggmax/" not in check.stdout  # A-05 would fail here
    setup = fresh_lab.node(node2).run(f"{k5.GM}/GM_SETUP -t master -s GMAXSCH -u root -g sys")
    assert setup.returncode == 1
    assert setup.stderr.startswith("KDGM1002-E /var/opt/GroupMail is not on the shared disk (/dev/vggmax/lvol1)")
    assert "groupmax_on_local_disk" in {f.code for f in fresh_lab.findings()}


@pytest.mark.parametrize("holder", [0, 1], ids=["same-node", "other-node"])
def test_cmruncl_fails_the_package_while_the_volume_group_is_still_active_by_hand(fresh_lab, gmx, holder):
    node1 = gmx.nodes[0]
    run(fresh_lab, [k5.Step("A-33", gmx.nodes[holder], "vgchange -a y vggmax")])  # forgotten
    configure(fresh_lab, gmx)
    started = fresh_lab.node(node1).run("cmruncl -v")
    assert started.returncode == 1
    assert started.stderr.startswith("cmruncl: Package gmaxpkg failed to start on node gmx1a")
    log = fresh_lab.node(node1).run(f"cat {gmx.control_script_path}.log").stdout
    assert "ERROR:  Failed to activate vggmax" in log and "Package start failed" in log
    view = fresh_lab.node(node1).run("cmviewcl").stdout
    assert "gmaxpkg        down             halted" in view and "unowned" in view


def test_control_scripts_that_differ_pass_cmcheckconf_as_in_serviceguard_and_are_flagged(fresh_lab, gmx):
    node1, node2 = gmx.nodes
    configure(
        fresh_lab,
        gmx,
        {node1: k5.control_script(gmx, mail_active=True), node2: k5.control_script(gmx, mail_active=False)},
    )
    findings = [f for f in fresh_lab.findings() if f.code == "control_script_differs"]
    assert [str(f) for f in findings] == [
        "[control_script_differs] gmxcl01: /etc/cmcluster/gmaxpkg/control.sh differs between gmx1a and gmx1b"
    ]


def _without(steps, step_id, drop=""):
    """The steps with one edit left out (``drop``: only one record of it)."""
    out = []
    for step in steps:
        if step.id == step_id and not drop:
            continue
        if step.id == step_id:
            step = dataclasses.replace(step, command=step.command.replace(drop, ""))
        out.append(step)
    return out


@pytest.mark.parametrize(
    ("step_id", "drop", "message"),
    [
        ("A-30", "", "KDAM0121-E CLUSTERING_LEVEL=1 is not set in /var/opt/GroupMail/nxcdir/gmpublicinfo."),
        ("A-31", "{ip}=gmaxhost", "KDAM0122-E /var/opt/GroupMail/nxcdir/gmpublicinfo has no record {ip}=gmaxhost"),
    ],
    ids=["no-clustering-level", "no-local-ip-record"],
)
def test_the_package_does_not_start_without_its_gmpublicinfo_records(fresh_lab, gmx, step_id, drop, message):
    node1 = gmx.nodes[0]
    ip = fresh_lab.spec.node(node1).local_ips[0]
    steps = _without(k5.new_master_until_configured(fresh_lab.spec, gmx), step_id, drop.format(ip=ip))
    run(fresh_lab, steps)
    configure(fresh_lab, gmx, {h: k5.control_script(gmx, mail_active=False) for h in gmx.nodes})
    started = fresh_lab.node(node1).run("cmruncl -v")
    assert started.returncode == 1
    log = fresh_lab.node(node1).run(f"cat {gmx.control_script_path}.log").stdout
    assert message.format(ip=ip) in log
    assert "ERROR:  Failed to RUN customer commands" in log and "Package start failed" in log
    assert {"gmpublicinfo_clustering_level", "gmpublicinfo_record"} & {f.code for f in fresh_lab.findings()}


def test_the_address_service_does_not_start_with_resiobj_left_commented_out(fresh_lab, gmx):
    steps = k5.new_master_until_configured(fresh_lab.spec, gmx)
    until = [s for s in steps[: [s.id for s in steps].index("A-26")] if s.id != "A-23"]
    run(fresh_lab, until)
    started = fresh_lab.node(gmx.nodes[0]).run(f"{k5.GM}/GM_START")
    assert started.returncode == 1
    assert started.stderr == (
        "KDAM0105-E Schema GMAXSCH is not resident: the resiobj line of /opt/HiOODB/conf/xodrc is a comment.\n"
    )
    assert "xodrc_resiobj_commented" in {f.code for f in fresh_lab.findings()}


def test_a_mail_server_without_mhs_nadr_cfg_is_listed_by_the_domain_check(fresh_lab, db):
    assert sorted(f.subject for f in fresh_lab.domain_findings()) == ["gmaxmaster", "mailsv03"]
    done = fresh_lab.node("mailsv03").run(f"{k5.GM}/mhs_nadr_cfg TCP OFF")
    assert done.returncode == 0, done.stderr
    assert [f.subject for f in fresh_lab.domain_findings()] == ["gmaxmaster"]
    with pytest.raises(CommandError, match=r"finding\(s\)"):
        call_command("lab", "check", root=str(fresh_lab.root))


def test_cmhaltcl_without_force_refuses_while_the_package_runs(fresh_lab, gmx):
    node1 = gmx.nodes[0]
    configure(fresh_lab, gmx)
    run(fresh_lab, [k5.Step("A-36", node1, "cmruncl -v")])
    halted = fresh_lab.node(node1).run("cmhaltcl -v")
    assert halted.returncode == 1
    assert halted.stderr == (
        "cmhaltcl: Unable to halt the cluster: package gmaxpkg is running on node gmx1a.\n"
        "cmhaltcl: Halt the packages first, or use the -f option.\n"
    )
    assert fresh_lab.cluster_state("gmxcl01")["package"]["state"] == "running"
    run(fresh_lab, [k5.Step("A-45", node1, "cmhaltcl -f -v", expect="Halt operation complete.")])
