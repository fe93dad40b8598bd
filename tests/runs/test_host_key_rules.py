"""Who decides a changed host key, and what a changed key stops (no SSH: the host's answer is given here).

The real over-SSH story is tests/lab/test_host_key_change_over_ssh.py; these pin the rules one by one.
"""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import Cluster, HostKeyChange, Node
from procedures import exceptions as exc
from procedures import hostkeys, services, signoff
from procedures.choices import HostState, RunState, StepState, WaitReason
from procedures.execution import engine, ssh
from procedures.signoff import Decision
from tests.factories import DomainFactory, MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, make_plan


def new_key() -> str:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()


@pytest.fixture
def world(state_world):
    w = state_world
    w.admin = UserFactory(username="run-domain-admin")
    MembershipFactory(domain=w.domain, user=w.admin, role=DomainRoleName.DOMAIN_ADMIN)
    for node in (w.node1, w.node2):
        node.host_key = new_key()
        node.save()
    return w


def presents(monkeypatch, key: str):
    """The host presents ``key`` when the portal fetches its key."""
    monkeypatch.setattr(ssh, "scan_host_key", lambda endpoint: (key, ssh.keygen_line(key, "x").split()[1]))


def detected(w, key=None) -> HostKeyChange:
    return hostkeys.record_change(w.node1, key or new_key(), by=w.operator)


def test_a_change_is_recorded_once_and_a_further_key_starts_it_over(world, monkeypatch):
    w = world
    first = detected(w)
    assert hostkeys.record_change(w.node1, first.new_key) == first  # the same key again: the same change
    assert hostkeys.record_change(w.node1, w.node1.host_key) is None  # the pinned key: nothing to decide
    presents(monkeypatch, first.new_key)
    hostkeys.accept_host_key(first.pk, user=w.admin, confirmed_fingerprint=first.new_fingerprint)
    again = hostkeys.record_change(w.node1, new_key())
    assert again.pk == first.pk and again.state == HostKeyChangeState.DETECTED and again.accepted_by is None
    assert HostKeyChange.objects.open().count() == 1
    assert list(Node.objects.host_key_changed()) == [w.node1]
    assert list(Cluster.objects.host_key_changed()) == [w.cluster]


def test_acceptance_needs_a_domain_administrator_and_the_sign_off_a_second_person(world, monkeypatch):
    w = world
    change = detected(w)
    presents(monkeypatch, change.new_key)
    fp = change.new_fingerprint
    for person in (w.operator, w.approver):
        with pytest.raises(exc.NotAllowed):
            hostkeys.accept_host_key(change.pk, user=person, confirmed_fingerprint=fp)
    with pytest.raises(exc.HostKeyChangeState):  # nothing accepted yet: nothing to sign off
        hostkeys.sign_off_host_key(change.pk, user=w.approver, confirmed_fingerprint=fp)
    hostkeys.accept_host_key(change.pk, user=w.admin, confirmed_fingerprint=fp)

    outsider = UserFactory(username="other-approver")
    MembershipFactory(domain=DomainFactory(), user=outsider, role=DomainRoleName.APPROVER)
    assert not signoff.may_decide(Decision.ACCEPT_HOST_KEY, w.admin, HostKeyChange.objects.get())
    assert not signoff.may_decide(Decision.ACCEPT_HOST_KEY, w.operator, HostKeyChange.objects.get())
    assert signoff.may_decide(Decision.ACCEPT_HOST_KEY, w.approver, HostKeyChange.objects.get())
    assert list(signoff.waiting_for(Decision.ACCEPT_HOST_KEY, w.approver)) == [change]
    assert not signoff.waiting_for(Decision.ACCEPT_HOST_KEY, w.admin).exists()  # never his own acceptance
    assert not signoff.waiting_for(Decision.ACCEPT_HOST_KEY, outsider).exists()
    with pytest.raises(exc.SelfApprovalRefused):
        hostkeys.sign_off_host_key(change.pk, user=w.admin, confirmed_fingerprint=fp)
    with pytest.raises(exc.NotAllowed):
        hostkeys.sign_off_host_key(change.pk, user=outsider, confirmed_fingerprint=fp)

    presents(monkeypatch, new_key())  # the host shows yet another key by now: nothing is pinned
    with pytest.raises(exc.FingerprintMismatch):
        hostkeys.sign_off_host_key(change.pk, user=w.approver, confirmed_fingerprint=fp)
    presents(monkeypatch, change.new_key)
    hostkeys.sign_off_host_key(change.pk, user=w.approver, confirmed_fingerprint=fp)
    w.node1.refresh_from_db()
    assert w.node1.host_key == change.new_key and w.node1.host_key_state == "pinned"


def test_a_run_does_not_start_a_step_on_a_node_whose_key_changed(world, settings):
    settings.LANGUAGE_CODE = "en"  # the wait message is written in the site language
    w = world
    detected(w)
    steps = [command_step("a", [host_ref(w.node2, "true")]), command_step("b", [host_ref(w.node1, "true")])]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps[1:]), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    with pytest.raises(exc.HostKeyChangeOpen) as refused:  # a person's start is refused, and says why
        services.start_run(run.pk, user=w.operator)
    assert w.node1.host_name in str(refused.value) and "accepts the new key" in str(refused.value)
    run.refresh_from_db()
    assert run.state == RunState.APPROVED and not run.steps.exclude(state=StepState.PENDING).exists()
    services.abort_run(run.pk, user=w.operator, reason="host key")

    # Reached by the run itself (after a step on the other node): the run waits, with the same words.
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    first, second = run.steps.order_by("position")
    claimed = services.claim_step(first.pk, attempt=None, worker="test-worker")
    services.finish_step(first.pk, worker="test-worker", attempt=claimed.attempt, ok=True)
    run.refresh_from_db()
    second.refresh_from_db()
    assert (run.state, run.wait_reason, second.state) == (RunState.WAITING, WaitReason.OPERATOR, StepState.PENDING)
    assert "presented a new host key" in run.wait_message and w.node1.host_name in run.wait_message
    assert second.attempt == 0 and second.started_at is None  # never started, so nothing handed to a worker
    with pytest.raises(exc.HostKeyChangeOpen):
        services.resume_run(run.pk, user=w.operator)


def test_the_executor_refuses_a_node_whose_key_changed_after_the_step_started(transactional_db, world, settings):
    settings.LANGUAGE_CODE = "en"
    w = world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("a", [host_ref(w.node1, "true")])]),
                              user=w.operator)  # fmt: skip
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get()
    assert step.state == StepState.RUNNING
    detected(w)
    engine.execute_step(step.pk, attempt=step.attempt)
    step.refresh_from_db()
    result = step.host_results.get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.HOST_KEY)
    assert "presented a new host key" in result.message
