"""The inventory admin is scoped like the pages: staff see their domains and change only what they administer."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clusters.choices import DomainRoleName
from tests.factories import CredentialFactory, MasterFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_with(codenames, *, domain=None, role=None):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    if domain is not None:
        MembershipFactory(domain=domain, user=user, role=role)
    return user


def test_staff_see_only_nodes_of_their_domains(client):
    mine, theirs = MasterFactory(), MasterFactory()
    client.force_login(staff_with(["view_node", "change_node"], domain=mine.domain, role=DomainRoleName.OPERATOR))
    listing = client.get(reverse("admin:clusters_node_changelist")).content.decode()
    assert mine.cluster.primary.host_name in listing
    assert theirs.cluster.primary.host_name not in listing
    other = reverse("admin:clusters_node_change", args=[theirs.cluster.primary.pk])
    assert client.get(other).status_code in (302, 404)


def test_changing_a_pinned_host_key_needs_the_domain_administrator_role(client):
    master = MasterFactory()
    node = master.cluster.primary
    url = reverse("admin:clusters_node_change", args=[node.pk])
    operator = staff_with(["view_node", "change_node"], domain=master.domain, role=DomainRoleName.OPERATOR)
    client.force_login(operator)
    page = client.get(url)
    assert page.status_code == 200 and 'name="host_key"' not in page.content.decode()  # shown read-only
    assert client.post(url, {"host_key": "ssh-ed25519 AAAAforged"}).status_code == 403
    admin = staff_with(["view_node", "change_node"], domain=master.domain, role=DomainRoleName.DOMAIN_ADMIN)
    client.force_login(admin)
    assert 'name="host_key"' in client.get(url).content.decode()


def test_credentials_and_sites_are_for_superusers_only(client, admin_user):
    credential = CredentialFactory()
    staff = staff_with(["view_credential", "change_credential", "view_site", "change_site"])
    client.force_login(staff)
    assert client.get(reverse("admin:clusters_credential_change", args=[credential.pk])).status_code == 403
    assert client.get(reverse("admin:clusters_credential_changelist")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("admin:clusters_credential_change", args=[credential.pk])).status_code == 200
