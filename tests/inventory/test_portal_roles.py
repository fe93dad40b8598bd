"""Roles in the portal: a domain administrator grants, changes and removes roles in his domains, each kept in
the history; never in another domain, never a role above his own, and never the domain's last administrator."""

import pytest
from django.urls import reverse

from clusters import services
from clusters.choices import DomainRoleName
from clusters.models import DomainMembership
from clusters.rules import grantable_roles, may_grant
from tests.factories import DomainFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(domain):
    user = UserFactory(username="domain-admin")
    MembershipFactory(domain=domain, user=user, role=DomainRoleName.DOMAIN_ADMIN)
    return user


def test_a_domain_administrator_grants_changes_and_removes_a_role_and_the_history_keeps_it(client, domain, admin):
    colleague = UserFactory(username="colleague")
    client.force_login(admin)
    url = reverse("clusters:domain-roles", args=[domain.pk])
    response = client.post(url, {"username": "colleague", "role": DomainRoleName.OPERATOR}, REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 302
    membership = DomainMembership.objects.get(domain=domain, user=colleague)
    assert membership.role == DomainRoleName.OPERATOR
    record = membership.history.first()
    assert (record.history_user, record.history_address) == (admin, "192.0.2.8")

    client.post(reverse("clusters:role-change", args=[membership.pk]), {f"m{membership.pk}-role": "approver"})
    membership.refresh_from_db()
    assert membership.role == DomainRoleName.APPROVER
    assert "role: Operator → Approver" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("clusters:role-remove", args=[membership.pk]))
    assert not DomainMembership.objects.filter(pk=membership.pk).exists()
    removed = DomainMembership.history.filter(id=membership.pk).order_by("-history_date").first()
    assert (removed.history_type, removed.history_user) == ("-", admin)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "colleague" in page and "Approver → —" in page  # the removal stays in the history


def test_an_unknown_user_and_a_role_not_offered_are_refused_in_words(client, domain, admin):
    client.force_login(admin)
    url = reverse("clusters:domain-roles", args=[domain.pk])
    response = client.post(url, {"username": "nobody", "role": "operator"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "There is no active user named “nobody”." in response.content.decode()
    UserFactory(username="colleague")
    response = client.post(url, {"username": "colleague", "role": "superuser"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not DomainMembership.objects.filter(user__username="colleague").exists()


def test_never_in_another_domain_and_never_by_a_lower_role(client, domain, admin, approver):
    other = DomainFactory()
    colleague = UserFactory(username="colleague")
    elsewhere = MembershipFactory(domain=other, user=colleague, role=DomainRoleName.VIEWER)
    client.force_login(admin)
    url = reverse("clusters:domain-roles", args=[other.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"username": "colleague", "role": "operator"}).status_code == 404
    assert client.post(reverse("clusters:role-remove", args=[elsewhere.pk])).status_code == 404
    assert client.post(reverse("clusters:role-change", args=[elsewhere.pk]), {}).status_code == 404
    client.force_login(approver)  # sees the domain's roles, changes none
    url = reverse("clusters:domain-roles", args=[domain.pk])
    assert 'data-testid="grant-form"' not in client.get(url).content.decode()
    assert client.post(url, {"username": "colleague", "role": "viewer"}).status_code == 403
    assert not DomainMembership.objects.filter(domain=domain, user=colleague).exists()


def test_never_above_his_own_role_and_never_raising_himself(domain, admin, approver, operator):
    assert grantable_roles(operator, domain) == []
    assert grantable_roles(approver, domain) == []
    assert len(grantable_roles(admin, domain)) == 4
    assert not may_grant(approver, domain, DomainRoleName.VIEWER, to=operator)
    assert not may_grant(operator, domain, DomainRoleName.DOMAIN_ADMIN, to=operator)  # himself, upwards
    with pytest.raises(services.RoleRefused):
        services.grant_role(domain, username="operator", role=DomainRoleName.DOMAIN_ADMIN, user=operator)


def test_the_last_domain_administrator_stays(client, domain, admin):
    mine = DomainMembership.objects.get(domain=domain, user=admin)
    with pytest.raises(services.LastAdministrator):
        services.change_role(mine.pk, role=DomainRoleName.VIEWER, user=admin)
    with pytest.raises(services.LastAdministrator):
        services.remove_role(mine.pk, user=admin)
    second = UserFactory(username="second-admin")
    services.grant_role(domain, username="second-admin", role=DomainRoleName.DOMAIN_ADMIN, user=admin)
    services.change_role(mine.pk, role=DomainRoleName.VIEWER, user=admin)  # now someone else administers it
    assert DomainMembership.objects.get(domain=domain, user=second).role == DomainRoleName.DOMAIN_ADMIN
