"""A changed host key rejected by a domain administrator, the home page's warning read from the open changes, and
every decision of ``procedures.signoff`` that waits for a person in the Sign-offs queue and the header's count.

No SSH here (the host's answer is given); the over-SSH story is tests/lab/test_host_key_change_over_ssh.py.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import HostKeyChange, Node
from portal.context_processors import approver_queue
from procedures import exceptions as exc
from procedures import hostkeys, services
from procedures.choices import DutyRecordState
from procedures.models import DutyRecord
from procedures.queue import NAMES, queue_for, waiting_count
from procedures.signoff import Decision
from tests.factories import MasterFactory, MembershipFactory, UserFactory
from tests.fixtures.api import api_client
from tests.fixtures.runs import console_step, make_plan
from tests.runs.test_host_key_rules import detected, new_key, presents


@pytest.fixture
def world(state_world):
    """The run world with a domain administrator and pinned keys on both nodes (as in test_host_key_rules)."""
    w = state_world
    w.admin = UserFactory(username="run-domain-admin")
    MembershipFactory(domain=w.domain, user=w.admin, role=DomainRoleName.DOMAIN_ADMIN)
    for node in (w.node1, w.node2):
        node.host_key = new_key()
        node.save()
    return w


def page(client, user, url, language="en", **post):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return (client.post(url, post, follow=True) if post else client.get(url)).content.decode()


def test_a_domain_administrator_rejects_a_new_key_the_old_pin_stays_and_the_key_is_not_asked_again(world, client):
    w = world
    pinned = w.node1.host_key
    change = detected(w)
    url = reverse("procedures:host-key-change", args=[change.pk])
    assert 'data-testid="reject-form"' not in page(client, w.approver, url)  # an approver may not decide it
    with pytest.raises(exc.NotAllowed):
        hostkeys.reject_host_key(change.pk, user=w.approver)
    assert 'data-testid="reject-form"' in page(client, w.admin, url)

    shown = page(client, w.admin, url, action="reject")
    assert "New host key rejected" in shown and 'data-testid="rejected"' in shown
    change.refresh_from_db()
    w.node1.refresh_from_db()
    assert (change.state, change.rejected_by, change.signed_off_by) == (HostKeyChangeState.REJECTED, w.admin, None)
    assert w.node1.host_key == pinned  # never pinned
    assert not Node.objects.host_key_changed().exists()  # no longer open: no warning, no acceptance to wait for
    assert 'data-testid="reject-form"' not in shown and 'data-testid="accept-form"' not in shown

    # The audit trail, in the reader's language: who rejected it, when, and the state it went to.
    assert f'data-testid="rejected-by">{w.admin.username},' in shown
    trail = shown[shown.index('data-testid="history"') :]
    assert "New key rejected; the old key stays pinned" in trail and w.admin.username in trail
    japanese = page(client, w.admin, url, language="ja")
    trail = japanese[japanese.index('data-testid="history"') :]
    assert "新しい鍵を拒否しました" in trail and "New key rejected" not in trail

    # The machine still presents the rejected key: it stays refused (the pin is unchanged) and is not asked again.
    assert hostkeys.record_change(w.node1, change.new_key) == change
    assert HostKeyChange.objects.open().count() == 0
    with pytest.raises(exc.HostKeyChangeState):
        hostkeys.reject_host_key(change.pk, user=w.admin)
    # Another key again is a new question.
    assert detected(w).state == HostKeyChangeState.DETECTED


def test_an_acceptance_waiting_for_its_sign_off_may_be_rejected_and_is_then_not_signed_off(world, monkeypatch):
    w = world
    change = detected(w)
    presents(monkeypatch, change.new_key)
    hostkeys.accept_host_key(change.pk, user=w.admin, confirmed_fingerprint=change.new_fingerprint)
    hostkeys.reject_host_key(change.pk, user=w.admin)
    with pytest.raises(exc.HostKeyChangeState):
        hostkeys.sign_off_host_key(change.pk, user=w.approver, confirmed_fingerprint=change.new_fingerprint)
    w.node1.refresh_from_db()
    assert w.node1.host_key_fingerprint == change.old_fingerprint


def test_the_home_page_warns_of_an_open_host_key_change_until_it_is_rejected(world, client, monkeypatch):
    w = world
    change = detected(w)
    home = page(client, w.viewer, "/")
    warnings = home[home.index('data-testid="home-warnings"') :]
    assert f'data-testid="changed-{w.node1.host_name}"' in warnings
    assert reverse("procedures:host-key-change", args=[change.pk]) in warnings
    assert "a domain administrator accepts or rejects it" in warnings
    presents(monkeypatch, change.new_key)
    hostkeys.accept_host_key(change.pk, user=w.admin, confirmed_fingerprint=change.new_fingerprint)
    assert "it waits for a second person" in page(client, w.viewer, "/")  # accepted is not pinned: still warned
    hostkeys.reject_host_key(change.pk, user=w.admin)
    assert f'data-testid="changed-{w.node1.host_name}"' not in page(client, w.viewer, "/")


def test_another_domain_does_not_see_the_warning(world, client):
    detected(world)
    stranger = UserFactory()
    MembershipFactory(domain=MasterFactory().domain, user=stranger, role=DomainRoleName.DOMAIN_ADMIN)
    assert f"changed-{world.node1.host_name}" not in page(client, stranger, "/")
    assert waiting_count(stranger) == 0


def pending_duty(w, by) -> DutyRecord:
    server = w.cluster.server
    return DutyRecord.objects.create(
        server=server, node=w.node1, done_at=timezone.now(), reason="done on the console", recorded_by=by
    )


def test_the_queue_holds_every_decision_that_waits_for_a_person_each_linked_to_where_it_is_taken(world, monkeypatch):
    w = world
    assert set(queue_for(w.viewer).waiting) == set(Decision) == set(NAMES)
    record = pending_duty(w, w.operator)
    to_accept = detected(w)
    to_sign = hostkeys.record_change(w.node2, new_key(), by=w.operator)
    presents(monkeypatch, to_sign.new_key)
    hostkeys.accept_host_key(to_sign.pk, user=w.admin, confirmed_fingerprint=to_sign.new_fingerprint)

    admin, approver, operator = queue_for(w.admin), queue_for(w.approver), queue_for(w.operator)
    assert admin.host_key == [to_accept] and approver.host_key == []  # accepting or rejecting: administrators
    assert admin.host_key_sign_off == [] and approver.host_key_sign_off == [to_sign]  # never who accepted it
    assert approver.outside_duty == [record] and operator.outside_duty == []  # neither an operator nor its author
    assert queue_for(w.approver, brief=True).outside_duty == [record]
    assert admin.host_key[0].decision_url == reverse("procedures:host-key-change", args=[to_accept.pk])
    assert approver.outside_duty[0].decision_url == (
        reverse("procedures:domain-duty", args=[w.domain.pk]) + f"#duty-record-{record.pk}"
    )
    assert waiting_count(w.approver) == 2 and waiting_count(w.admin) == 2  # the duty, and one host key each
    DutyRecord.objects.filter(pk=record.pk).update(state=DutyRecordState.CONFIRMED)
    assert waiting_count(w.approver) == 1


def test_the_queue_page_and_the_home_page_show_them_with_their_links(world, client):
    w = world
    record = pending_duty(w, w.operator)
    change = detected(w)
    queue = page(client, w.admin, reverse("procedures:queue"))
    assert (
        f'data-testid="queue-duty-record-{record.pk}"' in queue and f'data-testid="queue-host-key-{change.pk}"' in queue
    )
    assert f'href="{reverse("procedures:host-key-change", args=[change.pk])}"' in queue
    for section in NAMES.values():  # each section once (a merge once wrote three of them twice)
        assert queue.count(f'data-testid="queue-{section.replace("_", "-")}"') <= 1, section
    assert queue.count(f'data-testid="queue-duty-record-{record.pk}"') == 1
    assert "2 items wait for you." in queue and '<span class="badge warn" data-testid="queue-count">2</span>' in queue
    home = page(client, w.admin, "/")
    assert (
        f'data-testid="waiting-host-key-{change.pk}"' in home
        and f'data-testid="waiting-duty-record-{record.pk}"' in home
    )
    # The link leads to the page where the decision is taken, and the duty page has the row it points at.
    duty = page(client, w.admin, reverse("procedures:domain-duty", args=[w.domain.pk]))
    assert f'id="duty-record-{record.pk}"' in duty


def test_the_header_counts_every_waiting_decision_in_one_query(world, django_assert_max_num_queries, rf):
    w = world
    services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)  # a plan to approve
    pending_duty(w, w.operator)
    detected(w)  # for the administrator
    request = rf.get("/")
    request.user = w.admin
    context = approver_queue(request)
    from django.template import Context, Template

    with django_assert_max_num_queries(1):
        shown = Template("{{ approver_queue_count }}").render(Context(context))
    assert shown == "3" == str(queue_for(w.admin).total)


# ---------------------------------------------------------------- admin


def staff(domain, role, *codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    MembershipFactory(domain=domain, user=user, role=role)
    return user


def test_the_admin_shows_host_key_changes_read_only_and_only_of_the_users_domains(world, client):
    w = world
    mine = detected(w)
    other = MasterFactory()
    node = other.cluster.primary
    node.host_key = new_key()
    node.save()
    theirs = hostkeys.record_change(node, new_key())
    codenames = ("view_hostkeychange", "add_hostkeychange", "change_hostkeychange", "delete_hostkeychange")
    client.force_login(staff(w.domain, DomainRoleName.DOMAIN_ADMIN, *codenames))
    listing = client.get(reverse("admin:clusters_hostkeychange_changelist")).content.decode()
    assert mine.new_fingerprint in listing and theirs.new_fingerprint not in listing
    assert client.get(reverse("admin:clusters_hostkeychange_change", args=[theirs.pk])).status_code in (302, 404)
    shown = client.get(reverse("admin:clusters_hostkeychange_change", args=[mine.pk]))
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()
    assert not re.search(r'name="(state|new_key|old_key)"', shown.content.decode())
    assert (
        client.post(reverse("admin:clusters_hostkeychange_change", args=[mine.pk]), {"state": "pinned"}).status_code
        == 403
    )
    assert client.get(reverse("admin:clusters_hostkeychange_add")).status_code == 403
    assert (
        client.post(reverse("admin:clusters_hostkeychange_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    )
    mine.refresh_from_db()
    assert mine.state == HostKeyChangeState.DETECTED


def test_the_home_pages_of_the_domain_are_rung_when_a_key_changes_and_when_it_is_decided(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from procedures.live import emitter

    rung = []
    monkeypatch.setattr(emitter, "publish_domain_home", rung.append)
    with django_capture_on_commit_callbacks(execute=True):
        change = detected(world)
    with django_capture_on_commit_callbacks(execute=True):
        hostkeys.reject_host_key(change.pk, user=world.admin)
    assert rung == [world.domain.pk, world.domain.pk]


def test_the_api_queue_has_every_section_of_the_page(world):
    w = world
    record = pending_duty(w, w.operator)
    change = detected(w)
    admin = api_client(w.admin).get("/api/queue/").json()
    assert set(admin) == set(NAMES.values())
    assert admin["host_key"] == [
        {"id": change.pk, "server": w.cluster.server.name, "node": w.node1.host_name, "state": change.state,
         "page": reverse("procedures:host-key-change", args=[change.pk])}
    ]  # fmt: skip
    approver = api_client(w.approver).get("/api/queue/").json()
    assert [item["id"] for item in approver["outside_duty"]] == [record.pk] and approver["host_key"] == []
    assert api_client(w.operator).get("/api/queue/").json()["outside_duty"] == []  # its author
