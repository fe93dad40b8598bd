"""Generated files of the demo inventory, checked against hand-written files in tests/catalog/expected/."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from procedures.catalog import artefacts, render_plan

EXPECTED = Path(__file__).parent / "expected"


def expected(name: str) -> str:
    return (EXPECTED / name).read_text(encoding="utf-8")


def artefact_of(plan, step_key: str, name_part: str = "") -> str:
    step = next(s for s in plan.steps if s.key == step_key)
    return next(a for a in step.artefacts if name_part in a.name).content


def test_master_gmpublicinfo_records_of_the_demo(master_cluster):
    assert "\n".join(artefacts.own_gmpublicinfo_records(master_cluster)) + "\n" == expected("gmxcl01.gmpublicinfo")
    plan = render_plan(master_cluster, "k5-1a")
    written = artefact_of(plan, "a30.gmpublicinfo_level") + artefact_of(plan, "a31.gmpublicinfo_ips")
    assert written == expected("gmxcl01.gmpublicinfo")


def test_an_address_server_puts_its_ip_records_in_the_masters_file_only(address_cluster, master_cluster):
    assert "\n".join(artefacts.own_gmpublicinfo_records(address_cluster)) + "\n" == expected("gmxcl02.gmpublicinfo")
    master_records = "\n".join(artefacts.master_gmpublicinfo_records(address_cluster)) + "\n"
    assert master_records == expected("gmxcl02.master-gmpublicinfo")
    plan = render_plan(address_cluster, "k5-1b")
    assert artefact_of(plan, "b26.gmpublicinfo_level") == "CLUSTERING_LEVEL=1\n"
    b27 = next(s for s in plan.steps if s.key == "b27.master_gmpublicinfo")
    assert b27.artefacts[0].content == expected("gmxcl02.master-gmpublicinfo")
    (host,) = b27.hosts
    master_nodes = tuple(master_cluster.nodes.order_by("position").values_list("pk", flat=True))
    assert host.resolve == "package_owner" and host.package == "gmaxpkg" and host.candidate_node_ids == master_nodes
    assert b27.locks_master and b27.needs_signoff
    assert "127.0.20.1=addpkg" in host.command and "127.0.20.2=addpkg" in host.command


def test_etc_services_lines_of_the_demo(master_cluster, address_cluster):
    assert artefact_of(render_plan(master_cluster, "k5-1a"), "a06.services") == expected("gmxcl01.services")
    assert artefact_of(render_plan(address_cluster, "k5-1b"), "b06.services") == expected("gmxcl02.services")


def test_both_phases_of_the_control_script(master_cluster, address_cluster):
    commented = artefacts.render_control_script(master_cluster, mail_active=False)
    active = artefacts.render_control_script(master_cluster, mail_active=True)
    assert commented == expected("gmxcl01.control.commented.sh")
    assert active == expected("gmxcl01.control.active.sh")
    plan = render_plan(master_cluster, "k5-1a")
    assert artefact_of(plan, "a34.write_config", "control script") == commented
    assert artefact_of(plan, "a46.write_script_mail", "control script") == active
    # (2) without Mail Server: C-28 writes the lines commented out (flaw 5)
    plan = render_plan(address_cluster, "k5-2")
    assert artefact_of(plan, "c28.write_config", "control script") == expected("gmxcl02.control.sh")


@pytest.mark.parametrize("name", ["gmxcl01.control.commented.sh", "gmxcl01.control.active.sh", "gmxcl02.control.sh"])
def test_the_control_script_says_service_restart_in_ascii(name):
    script = expected(name)
    assert "\u201c" not in script and "\u201d" not in script  # flaw 10
    assert "SERVICE_RESTERT" not in script and "SERVICE_RESTART[0]" in script  # flaw 1
    assert script.index("SERVICE_NAME[0]=addrSV") < script.index("SERVICE_NAME[1]=mailSV")  # flaw 16
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


def test_every_rendered_command_and_file_is_ascii_quoted(master_cluster, address_cluster):
    for cluster, code in ((master_cluster, "k5-1a"), (address_cluster, "k5-1b"), (address_cluster, "k5-2")):
        plan = render_plan(cluster, code)
        for step in plan.steps:
            for text in [h.command for h in step.hosts] + [a.content for a in step.artefacts]:
                assert "\u201c" not in text and "\u201d" not in text, step.key
                assert "SERVICE_RESTERT" not in text


def test_the_package_name_comes_from_the_inventory(address_cluster):
    address_cluster.package_name, address_cluster.package_host = "mailpkg7", "mailhost7"
    address_cluster.control_script_path = "/etc/cmcluster/mailpkg7/control.sh"
    address_cluster.save()
    plan = render_plan(address_cluster, "k5-1b")
    text = "\n".join(h.command for s in plan.steps for h in s.hosts)
    assert "gmaxhost" not in artefact_of(plan, "b30.write_config", "control script")
    assert "/etc/cmcluster/mailpkg7/mailpkg7.conf" in text
    assert "127.0.20.1=mailhost7" in text and "addpkg" not in text


def test_edits_are_idempotent_posix_sh(tmp_path, master_cluster):
    """Run the gmpublicinfo edit twice against a scratch file: the records are there once."""
    plan = render_plan(master_cluster, "k5-1a")
    path = tmp_path / "gmpublicinfo"
    path.write_text("MAX_LOGIN_USER=128")  # no final newline
    for key in ("a30.gmpublicinfo_level", "a31.gmpublicinfo_ips", "a30.gmpublicinfo_level", "a31.gmpublicinfo_ips"):
        command = next(s for s in plan.steps if s.key == key).hosts[0].command
        command = command.replace(shlex.quote("/var/opt/GroupMail/nxcdir/gmpublicinfo"), shlex.quote(str(path)))
        assert "sed -i" not in command
        assert subprocess.run(["sh", "-c", command]).returncode == 0
    assert path.read_text() == "MAX_LOGIN_USER=128\n" + expected("gmxcl01.gmpublicinfo")


def test_whole_files_are_written_exactly(tmp_path, master_cluster):
    script = artefacts.render_control_script(master_cluster, mail_active=False)
    target = tmp_path / "cmcluster" / "gmaxpkg" / "control.sh"
    for _ in range(2):
        assert (
            subprocess.run(["sh", "-c", artefacts.write_file_command(str(target), script, mode="755")]).returncode == 0
        )
    assert target.read_text() == script and target.stat().st_mode & 0o777 == 0o755
    same = subprocess.run(["sh", "-c", artefacts.same_file_command(str(target), script)], capture_output=True)
    assert same.returncode == 0
    target.write_text(script.replace("vggmax", "vgother"))
    assert subprocess.run(["sh", "-c", artefacts.same_file_command(str(target), script)]).returncode != 0


def test_cluster_and_package_files_for_cmapplyconf(master_cluster):
    ascii_ = artefacts.render_cluster_ascii(master_cluster)
    assert re.search(r"^CLUSTER_NAME\s+gmxcl01$", ascii_, re.M)
    assert re.search(r"^VOLUME_GROUP\s+/dev/vggmax$", ascii_, re.M)
    assert ascii_.count("HEARTBEAT_IP") == 4  # two nodes, two LANs
    conf = artefacts.render_package_conf(master_cluster)
    assert re.search(r"^RUN_SCRIPT\s+/etc/cmcluster/gmaxpkg/control.sh$", conf, re.M)
    assert "SERVICE_NAME                mailSV" in conf  # listed from the start: phase 2 adds no cmapplyconf
