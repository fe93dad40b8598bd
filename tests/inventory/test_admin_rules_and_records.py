"""The admin of a domain's sign-off rules and of the report's records, scoped like the inventory's admin.

Sign-off rules (``SignoffQuorum``, ``RehearsalRule``): staff see those of their domains, and change, add and delete
only those of the domains they administer, through the same service (checks, history) as the portal's page.
Duties done outside the portal and report exports: read-only for everybody, and only those of one's domains.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clusters.choices import DomainRoleName
from procedures import duties
from procedures.choices import ExportKind, FourEyesKind
from procedures.models import DutyRecord, RehearsalRule, ReportExport, SignoffQuorum
from tests.factories import DomainFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

RULE_PERMS = [
    f"{verb}_{model}" for verb in ("view", "add", "change", "delete") for model in ("signoffquorum", "rehearsalrule")
]
RECORD_PERMS = [
    f"{verb}_{model}" for verb in ("view", "add", "change", "delete") for model in ("dutyrecord", "reportexport")
]


def staff_with(codenames, *, domain=None, role=None, name=None):
    user = UserFactory(is_staff=True, **({"username": name} if name else {}))
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    if domain is not None:
        MembershipFactory(domain=domain, user=user, role=role)
    return user


@pytest.fixture
def world(state_world):
    w = state_world
    w.other = DomainFactory()
    w.mine = SignoffQuorum.objects.create(domain=w.domain, kind=FourEyesKind.CLUSTER, approvers=2)
    w.theirs = SignoffQuorum.objects.create(domain=w.other, kind=FourEyesKind.CLUSTER, approvers=2)
    return w


def test_staff_see_the_rules_of_their_domains_and_change_only_where_they_administer(client, world):
    viewer = staff_with(RULE_PERMS, domain=world.domain, role=DomainRoleName.APPROVER)
    client.force_login(viewer)
    listing = client.get(reverse("admin:procedures_signoffquorum_changelist"))
    assert listing.status_code == 200
    rows = listing.context["cl"].result_list
    assert list(rows) == [world.mine]
    change = reverse("admin:procedures_signoffquorum_change", args=[world.mine.pk])
    assert 'name="approvers"' not in client.get(change).content.decode()  # read-only for an approver
    assert client.post(change, {"approvers": "3"}).status_code == 403
    assert client.get(reverse("admin:procedures_signoffquorum_add")).status_code == 403
    assert client.get(reverse("admin:procedures_signoffquorum_change", args=[world.theirs.pk])).status_code == 302
    world.mine.refresh_from_db()
    assert world.mine.approvers == 2


def test_a_domain_administrator_changes_adds_and_deletes_with_the_portals_checks_and_history(client, world):
    admin = staff_with(RULE_PERMS, domain=world.domain, role=DomainRoleName.DOMAIN_ADMIN, name="rules-admin")
    client.force_login(admin)
    change = reverse("admin:procedures_signoffquorum_change", args=[world.mine.pk])
    assert client.post(change, {"approvers": "3"}, REMOTE_ADDR="192.0.2.7").status_code == 302
    world.mine.refresh_from_db()
    assert world.mine.approvers == 3
    record = world.mine.history.latest()
    assert (record.history_user, record.history_address, record.approvers) == (admin, "192.0.2.7", 3)

    response = client.post(change, {"approvers": "9"}, HTTP_ACCEPT_LANGUAGE="en")  # the domain has 3 approvers
    assert response.status_code == 200 and "9 approvers cannot be asked for" in response.content.decode()
    response = client.post(change, {"approvers": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "delete this rule to go back to one" in response.content.decode()
    world.mine.refresh_from_db()
    assert world.mine.approvers == 3

    add = reverse("admin:procedures_signoffquorum_add")
    form = client.get(add).content.decode()
    assert f'value="{world.domain.pk}"' in form and f'value="{world.other.pk}"' not in form  # his domains only
    data = {"domain": world.other.pk, "kind": FourEyesKind.SKIP, "approvers": "2"}
    response = client.post(add, data)
    assert response.status_code == 200 and not SignoffQuorum.objects.filter(domain=world.other, kind="skip").exists()
    assert client.post(add, {**data, "domain": world.domain.pk}).status_code == 302
    assert SignoffQuorum.objects.get(domain=world.domain, kind="skip").history.get().history_user == admin

    rule_add = reverse("admin:procedures_rehearsalrule_add")
    assert client.post(rule_add, {"domain": world.domain.pk, "procedure": "k5-9"}).status_code == 200
    assert client.post(rule_add, {"domain": world.domain.pk, "procedure": "k5-2"}).status_code == 302
    rule = RehearsalRule.objects.get(domain=world.domain, procedure="k5-2")
    delete = reverse("admin:procedures_rehearsalrule_delete", args=[rule.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not RehearsalRule.objects.filter(pk=rule.pk).exists()
    assert RehearsalRule.history.filter(id=rule.pk, history_type="-").get().history_user == admin
    theirs = reverse("admin:procedures_signoffquorum_delete", args=[world.theirs.pk])
    assert client.post(theirs, {"post": "yes"}).status_code in (302, 403, 404)
    assert SignoffQuorum.objects.filter(pk=world.theirs.pk).exists()


def test_duty_records_and_exports_are_read_only_and_scoped(client, world):
    record = duties.record_outside(world.cluster.server.pk, user=world.operator, node_id=world.node2.pk, reason="x")
    mine = ReportExport.objects.create(kind=ExportKind.DOMAIN_CSV, domain=world.domain, user=world.operator)
    theirs = ReportExport.objects.create(kind=ExportKind.DOMAIN_PDF, domain=world.other, user=world.operator)
    staff = staff_with(RECORD_PERMS, domain=world.domain, role=DomainRoleName.DOMAIN_ADMIN)
    client.force_login(staff)
    exports = client.get(reverse("admin:procedures_reportexport_changelist"))
    assert list(exports.context["cl"].result_list) == [mine]
    page = client.get(reverse("admin:procedures_reportexport_change", args=[mine.pk]))
    assert page.status_code == 200 and 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert client.get(reverse("admin:procedures_reportexport_change", args=[theirs.pk])).status_code == 302
    assert (
        client.post(reverse("admin:procedures_reportexport_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:procedures_reportexport_add")).status_code == 403
    duty = reverse("admin:procedures_dutyrecord_change", args=[record.pk])
    assert client.get(duty).status_code == 200
    assert client.post(duty, {"reason": "changed"}).status_code == 403
    assert client.get(reverse("admin:procedures_dutyrecord_add")).status_code == 403
    assert DutyRecord.objects.get(pk=record.pk).reason == "x" and ReportExport.objects.count() == 2
    client.force_login(staff_with(RECORD_PERMS, domain=world.other, role=DomainRoleName.DOMAIN_ADMIN))
    assert client.get(duty).status_code == 302  # another domain's record: not found
    assert not client.get(reverse("admin:procedures_dutyrecord_changelist")).context["cl"].result_list
