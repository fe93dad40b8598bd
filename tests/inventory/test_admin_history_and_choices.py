"""The admin's history pages and foreign-key choices are scoped like its change pages.

Staff users of different roles and domains, through the Django test client, try what the security review
did: re-pin a host key or move an address through the history "revert" form, list another domain's history,
and post a change form whose foreign key points into a domain they do not administer.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from clusters.admin import DomainMembershipAdmin, NodeAdmin
from clusters.choices import DomainRoleName
from clusters.models import DomainMembership, GroupmaxServer, Node
from tests.factories import CredentialFactory, MasterFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FORGED_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQ5y2uTVHUKhS5n0H8fKBYAqTgH9dBqbkWtBQqW3ENj forged"


def staff_with(codenames, *, domain=None, role=None):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    if domain is not None:
        MembershipFactory(domain=domain, user=user, role=role)
    return user


def history_url(obj):
    record = obj.history.latest()
    return reverse(f"admin:clusters_{obj._meta.model_name}_simple_history", args=[obj.pk, record.history_id])


def form_data(obj, **changes):
    data = {k: ("" if v is None else v) for k, v in model_to_dict(obj).items() if k != "id"}
    data.update(changes)
    return data


# --- the history pages ---------------------------------------------------------------------------------------


def test_an_operator_cannot_re_pin_a_host_key_through_the_history_form(client):
    master = MasterFactory()
    node = master.cluster.primary
    client.force_login(staff_with(["view_node", "change_node"], domain=master.domain, role=DomainRoleName.OPERATOR))
    response = client.post(history_url(node), form_data(node, host_key=FORGED_KEY))
    assert response.status_code == 403
    node.refresh_from_db()
    assert node.host_key == ""


def test_the_history_form_of_another_domains_node_is_not_found_and_changes_nothing(client):
    mine, theirs = MasterFactory(), MasterFactory()
    node = theirs.cluster.primary
    user = staff_with(["view_node", "change_node"], domain=mine.domain, role=DomainRoleName.DOMAIN_ADMIN)
    client.force_login(user)
    url = history_url(node)
    assert client.post(url, form_data(node, ssh_address="127.9.9.9")).status_code == 404
    assert client.get(url).status_code == 404
    node.refresh_from_db()
    assert node.ssh_address != "127.9.9.9"


def test_the_history_list_of_another_domains_object_is_not_found(client):
    mine, theirs = MasterFactory(), MasterFactory()
    client.force_login(staff_with(["view_node", "view_groupmaxserver"], domain=mine.domain, role=DomainRoleName.VIEWER))
    for obj in (theirs.cluster.primary, theirs):
        url = reverse(f"admin:clusters_{obj._meta.model_name}_history", args=[obj.pk])
        assert client.get(url).status_code == 404
    own = reverse("admin:clusters_node_history", args=[mine.cluster.primary.pk])
    assert client.get(own).status_code == 200


def test_a_viewer_cannot_make_himself_administrator_of_another_domain_through_his_memberships_history(client):
    mine, theirs = MasterFactory(), MasterFactory()
    user = staff_with(["view_domainmembership"], domain=mine.domain, role=DomainRoleName.VIEWER)
    membership = DomainMembership.objects.get(user=user)
    client.force_login(user)
    response = client.post(
        history_url(membership),
        {"domain": theirs.domain.pk, "user": user.pk, "role": DomainRoleName.DOMAIN_ADMIN},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert (membership.domain, membership.role) == (mine.domain, DomainRoleName.VIEWER)


def test_a_past_version_is_shown_read_only_even_to_its_domain_administrator(client, admin_user):
    master = MasterFactory()
    node = master.cluster.primary
    client.force_login(staff_with(["view_node", "change_node"], domain=master.domain, role=DomainRoleName.DOMAIN_ADMIN))
    page = client.get(history_url(node))
    assert page.status_code == 200
    html = page.content.decode()
    assert node.ssh_address in html and 'name="ssh_address"' not in html and 'name="_save"' not in html
    client.force_login(admin_user)  # not even a superuser reverts through a form that skips the checks
    assert client.post(history_url(node), form_data(node, ssh_address="127.9.9.9")).status_code == 403
    node.refresh_from_db()
    assert node.ssh_address != "127.9.9.9"


# --- the foreign keys of the change forms --------------------------------------------------------------------


def test_a_domain_administrator_cannot_move_his_membership_into_another_domain(client):
    mine, theirs = MasterFactory(), MasterFactory()
    perms = ["view_domainmembership", "change_domainmembership"]
    user = staff_with(perms, domain=mine.domain, role=DomainRoleName.DOMAIN_ADMIN)
    MembershipFactory(domain=theirs.domain, user=user, role=DomainRoleName.VIEWER)  # he sees B, administers only A
    membership = DomainMembership.objects.get(user=user, domain=mine.domain)
    client.force_login(user)
    url = reverse("admin:clusters_domainmembership_change", args=[membership.pk])
    offered = client.get(url).context["adminform"].form.fields["domain"].queryset
    assert list(offered) == [mine.domain]  # the other domain is not even offered
    response = client.post(url, form_data(membership, domain=theirs.domain.pk, role=DomainRoleName.DOMAIN_ADMIN))
    assert response.status_code == 200 and "domain" in response.context["adminform"].form.errors
    membership.refresh_from_db()
    assert membership.domain == mine.domain
    assert not DomainMembership.objects.filter(user=user, domain=theirs.domain, role="domain_admin").exists()


def test_a_node_cannot_be_moved_to_another_domains_cluster_nor_given_another_sites_key(client):
    mine, theirs = MasterFactory(), MasterFactory()
    foreign_key = CredentialFactory(name="other-site-key", key_path="/etc/portal/keys/other")
    node = mine.cluster.primary
    client.force_login(staff_with(["view_node", "change_node"], domain=mine.domain, role=DomainRoleName.DOMAIN_ADMIN))
    url = reverse("admin:clusters_node_change", args=[node.pk])
    fields = client.get(url).context["adminform"].form.fields
    assert list(fields["cluster"].queryset) == [mine.cluster]
    assert foreign_key not in fields["credential"].queryset and node.credential in fields["credential"].queryset
    for change in ({"cluster": theirs.cluster.pk}, {"credential": foreign_key.pk}):
        response = client.post(url, form_data(node, **change))
        assert response.status_code == 200 and set(change) <= set(response.context["adminform"].form.errors)
    node.refresh_from_db()
    assert node.cluster == mine.cluster and node.credential.name == "test-key"


def test_a_server_cannot_be_moved_to_another_domain_nor_onto_another_domains_cluster(client):
    mine, theirs = MasterFactory(), MasterFactory()
    client.force_login(
        staff_with(["view_groupmaxserver", "change_groupmaxserver"], domain=mine.domain, role="domain_admin")
    )
    url = reverse("admin:clusters_groupmaxserver_change", args=[mine.pk])
    for change in ({"domain": theirs.domain.pk}, {"cluster": theirs.cluster.pk}):
        response = client.post(url, form_data(mine, **change))
        assert response.status_code == 200 and set(change) <= set(response.context["adminform"].form.errors)
    server = GroupmaxServer.objects.get(pk=mine.pk)
    assert (server.domain, server.cluster) == (mine.domain, mine.cluster)


def test_the_save_itself_refuses_an_object_that_would_leave_the_users_domains():
    """Even past the form's choices (another form, a custom view), saving checks the object as it would be."""
    mine, theirs = MasterFactory(), MasterFactory()
    user = staff_with(["change_node", "change_domainmembership"], domain=mine.domain, role="domain_admin")
    request = RequestFactory().post("/")
    request.user = user
    from django.contrib import admin

    node = Node.objects.get(pk=mine.cluster.primary.pk)
    node.cluster = theirs.cluster
    with pytest.raises(PermissionDenied):
        NodeAdmin(Node, admin.site).save_model(request, node, None, change=True)
    node = Node.objects.get(pk=mine.cluster.primary.pk)
    node.credential = CredentialFactory(name="other-site-key", key_path="/etc/portal/keys/other")
    with pytest.raises(PermissionDenied):
        NodeAdmin(Node, admin.site).save_model(request, node, None, change=True)
    membership = DomainMembership.objects.get(user=user)
    membership.domain = theirs.domain
    with pytest.raises(PermissionDenied):
        DomainMembershipAdmin(DomainMembership, admin.site).save_model(request, membership, None, change=True)
    assert Node.objects.get(pk=node.pk).cluster == mine.cluster
