"""A changed host key decided over the API: the same service functions and rules as the comparison page
(``procedures.hostkeys``, ``signoff.DECIDE_HOST_KEY`` / ``ACCEPT_HOST_KEY``). No SSH: the host's answer is given
(the over-SSH story is tests/lab/test_host_key_change_over_ssh.py)."""

from clusters.choices import HostKeyChangeState
from tests.factories import MasterFactory, MembershipFactory, UserFactory
from tests.fixtures.api import api_client
from tests.runs.test_host_key_rules import detected, presents
from tests.runs.test_host_key_rules import world as world  # the fixture, with a domain administrator


def url(change, act=""):
    return f"/api/hosts/changes/{change.pk}/" + (f"{act}/" if act else "")


def test_the_change_shows_both_fingerprints_to_a_viewer_and_is_404_to_another_domain(world):
    w = world
    change = detected(w)
    answer = api_client(w.viewer).get(url(change))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["host"], body["state"]) == (w.node1.host_name, HostKeyChangeState.DETECTED)
    assert (body["old_fingerprint"], body["new_fingerprint"]) == (change.old_fingerprint, change.new_fingerprint)
    stranger = UserFactory(username="api-stranger")
    MembershipFactory(domain=MasterFactory().domain, user=stranger)
    for act in ("", "reject"):
        call = api_client(stranger).post if act else api_client(stranger).get
        assert call(url(change, act)).status_code == 404


def test_accepting_needs_a_domain_administrator_and_pinning_a_second_person(world, monkeypatch):
    w = world
    change = detected(w)
    presents(monkeypatch, change.new_key)
    confirmed = {"fingerprint": change.new_fingerprint}
    assert api_client(w.approver).post(url(change, "accept"), confirmed, format="json").status_code == 403
    accepted = api_client(w.admin).post(url(change, "accept"), confirmed, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == HostKeyChangeState.ACCEPTED
    assert accepted.json()["accepted_by"] == w.admin.username
    himself = api_client(w.admin).post(url(change, "sign-off"), confirmed, format="json")
    assert (himself.status_code, himself.json()["code"]) == (409, "self_approval")  # a second person signs it off
    signed = api_client(w.approver).post(url(change, "sign-off"), confirmed, format="json")
    assert signed.status_code == 200 and signed.json()["state"] == HostKeyChangeState.PINNED
    w.node1.refresh_from_db()
    assert w.node1.host_key == change.new_key


def test_a_fingerprint_that_is_not_the_presented_one_pins_nothing(world, monkeypatch):
    w = world
    change = detected(w)
    presents(monkeypatch, change.new_key)
    wrong = api_client(w.admin).post(url(change, "accept"), {"fingerprint": "SHA256:nope"}, format="json")
    assert wrong.status_code == 409
    assert api_client(w.admin).post(url(change, "accept"), {}, format="json").status_code == 400


def test_a_domain_administrator_rejects_a_new_key_and_it_is_never_pinned(world):
    w = world
    pinned = w.node1.host_key
    change = detected(w)
    assert api_client(w.approver).post(url(change, "reject")).status_code == 403
    rejected = api_client(w.admin).post(url(change, "reject"))
    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["rejected_by"]) == (HostKeyChangeState.REJECTED, w.admin.username)
    w.node1.refresh_from_db()
    assert w.node1.host_key == pinned
    assert api_client(w.admin).post(url(change, "reject")).status_code == 409  # no longer open
