"""A domain's sign-off rules in the portal: its domain administrators set, per kind of four-eyes step, how many
approvers it needs and, per procedure, whether a real run needs a successful rehearsal first; everybody else with
a role there reads them; every value is checked, every change kept in the history (who, when, old -> new)."""

import pytest
from django.urls import reverse
from django.utils import translation

from clusters.choices import DomainRoleName
from portal.errors import NotAllowed
from procedures import rehearsal, services, signoff, signoff_rules
from procedures.choices import FourEyesKind
from procedures.models import ProcedureRun, RehearsalRule, SignoffQuorum
from procedures.signoff import Decision
from tests.factories import DomainFactory, MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(state_world):
    state_world.admin = UserFactory(username="rules-admin")
    MembershipFactory(domain=state_world.domain, user=state_world.admin, role=DomainRoleName.DOMAIN_ADMIN)
    return state_world


def url(domain):
    return reverse("procedures:signoff-rules", args=[domain.pk])


def form_data(**changes):
    """The form as the page posts it: every kind at 1, no rehearsal ticked, then ``changes``."""
    data = {f"quorum_{kind}": "1" for kind in FourEyesKind.values}
    data.update(changes)
    return data


def test_the_domain_page_leads_to_the_rules_and_everybody_with_a_role_reads_them(client, world):
    SignoffQuorum.objects.create(domain=world.domain, kind=FourEyesKind.CLUSTER, approvers=2)
    for person in (world.viewer, world.operator, world.approver):
        client.force_login(person)
        domain_page = client.get(world.domain.get_absolute_url()).content.decode()
        assert f'href="{url(world.domain)}"' in domain_page
        page = client.get(url(world.domain), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'data-testid="signoff-rules-form"' not in page and 'data-testid="read-only"' in page
        assert "Starting or stopping the cluster" in page and "<td>2" in page
        response = client.post(url(world.domain), form_data(quorum_cluster="1"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        assert "Only a domain administrator of this domain sets its sign-off rules." in response.content.decode()
    assert SignoffQuorum.objects.get(domain=world.domain, kind=FourEyesKind.CLUSTER).approvers == 2
    client.force_login(world.admin)
    assert 'data-testid="signoff-rules-form"' in client.get(url(world.domain)).content.decode()


def test_another_domain_is_not_found_and_a_role_there_below_administrator_changes_nothing(client, world):
    other = DomainFactory()
    client.force_login(world.admin)
    assert client.get(url(other)).status_code == 404
    assert client.post(url(other), form_data(quorum_cluster="2")).status_code == 404
    MembershipFactory(domain=other, user=world.admin, role=DomainRoleName.APPROVER)
    assert client.post(url(other), form_data(quorum_cluster="2")).status_code == 403
    assert not SignoffQuorum.objects.filter(domain=other).exists()
    with pytest.raises(NotAllowed):
        signoff_rules.set_rules(other, user=world.admin, quorums={FourEyesKind.CLUSTER: 2})
    with pytest.raises(NotAllowed):
        signoff_rules.set_rules(world.domain, user=world.approver, rehearsals={"k5-2": True})


def test_a_changed_quorum_is_what_signoff_asks_and_the_history_says_who_and_old_to_new(client, world):
    plan = make_plan(
        world.cluster,
        [command_step("start", [host_ref(world.node1, "cmruncl -v")], needs_signoff=True, four_eyes="cluster")],
    )
    run = services.create_run(world.cluster, plan, user=world.operator)
    step = run.steps.get()
    assert signoff.required(Decision.APPROVE_STEP, step) == 1
    client.force_login(world.admin)
    response = client.post(
        url(world.domain),
        form_data(quorum_cluster="3", quorum_close="2", **{"rehearse_k5-2": "on"}),
        REMOTE_ADDR="192.0.2.9",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert signoff.required(Decision.APPROVE_STEP, step) == 3
    assert signoff.required(Decision.CLOSE_RUN, run) == 2
    assert signoff.required(Decision.COUNTERSIGN, step) == 1  # the kinds not changed stay at one
    assert RehearsalRule.objects.filter(domain=world.domain, procedure="k5-2").exists()
    real = ProcedureRun(cluster=world.cluster, procedure="k5-2")
    assert rehearsal.rule_for(real) is not None  # what approving a real run of (2) now asks
    record = SignoffQuorum.objects.get(domain=world.domain, kind="cluster").history.get()
    assert (record.history_user, record.history_address) == (world.admin, "192.0.2.9")

    client.post(url(world.domain), form_data(quorum_cluster="2", quorum_close="2", **{"rehearse_k5-2": "on"}))
    client.post(url(world.domain), form_data(quorum_cluster="1", quorum_close="2"))  # 1 is the default: no row
    assert not SignoffQuorum.objects.filter(domain=world.domain, kind="cluster").exists()
    assert not RehearsalRule.objects.filter(domain=world.domain).exists()
    assert signoff.required(Decision.APPROVE_STEP, step) == 1

    page = client.get(url(world.domain), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for line in ("1 → 3", "3 → 2", "2 → 1", "required → not required", "not required → required"):
        assert line in page, line
    assert "rules-admin" in page and "192.0.2.9" in page
    with translation.override("ja"):
        labels = (str(FourEyesKind.CLUSTER.label), str(signoff_rules.REQUIRED[True]))
    page = client.get(url(world.domain), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert all(label in page for label in labels) and "Starting or stopping the cluster" not in page
    entries = signoff_rules.changes(world.domain)
    assert [(e["old"], e["new"]) for e in entries if e["what"] == FourEyesKind.CLUSTER.label] == [
        (2, 1), (3, 2), (1, 3),
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["0", "10", "-1", "abc", "²", "1.5", "", "99999999999999999999"])
def test_a_number_out_of_range_is_a_400_that_says_so_and_changes_nothing(client, world, value):
    client.force_login(world.admin)
    data = form_data(quorum_close="2", quorum_skip=value, **{"rehearse_k5-2": "on"})
    response = client.post(url(world.domain), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="field-error"' in page and "nothing was changed" in page
    assert not SignoffQuorum.objects.filter(domain=world.domain).exists()
    assert not RehearsalRule.objects.filter(domain=world.domain).exists()


def test_more_approvers_than_the_domain_has_is_refused_naming_the_rule(client, world):
    client.force_login(world.admin)
    assert signoff_rules.approvers_in(world.domain) == 3  # two approvers and the domain administrator
    response = client.post(url(world.domain), form_data(quorum_delete_data="4"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert (
        "Deleting data: 4 approvers cannot be asked for; 3 people hold the approver role in domain "
        f"{world.domain.name}."
    ) in response.content.decode()
    assert not SignoffQuorum.objects.exists()
    assert client.post(url(world.domain), form_data(quorum_delete_data="3")).status_code == 302
    world.domain.memberships.filter(user=world.approver2).delete()  # a set number stays, and is warned about
    page = client.get(url(world.domain), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="unreachable"' in page and "Deleting data (3)" in page
    assert client.post(url(world.domain), form_data(quorum_delete_data="3", quorum_close="2")).status_code == 302
    assert client.post(url(world.domain), form_data(quorum_delete_data="2", quorum_close="2")).status_code == 302


def test_the_service_refuses_what_no_form_offers(world):
    cases = (
        ({"quorums": {"everything": 2}}, "unknown_four_eyes_kind"),
        ({"quorums": {FourEyesKind.SKIP: 10}}, "quorum_out_of_range"),
        ({"quorums": {FourEyesKind.SKIP: True}}, "quorum_out_of_range"),
        ({"quorums": {FourEyesKind.SKIP: "2; DROP TABLE"}}, "quorum_out_of_range"),
        ({"rehearsals": {"k5-9": True}}, "unknown_procedure"),
    )
    for kwargs, code in cases:
        with pytest.raises(signoff_rules.PortalError) as refused:
            signoff_rules.set_rules(world.domain, user=world.admin, **kwargs)
        assert (refused.value.code, refused.value.status) == (code, 400)
    refused_all = {FourEyesKind.CLOSE: 2, FourEyesKind.SKIP: 0}  # all or nothing
    with pytest.raises(signoff_rules.QuorumOutOfRange):
        signoff_rules.set_rules(world.domain, user=world.admin, quorums=refused_all)
    assert not SignoffQuorum.objects.exists()


def test_the_page_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    client.get(url(world.domain))  # the session and the user, once
    with django_assert_max_num_queries(14):  # 9 of the page, 5 of the header and the session
        assert client.get(url(world.domain)).status_code == 200
    for n in (2, 3, 2, 3, 2):
        client.post(url(world.domain), form_data(quorum_cluster=str(n), quorum_close=str(n), quorum_skip=str(n)))
        client.post(url(world.domain), form_data(**{"rehearse_k5-2": "on", "rehearse_k5-1a": "on"}))
    assert len(signoff_rules.changes(world.domain)) > 20
    with django_assert_max_num_queries(14):  # however long the history
        assert client.get(url(world.domain)).status_code == 200
