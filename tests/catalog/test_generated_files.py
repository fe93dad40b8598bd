"""Every renderer of a generated file, fed arbitrary text in one value: refused, or the file reads back.

"Reads back" means: the file has as many lines as with a plain value (no value starts a line of its own), and
the line that carries the value gives it back whole: a configuration directive splits into its name and the
value as one word, a shell assignment (``shlex.split``) into that one word, a comment holds it as it is. The
renderer refuses a line break, a control character or a quote itself (``UnsafeValue``), not only the
validators before it.
"""

import dataclasses
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.lab.build import sshd_config
from clusters.lab.spec import LabSpec, NodeSpec
from clusters.lab.state import Layout
from clusters.validators import UnsafeValue
from procedures.catalog import artefacts
from procedures.catalog import commands as registry
from procedures.catalog.context import Context, NodeInfo, ServerInfo

MARK = "QQMARKZZ"
TEXT = st.one_of(
    st.text(min_size=1, max_size=16),
    st.sampled_from(["a\nAUTO_RUN NO", "x\rY", "a\0b", "'", '"', "`id`", "a b", "\u2028", "$(id)", "a;b"]),
).filter(lambda t: MARK not in t)


def node(position, **values) -> NodeInfo:
    return NodeInfo(position, position, values.get("host", f"gmx{position}"), values.get("ip", f"127.0.0.{position}"),
                    values.get("sip", f"127.0.1.{position}"))  # fmt: skip


def context(field: str, value: str) -> Context:
    """A valid master's context with ``value`` in ``field`` (unvalidated: the renderers must hold alone)."""
    n1 = node(1, **({field[3:]: value} if field.startswith("n1_") else {}))
    nodes = (n1, node(2))
    server = ServerInfo(1, "master", "master", True, False, "GMAXSCH", "gmaxpkg", "gmaxhost", nodes=nodes)
    base = {
        "cluster_id": 1,
        "cluster_name": "gmxcl01",
        "package": "gmaxpkg",
        "package_host": "gmaxhost",
        "package_ip": "127.0.10.100",
        "package_subnet": "127.0.10.0",
        "vg": "vggmax",
        "filesystems": (("/dev/vggmax/lvol1", "/var/opt/GroupMail"),),
        "database_directory": "/OBJSVFILE",
        "control_script_path": "/etc/cmcluster/gmaxpkg/control.sh",
        "nodes": nodes,
        "server": server,
        "domain_servers": (server,),
    }
    if field in ("lv", "mp"):
        base["filesystems"] = (("/dev/vggmax/lvol1", value) if field == "mp" else (value, "/var/opt/GroupMail"),)
    elif not field.startswith("n1_"):
        base[field] = value
    ctx = Context(**base)
    if field == "package_host":  # the gmpublicinfo records use the server's package host
        ctx = dataclasses.replace(ctx, server=dataclasses.replace(server, package_host=value))
    return ctx


CONFIG_FIELDS = ("cluster_name", "package", "vg", "package_subnet", "control_script_path", "n1_host", "n1_ip", "n1_sip")
SCRIPT_FIELDS = ("package", "cluster_name", "vg", "package_ip", "package_subnet", "lv", "mp")
CONFIG_FILES = {"cluster.ascii": artefacts.render_cluster_ascii, "package.conf": artefacts.render_package_conf}


def assert_reads_back(reference: str, rendered: str, value: str, *, words):
    ref_lines, lines = reference.split("\n"), rendered.split("\n")
    assert len(lines) == len(ref_lines) and len(rendered.splitlines()) == len(reference.splitlines()), rendered
    for ref_line, line in zip(ref_lines, lines, strict=True):
        if MARK not in ref_line:
            assert line == ref_line
        elif ref_line.lstrip().startswith("#"):
            assert line == ref_line.replace(MARK, value)
        else:
            assert words(line) == [w.replace(MARK, value) for w in words(ref_line)], (ref_line, line)


@pytest.mark.parametrize("field", CONFIG_FIELDS)
@pytest.mark.parametrize("name", CONFIG_FILES)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXT)
def test_a_configuration_file_refuses_the_value_or_has_one_line_per_directive(name, field, value):
    render = CONFIG_FILES[name]
    reference = render(context(field, MARK))
    try:
        rendered = render(context(field, value))
    except UnsafeValue:
        assert any(not ch.isprintable() or ch.isspace() or ch in "'\"`" for ch in value)
        return
    assert_reads_back(reference, rendered, value, words=str.split)


@pytest.mark.parametrize("field", SCRIPT_FIELDS)
@pytest.mark.parametrize("mail_active", [False, True])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXT)
def test_the_control_script_refuses_the_value_or_keeps_it_one_word_of_its_line(field, mail_active, value):
    reference = artefacts.render_control_script(context(field, MARK), mail_active=mail_active)
    try:
        rendered = artefacts.render_control_script(context(field, value), mail_active=mail_active)
    except UnsafeValue:
        assert any(not ch.isprintable() or ch.isspace() or ch in "'\"`" for ch in value)
        return
    assert_reads_back(reference, rendered, value, words=shlex.split)


@pytest.mark.parametrize("key", artefacts.CONTROL_SCRIPT_COMMANDS)
@settings(max_examples=40, deadline=None)
@given(value=TEXT)
def test_a_site_command_line_in_the_control_script_stays_on_its_line(key, value):
    commands = {**registry.defaults(), key: value}
    try:
        rendered = artefacts.render_control_script(context("vg", "vggmax"), mail_active=True, commands=commands)
    except UnsafeValue:
        assert not value.isprintable()
        return
    reference = artefacts.render_control_script(context("vg", "vggmax"), mail_active=True)
    assert len(rendered.splitlines()) == len(reference.splitlines())
    assert any(line.startswith(f"    {value} >> ") for line in rendered.splitlines())


@pytest.mark.parametrize("field", ["n1_ip", "n1_sip", "package_host"])
@settings(max_examples=80, deadline=None)
@given(value=TEXT)
def test_gmpublicinfo_refuses_the_value_or_has_one_record_per_line(field, value):
    ctx = context(field, value)
    try:
        artefact = artefacts.gmpublicinfo_artefact(artefacts.own_gmpublicinfo_records(ctx))
    except UnsafeValue:
        assert any(not ch.isprintable() or ch.isspace() or ch in "'\"`=" for ch in value)
        return
    records = artefact.content.splitlines()
    assert records[0] == artefacts.CLUSTERING_LEVEL and len(records) == 1 + 2 * 2
    assert all(len(record.split("=")) == 2 and len(record.split()) == 1 for record in records[1:])
    assert any(value in record.split("=") for record in records[1:])


@pytest.mark.parametrize("part", ["name", "port"])
@settings(max_examples=80, deadline=None)
@given(value=TEXT)
def test_etc_services_refuses_the_value_or_has_one_entry_per_line(part, value):
    entry = f"{value} 20010/tcp" if part == "name" else f"gmaxaddr {value}"
    commands = {**registry.defaults(), "service_address": entry}
    try:
        lines = artefacts.services_lines(commands, mail=True)
        command = artefacts.services_command(commands, mail=True)
    except UnsafeValue:
        assert any(not ch.isprintable() or ch in "'\"`" for ch in value)
        return
    except (TypeError, ValueError):  # "name port" did not split into two words: the entry itself is malformed
        assert len(entry.split()) != 2
        return
    assert len(lines) == 2 and all(len(line.splitlines()) == 1 for line in lines)
    assert lines[0].split()[:2] == entry.split()
    assert shlex.split(command)  # one command line the shell reads


@settings(max_examples=200, deadline=None)
@given(value=TEXT)
def test_the_lab_sshd_configuration_refuses_the_address_or_has_one_listen_directive(value):
    layout = Layout(Path("/nonexistent/lab"))

    def config(address):
        return sshd_config(layout, LabSpec("lab", (NodeSpec("gmx1", address, 2222),)), "gmx1")

    reference = config(MARK)
    try:
        rendered = config(value)
    except UnsafeValue:
        assert any(not ch.isprintable() or ch.isspace() or ch in "'\"`" for ch in value)
        return
    assert_reads_back(reference, rendered, value, words=str.split)
    assert [line.split()[0] for line in rendered.splitlines()].count("ForceCommand") == 1


def test_the_reported_injections_are_refused_by_the_renderers_themselves():
    """The two attacks of the security review, with the validators bypassed."""
    layout = Layout(Path("/nonexistent/lab"))
    attack = "::1%1\nListenAddress 0.0.0.0:2222\nForceCommand /bin/sh -c id"
    with pytest.raises(UnsafeValue):
        sshd_config(layout, LabSpec("lab", (NodeSpec("gmx1", attack, 2222),)), "gmx1")
    with pytest.raises(UnsafeValue):
        artefacts.render_package_conf(context("package_subnet", "127.0.10.0\nAUTO_RUN NO"))
    with pytest.raises(UnsafeValue):
        artefacts.render_control_script(context("package_subnet", "127.0.10.0\nrm -rf /"), mail_active=False)
