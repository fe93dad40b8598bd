"""On PostgreSQL, which enforces the history's 100-character reason (SQLite does not), a changed host key goes
through detection, acceptance and a second person's sign-off, and every history row keeps its reason."""

import pytest

from clusters import history
from clusters.choices import DomainRoleName
from procedures import hostkeys
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import build_world
from tests.runs.test_host_key_rules import new_key, presents

pytestmark = [pytest.mark.prod, pytest.mark.django_db]


def test_a_changed_key_is_accepted_and_signed_off_with_its_reasons_in_the_history(monkeypatch):
    w = build_world()
    admin = UserFactory(username="a-domain-administrator-with-a-rather-long-user-name-for-the-history-reason")
    MembershipFactory(domain=w.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
    w.node1.host_key = new_key()
    w.node1.save()
    change = hostkeys.record_change(w.node1, new_key(), by=w.operator)
    presents(monkeypatch, change.new_key)
    hostkeys.accept_host_key(change.pk, user=admin, confirmed_fingerprint=change.new_fingerprint)
    hostkeys.sign_off_host_key(change.pk, user=w.approver, confirmed_fingerprint=change.new_fingerprint)
    w.node1.refresh_from_db()
    assert w.node1.host_key == change.new_key
    assert w.node1.history.first().history_change_reason == history.KEY_SIGNED_OFF
    assert [r.history_change_reason for r in change.history.order_by("history_id")] == [
        history.KEY_PRESENTED,
        history.KEY_ACCEPTED,
        history.KEY_SIGNED_OFF,
    ]
