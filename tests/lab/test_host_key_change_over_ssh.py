"""A lab node's host key changes under a run: the portal's executor refuses it and records the change, every
step on that node stops (with a message that says why) until a domain administrator accepts the new key and a
second person signs that off, and the pages warn and show the old and new fingerprints side by side.
"""

import pytest
from django.urls import reverse

from clusters import history
from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import HostKeyChange
from procedures import exceptions as exc
from procedures import hostkeys, services
from procedures.choices import HostState, RunState, StepState, WaitReason
from procedures.models import ProcedureRun
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.lab import give_new_host_key
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until

pytestmark = pytest.mark.lab


def waiting(run_id: int):
    def check():
        run = ProcedureRun.objects.get(pk=run_id)
        return run if run.state == RunState.WAITING else None

    return check


def test_a_changed_host_key_stops_the_node_until_accepted_and_signed_off_by_two_people(run_world, client):
    w = run_world
    host = w.node1.host_name
    admin = UserFactory(username="run-domain-admin")
    MembershipFactory(domain=w.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
    old = w.lab.node(host).host_key_fingerprint
    assert w.node1.host_key_fingerprint == old
    steps = [
        command_step("one", [host_ref(w.node1, "echo one")]),
        command_step("two", [host_ref(w.node2, "echo two")]),
    ]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)

    new = give_new_host_key(w.lab, host)
    assert new != old
    services.start_run(run.pk, user=w.operator)
    run = wait_until(waiting(run.pk), what="the step on the re-keyed node to be refused")

    # The executor refused the new key (nothing was sent) and recorded it as a change to decide on.
    step = run.steps.get(position=1)
    result = step.host_results.get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.HOST_KEY), result.message
    assert new in result.message and old in result.message
    change = HostKeyChange.objects.get(node=w.node1)
    assert (change.state, change.old_fingerprint, change.new_fingerprint) == (HostKeyChangeState.DETECTED, old, new)
    assert [n.host_name for n in type(w.node1).objects.host_key_changed()] == [host]

    # The home page warns, for everybody with a role in the domain, from the open change (not from a run's
    # results), and links to the comparison page.
    client.force_login(w.viewer)
    home = client.get("/").content.decode()
    warnings = home[home.index('data-testid="home-warnings"') :]
    assert f'data-testid="changed-{host}"' in warnings
    assert reverse("procedures:host-key-change", args=[change.pk]) in warnings
    cluster_page = client.get(w.cluster.get_absolute_url())
    assert b'data-testid="host-key-warning"' in cluster_page.content

    # No step starts on that node: the retry is refused with a message that says why and what to do.
    with pytest.raises(exc.HostKeyChangeOpen) as refused:
        services.retry_step(step.pk, user=w.operator)
    assert host in str(refused.value) and new in str(refused.value)
    client.force_login(w.operator)
    page = client.post(reverse("procedures:step-action", args=[step.pk, "retry"]), follow=True)
    assert "No step runs on it until a domain administrator accepts the new key" in page.content.decode()
    step.refresh_from_db()
    assert step.state == StepState.FAILED

    # The comparison page shows both keys side by side.
    client.force_login(admin)
    compare = client.get(reverse("procedures:host-key-change", args=[change.pk])).content.decode()
    assert f'data-testid="old-fingerprint">{old}<' in compare and f'data-testid="new-fingerprint">{new}<' in compare

    # An operator may not accept; the domain administrator accepts what he compared (fetched again first).
    with pytest.raises(exc.NotAllowed):
        hostkeys.accept_host_key(change.pk, user=w.operator, confirmed_fingerprint=new)
    with pytest.raises(exc.FingerprintMismatch):
        hostkeys.accept_host_key(change.pk, user=admin, confirmed_fingerprint=old)
    client.post(reverse("procedures:host-key-change", args=[change.pk]), {"action": "accept", "fingerprint": new})
    change.refresh_from_db()
    assert (change.state, change.accepted_by) == (HostKeyChangeState.ACCEPTED, admin)
    client.force_login(w.viewer)
    assert f'data-testid="changed-{host}"' in client.get("/").content.decode()  # accepted is not pinned: still warned
    client.force_login(admin)

    # Accepted is not pinned: still nothing runs, and the one who accepted cannot sign it off himself.
    with pytest.raises(exc.HostKeyChangeOpen):
        services.retry_step(step.pk, user=w.operator)
    with pytest.raises(exc.SelfApprovalRefused):
        hostkeys.sign_off_host_key(change.pk, user=admin, confirmed_fingerprint=new)
    page = client.get(reverse("procedures:host-key-change", args=[change.pk])).content.decode()
    assert 'data-testid="sign-off-form"' not in page and 'data-testid="waits-for-second-person"' in page
    w.node1.refresh_from_db()
    assert w.node1.host_key_fingerprint == old

    # A second person signs it off: the new key is pinned, with its history; the step runs again.
    client.force_login(w.approver)
    client.post(reverse("procedures:host-key-change", args=[change.pk]), {"action": "sign-off", "fingerprint": new})
    change.refresh_from_db()
    w.node1.refresh_from_db()
    assert (change.state, change.signed_off_by) == (HostKeyChangeState.PINNED, w.approver)
    assert w.node1.host_key_fingerprint == new
    latest = w.node1.history.first()
    assert (latest.history_user, latest.history_change_reason) == (w.approver, history.KEY_SIGNED_OFF)
    assert not type(w.node1).objects.host_key_changed().exists()

    services.retry_step(step.pk, user=w.operator)
    run = wait_until(lambda: ProcedureRun.objects.get(pk=run.pk).state == RunState.COMPLETED and run, 60, "the run")
    assert ProcedureRun.objects.get(pk=run.pk).wait_reason == WaitReason.NONE


def test_a_rejected_host_key_is_never_pinned_and_the_node_stays_refused(run_world, client):
    w = run_world
    host = w.node1.host_name
    admin = UserFactory(username="run-domain-admin")
    MembershipFactory(domain=w.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
    old = w.node1.host_key_fingerprint
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [host_ref(w.node1, "echo one")])]),
                              user=w.operator)  # fmt: skip
    services.approve_run(run.pk, user=w.approver)
    new = give_new_host_key(w.lab, host)
    services.start_run(run.pk, user=w.operator)
    run = wait_until(waiting(run.pk), what="the step on the re-keyed node to be refused")
    step = run.steps.get(position=1)
    change = HostKeyChange.objects.get(node=w.node1)

    # Only a domain administrator rejects; the operator's and the approver's posts change nothing.
    url = reverse("procedures:host-key-change", args=[change.pk])
    for person in (w.operator, w.approver):
        client.force_login(person)
        assert 'data-testid="reject-form"' not in client.get(url).content.decode()
        client.post(url, {"action": "reject"})
        change.refresh_from_db()
        assert change.state == HostKeyChangeState.DETECTED
    client.force_login(admin)
    client.post(url, {"action": "reject"})
    change.refresh_from_db()
    w.node1.refresh_from_db()
    assert (change.state, change.rejected_by) == (HostKeyChangeState.REJECTED, admin)
    assert w.node1.host_key_fingerprint == old  # the old pin stays
    client.force_login(w.viewer)
    assert f'data-testid="changed-{host}"' not in client.get("/").content.decode()  # decided: no longer warned

    # The node still presents the rejected key: a retried step is refused by the executor (nothing is sent),
    # and the rejected key is not asked about again.
    services.retry_step(step.pk, user=w.operator)
    run = wait_until(waiting(run.pk), what="the retried step to be refused")
    step.refresh_from_db()
    result = step.host_results.filter(attempt=step.attempt).get()
    assert (step.state, result.state) == (StepState.FAILED, HostState.HOST_KEY), result.message
    assert new in result.message
    assert not HostKeyChange.objects.open().exists()
    assert list(HostKeyChange.objects.values_list("state", flat=True)) == [HostKeyChangeState.REJECTED]
