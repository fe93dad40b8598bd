"""The portal's inventory forms: a domain administrator creates and changes servers, clusters, nodes and file
systems of his domains, with the model's rules (said in words, in Japanese and English) and its history.

Every foreign key is offered only within the domains he administers, and checked again when saved: a posted
id of another domain's object is refused, never trusted.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from clusters import history, services
from clusters.choices import DomainRoleName, ServerRole
from clusters.models import Cluster, GroupmaxServer, Node, SharedFilesystem
from portal.errors import NotAllowed
from tests.factories import CredentialFactory, MasterFactory, MembershipFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def master(domain):
    return MasterFactory(domain=domain, name="gmaxmaster")


@pytest.fixture
def admin(domain):
    user = UserFactory(username="domain-admin")
    MembershipFactory(domain=domain, user=user, role=DomainRoleName.DOMAIN_ADMIN)
    return user


@pytest.fixture
def theirs():
    """Another domain's master, where the domain administrator has no role."""
    return MasterFactory(name="theirmaster")


def errors_of(response) -> str:
    """The refusals a form page shows, for a failing assertion's message."""
    import re

    return " | ".join(re.findall(r'class="(?:error|banner bad)"[^>]*>(.*?)</div>', response.content.decode(), re.S))


def node_data(node, **changes):
    data = {
        "cluster": node.cluster_id, "position": node.position, "host_name": node.host_name,
        "primary_ip": node.primary_ip, "standby_ip": node.standby_ip or "", "ssh_address": node.ssh_address,
        "ssh_port": node.ssh_port, "ssh_user": node.ssh_user, "credential": node.credential_id or "",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_domain_administrator_edits_a_node_and_the_history_says_who_from_where(client, admin, master):
    node = master.cluster.primary
    client.force_login(admin)
    url = reverse("clusters:node-edit", args=[node.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, node_data(node, standby_ip="127.9.9.9", ssh_port=2222), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    node.refresh_from_db()
    assert (node.standby_ip, node.ssh_port) == ("127.9.9.9", 2222)
    record = node.history.first()
    assert (record.history_user, record.history_address) == (admin, "192.0.2.7")
    page = client.get(master.cluster.get_absolute_url()).content.decode()
    assert "127.9.9.9" in page and "192.0.2.7" in page


def test_the_node_form_never_takes_a_host_key(client, admin, master):
    node = master.cluster.primary
    client.force_login(admin)
    url = reverse("clusters:node-edit", args=[node.pk])
    assert 'name="host_key"' not in client.get(url).content.decode()
    forged = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAPlGnRt+hbwj6Ee+DsJ+G7kd2HS0IyEPwAAWbQAPrTz"
    client.post(url, node_data(node, host_key=forged))
    node.refresh_from_db()
    assert node.host_key == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "“10.0.0.1; rm -rf /” is not a valid IPv4 or IPv6 address."),
        ("ja", "「10.0.0.1; rm -rf /」は有効な IPv4／IPv6 アドレスではありません。"),
    ],
)
def test_a_wrong_value_is_said_in_words_in_the_readers_language(client, admin, master, language, expected):
    node = master.cluster.primary
    client.force_login(admin)
    response = client.post(
        reverse("clusters:node-edit", args=[node.pk]),
        node_data(node, primary_ip="10.0.0.1; rm -rf /"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert expected in response.content.decode()
    node.refresh_from_db()
    assert node.primary_ip != "10.0.0.1; rm -rf /"


def test_a_constraint_is_said_in_words_not_by_its_name(client, admin, master):
    node = master.cluster.primary
    client.force_login(admin)
    with translation.override("en"):
        response = client.post(
            reverse("clusters:node-add", args=[master.cluster.pk]),
            node_data(node, host_name="gmxnew", primary_ip="127.50.0.1", ssh_address="127.50.0.1"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This cluster already has a node in this position." in page and "Constraint" not in page


def test_a_posted_cluster_of_another_domain_is_refused_by_the_form_and_by_the_service(client, admin, master, theirs):
    node = master.cluster.primary
    client.force_login(admin)
    form_page = client.get(reverse("clusters:node-edit", args=[node.pk])).content.decode()
    assert theirs.cluster.name not in form_page  # not offered
    response = client.post(
        reverse("clusters:node-edit", args=[node.pk]), node_data(node, cluster=theirs.cluster.pk, position=1)
    )
    assert response.status_code == 400
    node.refresh_from_db()
    assert node.cluster == master.cluster
    # The service checks again, whatever a form let through.
    node.cluster = theirs.cluster
    with pytest.raises(NotAllowed):
        services.save_object(node, user=admin)
    assert Node.objects.get(pk=node.pk).cluster == master.cluster


def test_a_credential_of_no_machine_of_his_domains_is_not_his_to_give(client, admin, master):
    node = master.cluster.primary
    stranger = CredentialFactory(name="someone-elses-key", key_path="/etc/portal/keys/other")
    client.force_login(admin)
    page = client.get(reverse("clusters:node-edit", args=[node.pk])).content.decode()
    assert "someone-elses-key" not in page
    response = client.post(reverse("clusters:node-edit", args=[node.pk]), node_data(node, credential=stranger.pk))
    assert response.status_code == 400
    assert Node.objects.get(pk=node.pk).credential_id != stranger.pk


def test_other_domains_are_404_and_lower_roles_403(client, admin, operator, master, theirs):
    client.force_login(admin)
    for url in (
        reverse("clusters:node-edit", args=[theirs.cluster.primary.pk]),
        reverse("clusters:cluster-edit", args=[theirs.cluster.pk]),
        reverse("clusters:server-edit", args=[theirs.pk]),
        reverse("clusters:server-add", args=[theirs.domain.pk]),
        reverse("clusters:node-add", args=[theirs.cluster.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    client.force_login(operator)
    url = reverse("clusters:node-edit", args=[master.cluster.primary.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, node_data(master.cluster.primary, ssh_port=2200)).status_code == 403
    assert Node.objects.get(pk=master.cluster.primary.pk).ssh_port == 22


def test_a_domain_administrator_creates_a_clustered_server_and_its_nodes(client, admin, master):
    client.force_login(admin)
    domain = master.domain
    data = {
        "server-domain": domain.pk, "server-name": "addsv09", "server-role": ServerRole.ADDRESS,
        "server-schema_name": "GMAXSCH", "cluster-name": "gmxcl99", "cluster-package_name": "addpkg",
        "cluster-package_host": "addhost", "cluster-package_ip": "127.99.0.100", "cluster-package_subnet": "127.99.0.0",
        "cluster-volume_group": "vgadd", "cluster-database_directory": "/OBJSVFILE",
        "cluster-control_script_path": "/etc/cmcluster/addpkg/control.sh",
    }  # fmt: skip
    response = client.post(reverse("clusters:server-add", args=[domain.pk]), data)
    assert response.status_code == 302, errors_of(response)
    server = GroupmaxServer.objects.get(name="addsv09")
    cluster = server.cluster
    assert server.domain == domain and cluster.name == "gmxcl99"
    assert cluster.history.first().history_user == admin

    credential = master.cluster.primary.credential
    for position in (1, 2):
        response = client.post(
            reverse("clusters:node-add", args=[cluster.pk]),
            {"cluster": cluster.pk, "position": position, "host_name": f"gmx9{position}",
             "primary_ip": f"127.99.0.{position}", "ssh_address": f"127.99.0.{position}", "ssh_port": 22,
             "ssh_user": "root", "credential": credential.pk},
        )  # fmt: skip
        assert response.status_code == 302, errors_of(response)
    response = client.post(
        reverse("clusters:filesystem-add", args=[cluster.pk]),
        {"logical_volume": "/dev/vgadd/lvol1", "mount_point": "/var/opt/GroupMail", "order": 0},
    )
    assert response.status_code == 302
    assert cluster.nodes.count() == 2 and SharedFilesystem.objects.filter(cluster=cluster).count() == 1
    # The model's own rules: the second master of a domain is refused, in words.
    data.update({"server-name": "master2", "server-role": ServerRole.MASTER, "cluster-name": "gmxcl98"})
    response = client.post(reverse("clusters:server-add", args=[domain.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "already has a master management server" in response.content.decode()
    assert not Cluster.objects.filter(name="gmxcl98").exists()  # both or neither


def test_a_server_moved_to_a_domain_he_does_not_administer_is_refused(client, admin, master, theirs):
    server = ServerFactory(domain=master.domain, name="addsv01")
    client.force_login(admin)
    response = client.post(
        reverse("clusters:server-edit", args=[server.pk]),
        {"domain": theirs.domain.pk, "name": "addsv01", "role": ServerRole.ADDRESS, "schema_name": "GMAXSCH"},
    )
    assert response.status_code == 400
    assert GroupmaxServer.objects.get(pk=server.pk).domain == master.domain


def test_the_pages_offer_the_forms_only_to_domain_administrators(client, admin, viewer, master):
    client.force_login(viewer)
    page = client.get(master.cluster.get_absolute_url()).content.decode()
    assert 'data-testid="edit-cluster"' not in page and "edit-node-" not in page
    assert 'data-testid="inventory-nav"' not in page
    client.force_login(admin)
    page = client.get(master.cluster.get_absolute_url()).content.decode()
    assert 'data-testid="edit-cluster"' in page and f"edit-node-{master.cluster.primary.host_name}" in page
    assert 'data-testid="inventory-nav"' in page


def test_the_admins_history_gives_the_reason_of_a_portal_change_in_the_readers_language(client, admin, master):
    """The reason is stored as its message id and shown translated; who made the change is the history's user."""
    node = master.cluster.primary
    client.force_login(admin)
    client.post(reverse("clusters:node-edit", args=[node.pk]), node_data(node, standby_ip="127.9.9.8"))
    assert node.history.first().history_change_reason == history.CHANGED
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:clusters_node_history", args=[node.pk])
    japanese = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ポータルで変更" in japanese and "Changed in the portal" not in japanese
    assert "Changed in the portal" in english and "ポータルで変更" not in english


def test_every_reason_fits_the_historys_column():
    """PostgreSQL refuses a reason longer than the history's 100 characters (SQLite does not)."""
    longest = Node.history.model._meta.get_field("history_change_reason").max_length
    reasons = [value for name, value in vars(history).items() if name.isupper() and isinstance(value, str)]
    assert len(reasons) >= 9 and all(len(reason) <= longest for reason in reasons)
