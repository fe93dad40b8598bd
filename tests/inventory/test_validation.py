"""Hostile values are refused in the model layer, with a message that names the field."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clusters.models import Cluster, Credential, GroupmaxServer, Node
from tests.factories import ClusterFactory, MasterFactory, NodeFactory, ServerFactory

HOSTILE = [
    "gmaxhost;rm -rf /",
    "$(id)",
    "`id`",
    "gmax host",
    "gmaxhost\n",
    "gmaxhost\nrm",
    "a|b",
    "a&&b",
    "a>b",
    "'quoted'",
    '"dq"',
    "-rf",
    "",
    "ｇｍａｘ",  # full-width letters look harmless and are not ASCII
    "x" * 64,
]


def errors_of(obj) -> dict:
    """The messages an English-speaking operator would read (the Japanese ones are checked by test_i18n)."""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["package_name", "package_host", "volume_group", "name"])
def test_cluster_names_refuse_shell_syntax(field, value):
    cluster = ClusterFactory.build(**{field: value})
    assert field in errors_of(cluster)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["172.1.1.1;id", "172.1.1", "256.1.1.1", "172.1.1.1 x", "$(id)", "gmaxhost", "::g", "172.1.1.1/24"]
)
@pytest.mark.parametrize("field", ["primary_ip", "standby_ip"])
def test_node_addresses_must_be_ip_addresses(field, value):
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), **{field: value})
    assert field in errors_of(node)


@pytest.mark.django_db
def test_surrounding_white_space_on_an_address_is_removed_not_kept():
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), primary_ip=" 127.5.5.5\n", ssh_address="127.5.5.5")
    node.full_clean()
    assert node.primary_ip == "127.5.5.5"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [*HOSTILE, "-oProxyCommand=id", "host..name", "-leading-hyphen", "under_score"])
def test_host_names_follow_rfc_1123(value):
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), host_name=value)
    assert "host_name" in errors_of(node)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["gmx1a", "GMX-1B", "a", "node1.example.co.jp"])
def test_ordinary_host_names_are_accepted(value):
    NodeFactory.build(cluster=ClusterFactory(nodes=False), host_name=value, credential=None).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["$(id)", "a;b", "-oProxyCommand=x", "host name", "127.0.0.1\n"])
def test_ssh_address_is_an_ip_or_a_host_name(value):
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), ssh_address=value)
    assert "ssh_address" in errors_of(node)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["root;id", "$(id)", "Root", "", "a b"])
def test_ssh_user_is_a_unix_user_name(value):
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), ssh_user=value)
    assert "ssh_user" in errors_of(node)


@pytest.mark.django_db
@pytest.mark.parametrize("port", [0, 65536])
def test_ssh_port_is_in_range(port):
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), ssh_port=port)
    assert "ssh_port" in errors_of(node)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["relative/path", "/etc/cmcluster/../passwd", "/etc/cm cluster/x", "/etc/cmcluster/$(id)", "/a;b", "/a\n"]
)
def test_paths_are_absolute_and_plain(value):
    cluster = ClusterFactory.build(control_script_path=value)
    assert "control_script_path" in errors_of(cluster)


@pytest.mark.django_db
def test_control_script_must_live_under_a_cmcluster_directory():
    cluster = ClusterFactory.build(control_script_path="/etc/gmax/control.sh")
    assert "cmcluster" in errors_of(cluster)["control_script_path"][0]


@pytest.mark.django_db
def test_the_message_shows_a_hidden_newline():
    node = NodeFactory.build(cluster=ClusterFactory(nodes=False), host_name="gmx1a\nrm")
    assert "\\n" in errors_of(node)["host_name"][0]


@pytest.mark.django_db
def test_two_nodes_of_one_cluster_cannot_share_an_address():
    cluster = ClusterFactory()
    node2 = cluster.standby
    node2.primary_ip = cluster.primary.primary_ip
    assert "primary_ip" in errors_of(node2)


@pytest.mark.django_db
def test_standby_lan_needs_its_own_address():
    node = ClusterFactory().primary
    node.standby_ip = node.primary_ip
    assert "standby_ip" in errors_of(node)


@pytest.mark.django_db
def test_package_ip_cannot_be_a_node_ip():
    cluster = ClusterFactory()
    node = cluster.primary
    node.standby_ip = cluster.package_ip
    assert "standby_ip" in errors_of(node)
    cluster.package_ip = cluster.standby.primary_ip
    assert "package_ip" in errors_of(cluster)


@pytest.mark.django_db
def test_a_local_ip_cannot_serve_two_clusters_of_one_domain():
    """Flaw 12: the master's gmpublicinfo would map one address to two package hosts."""
    master = MasterFactory()
    other = ServerFactory(domain=master.domain).cluster
    node = other.primary
    node.primary_ip = master.cluster.primary.primary_ip
    assert "same domain" in errors_of(node)["primary_ip"][0]


@pytest.mark.django_db
def test_a_host_key_must_be_a_known_hosts_line():
    node = ClusterFactory().primary
    for bad in ["ssh-ed25519", "ssh-ed25519 not-base64!", "ssh-dss AAAAB3NzaC1kc3M=", "ssh-ed25519 AAAAC3NzaC1yc2E="]:
        node.host_key = bad
        assert "host_key" in errors_of(node), bad
    node.host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAPlGnRt+hbwj6Ee+DsJ+G7kd2HS0IyEPwAAWbQAPrTz lab"
    node.full_clean()
    assert node.host_key_fingerprint.startswith("SHA256:")


@pytest.mark.django_db
def test_a_standalone_server_needs_its_host_and_a_clustered_one_must_not_have_one():
    master = MasterFactory()
    standalone = GroupmaxServer(domain=master.domain, name="mailsv", schema_name="S", uses_mail_server=True)
    errors = errors_of(standalone)
    assert "host_name" in errors and "ssh_address" in errors
    master.host_name = "gmx1a"
    assert "host_name" in errors_of(master)


@pytest.mark.django_db
def test_a_second_master_in_a_domain_is_refused_with_the_first_ones_name():
    master = MasterFactory()
    second = ServerFactory.build(domain=master.domain, role="master", cluster=ClusterFactory())
    assert master.name in errors_of(second)["role"][0]


@pytest.mark.django_db
def test_credentials_hold_a_path_never_a_key():
    assert "key_path" in errors_of(Credential(name="k", key_path="-----BEGIN OPENSSH PRIVATE KEY-----"))
    assert not any(f.name in {"private_key", "password", "secret"} for f in Credential._meta.get_fields())


def test_no_inventory_field_is_free_text_that_reaches_a_shell():
    """Every char field of the SSH- and command-facing models has a validator (descriptions excepted)."""
    allowed_free = {"display_name", "description", "host_key"}
    for model in (Cluster, Node, GroupmaxServer, Credential):
        for field in model._meta.concrete_fields:
            if field.get_internal_type() in {"CharField", "TextField"} and field.name not in allowed_free:
                if field.choices:
                    continue
                assert field.validators, f"{model.__name__}.{field.name} has no validator"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "en", "ja"),
    [
        ("/", "root directory", "ルートディレクトリ"),
        ("/X/", "ends with “/”", "「/」で終わっています"),
        ("/OBJSVFILE/../etc", "“..”", "「..」"),
        ("/var/opt", "directory of the system", "システム"),
        ("/etc", "directory of the system", "システム"),
    ],
)
@pytest.mark.parametrize("field", ["database_directory", "control_script_path"])
def test_paths_say_why_they_are_refused(field, value, en, ja):
    """A step appends “_tmp” to the database directory and removes what it renames: "/", "/X/" must never pass."""
    cluster = ClusterFactory.build(**{field: value})
    for language, reason in (("en", en), ("ja", ja)):
        with translation.override(language):
            with pytest.raises(ValidationError) as caught:
                cluster.full_clean()
            shown = " ".join(caught.value.message_dict[field])  # as the form shows it, in the reader's language
        assert reason in shown, (language, shown)


@pytest.mark.django_db
def test_a_mount_point_and_a_logical_volume_refuse_the_root_and_a_trailing_slash():
    from clusters.models import SharedFilesystem

    cluster = ClusterFactory(nodes=False)
    for field, value in (("mount_point", "/"), ("mount_point", "/var/opt/GroupMail/"), ("logical_volume", "/dev/vg/")):
        values = {"logical_volume": "/dev/vggmax/lvol9", "mount_point": "/data9", field: value}
        with pytest.raises(ValidationError) as caught:
            SharedFilesystem(cluster=cluster, **values).full_clean()
        assert field in caught.value.message_dict
