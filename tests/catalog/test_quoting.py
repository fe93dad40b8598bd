"""No inventory value can change the word structure of a rendered command.

Validation keeps shell syntax out of the inventory; quoting must hold even without it. The plan is rendered
twice from the same shape of inventory: once with plain marker tokens, once with arbitrary strings that
bypass validation. Every command must split (``shlex.split``) into the same number of words, and each word
that carried a marker must carry the arbitrary value intact, as part of that same single word.
"""

import posixpath
import shlex

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.validators import UnsafeValue, line_safe
from procedures.catalog import artefacts
from procedures.catalog.context import Context, NodeInfo, ServerInfo
from procedures.catalog.render import render_context

FIELDS = (
    "package", "package_host", "package_ip", "package_subnet", "vg", "database_directory", "control_script_path",
    "lv1", "mp1", "lv2", "mp2", "n1_host", "n1_ip", "n1_sip", "n2_host", "n2_ip", "n2_sip", "schema",
    "m_package", "m_host", "m1_host", "m1_ip", "m2_host", "m2_ip", "s_host", "cluster_name",
)  # fmt: skip
MARKERS = {name: f"QQ{i}ZZ" for i, name in enumerate(FIELDS)}


def context(values: dict, *, role: str) -> Context:
    n1 = NodeInfo(1, 1, values["n1_host"], values["n1_ip"], values["n1_sip"])
    n2 = NodeInfo(2, 2, values["n2_host"], values["n2_ip"], values["n2_sip"])
    this = ServerInfo(10, "this", role, True, True, values["schema"], values["package"], values["package_host"],
                      nodes=(n1, n2))  # fmt: skip
    others = [ServerInfo(12, "mail3", "address", True, False, "S", host_name=values["s_host"])]
    if role != "master":
        m1 = NodeInfo(3, 1, values["m1_host"], values["m1_ip"])
        m2 = NodeInfo(4, 2, values["m2_host"], values["m2_ip"])
        others.append(ServerInfo(11, "master", "master", True, False, "S", values["m_package"], values["m_host"],
                                 nodes=(m1, m2)))  # fmt: skip
    return Context(
        cluster_id=1,
        cluster_name=values["cluster_name"],
        package=values["package"],
        package_host=values["package_host"],
        package_ip=values["package_ip"],
        package_subnet=values["package_subnet"],
        vg=values["vg"],
        filesystems=((values["lv1"], values["mp1"]), (values["lv2"], values["mp2"])),
        database_directory=values["database_directory"],
        control_script_path=values["control_script_path"],
        nodes=(n1, n2),
        server=this,
        domain_servers=(this, *others),
    )


def commands(ctx: Context, code: str) -> dict[tuple[str, int], str]:
    plan = render_context(ctx, code, {}, validate=False)
    return {(s.key, i): h.command for s in plan.steps for i, h in enumerate(s.hosts) if h.command}


def file_contents(ctx: Context) -> set[str]:
    return {
        artefacts.render_control_script(ctx, mail_active=False),
        artefacts.render_control_script(ctx, mail_active=True),
        artefacts.render_cluster_ascii(ctx),
        artefacts.render_package_conf(ctx),
    }


def with_values(word: str, values: dict) -> str:
    for name, marker in MARKERS.items():
        word = word.replace(marker, values[name])
    return word


ANY_TEXT = st.text(min_size=1, max_size=12).filter(lambda t: "QQ" not in t)
# Text a generated file accepts (one word of one line) but full of shell syntax: ; $ ( ) * | & \ and so on.
FILE_SAFE = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"), blacklist_characters="'\"`"),
    min_size=1,
    max_size=12,
).filter(lambda t: "QQ" not in t)
HOSTILE = st.sampled_from(["a b", "x; rm -rf /", "$(reboot)", "`id`", "'", '"', "a\nb", "*", "-rf", "a&&b", "|", "\\"])
VALUES = st.fixed_dictionaries({name: st.one_of(FILE_SAFE, FILE_SAFE, ANY_TEXT, HOSTILE) for name in FIELDS})


def _file_safe(value: str) -> bool:
    try:
        line_safe(value, target="", spaces=False)
    except UnsafeValue:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=VALUES, code=st.sampled_from(["k5-1a", "k5-1b", "k5-2"]))
def test_no_inventory_value_changes_a_commands_words(values, code):
    role = "master" if code == "k5-1a" else "address"
    reference = commands(context(MARKERS, role=role), code)
    hostile_ctx = context(values, role=role)
    try:
        rendered = commands(hostile_ctx, code)
    except UnsafeValue:  # a generated file refuses a value that could leave its line or word: refused, not broken
        assert not all(_file_safe(value) for value in values.values()), values
        return
    assert rendered.keys() == reference.keys()
    contents = file_contents(hostile_ctx)
    for where, command in reference.items():
        marked, actual = shlex.split(command), shlex.split(rendered[where])
        assert len(actual) == len(marked), (where, rendered[where])
        derived = {posixpath.dirname(word) for word in marked if "QQ" in word}  # ``mkdir -p`` of a file's folder
        for marked_word, actual_word in zip(marked, actual, strict=True):
            if "QQ" not in marked_word or marked_word in derived:  # fixed text, or a value's derivative: one word
                continue
            if "\n" in marked_word:  # a whole file, one printf word
                assert actual_word in contents, where
            else:
                assert actual_word == with_values(marked_word, values), (where, marked_word)


def test_markers_reach_every_kind_of_command():
    """The property above means something: inventory values really appear in commands."""
    reference = "\n".join(commands(context(MARKERS, role="address"), "k5-1b").values())
    for name in ("package", "package_host", "vg", "database_directory", "control_script_path", "lv1", "mp1",
                 "n1_ip", "n1_sip", "schema", "n2_host"):  # fmt: skip
        assert MARKERS[name] in reference, name
