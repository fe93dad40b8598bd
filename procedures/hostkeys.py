"""Host keys the way ssh users expect: shown to a person first, pinned only as people confirmed them.

Nothing here trusts a key on first use. ``verify_connection`` only reads what the host presents;
``fetch_host_key`` does the same for the "Fetch host key" page and, when the host presents another key than
the pinned one, records that as a ``HostKeyChange``: from then on no step starts on that machine
(``refuse_changed_hosts``) until a domain administrator accepts the new key (``accept_host_key``) and a second
person signs the acceptance off (``sign_off_host_key``, the rule ``Decision.ACCEPT_HOST_KEY`` of
``procedures.signoff``), or a domain administrator rejects it (``reject_host_key``): the old key stays pinned, so
the executor, which connects with the pinned key only, keeps refusing the machine while it presents the rejected
key, and that key is not asked about again. Who may accept or reject is ``Decision.DECIDE_HOST_KEY``. A first
key is pinned by a domain administrator who confirmed its fingerprint (``pin_host_key``).
Each of these is kept in the inventory's history (who, when, from where, why).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clusters import history
from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import GroupmaxServer, HostKeyChange, Node
from clusters.rules import has_role
from clusters.validators import parse_host_key
from procedures import exceptions as exc
from procedures import signoff
from procedures.execution import ssh
from procedures.live import emitter
from procedures.signoff import Decision

KINDS = {"node": Node, "server": GroupmaxServer}


def ssh_target(kind: str, pk: int):
    if kind == "node":
        return Node.objects.select_related("cluster__server__domain", "credential").get(pk=pk)
    if kind == "server":
        return GroupmaxServer.objects.select_related("domain", "credential").get(pk=pk, cluster__isnull=True)
    raise LookupError(kind)


def kind_of(target) -> str:
    return "node" if isinstance(target, Node) else "server"


def target_domain(target):
    return target.cluster.domain if isinstance(target, Node) else target.domain


def _require(user, domain, role) -> None:
    if not has_role(user, domain, role):
        raise exc.NotAllowed(domain=domain or "—")


def verify_connection(kind: str, pk: int, *, user) -> dict:
    """What the machine presents now, beside what is pinned; nothing is stored (see ``fetch_host_key``)."""
    target = ssh_target(kind, pk)
    domain = target_domain(target)
    _require(user, domain, DomainRoleName.OPERATOR)
    endpoint = ssh.Endpoint.of(target)
    line, seen = ssh.scan_host_key(endpoint)
    expected = target.host_key_fingerprint
    return {
        "target": target,
        "address": f"{endpoint.address}:{endpoint.port}",
        "seen": seen,
        "expected": expected,
        "matches": bool(expected) and expected == seen,
        "pinned": bool(expected),
        "key_type": line.split()[0],
        "key_line": line,
        "known_hosts_line": f"{endpoint.known_hosts_name} {line}",
        "keygen_line": ssh.keygen_line(line, endpoint.known_hosts_name),
    }


def fetch_host_key(kind: str, pk: int, *, user, address=None) -> dict:
    """The "Fetch host key" button: the scan, and a changed key recorded as an open ``HostKeyChange``."""
    scan = verify_connection(kind, pk, user=user)
    scan["change"] = None
    if scan["pinned"] and not scan["matches"]:
        scan["change"] = record_change(scan["target"], scan["key_line"], by=user)
    return scan


def record_change(target, new_key: str, *, by=None) -> HostKeyChange | None:
    """The machine presented ``new_key`` instead of its pinned key: open a change, or renew the open one.

    A key that changes again while its acceptance waits for a sign-off starts over: what two people
    confirm is always the key the machine presents, never an earlier one.
    """
    parse_host_key(new_key)
    who = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        locked = type(target).objects.select_for_update().get(pk=target.pk)
        if not locked.host_key or _same_key(locked.host_key, new_key):
            return None
        change = locked.host_key_changes.open().select_for_update().first()
        if change is not None and _same_key(change.new_key, new_key):
            return change
        if change is None:  # a key rejected already: refused as it is, not asked about again
            latest = locked.host_key_changes.order_by("-pk").first()
            if (
                latest is not None
                and latest.state == HostKeyChangeState.REJECTED
                and _same_key(latest.new_key, new_key)
            ):
                return latest
        if change is None:
            change = HostKeyChange(**{kind_of(locked): locked}, old_key=locked.host_key)
        change.new_key, change.state, change.seen_by = new_key, HostKeyChangeState.DETECTED, who
        change.accepted_by = change.accepted_at = None
        change._history_user = who
        change._change_reason = history.KEY_PRESENTED
        change.save()
        _ring_home(change)
    return change


def _ring_home(change: HostKeyChange) -> None:
    """The home pages of the machine's domain warn or stop warning: ring them once the change is stored."""
    domain = change.domain
    if domain is not None:
        transaction.on_commit(lambda: emitter.publish_domain_home(domain.pk))


def _same_key(a: str, b: str) -> bool:
    return a.split()[:2] == b.split()[:2]


def pin_host_key(kind: str, pk: int, *, user, confirmed_fingerprint: str) -> str:
    """Pin the first key a domain administrator was shown and confirmed; refused when the host now shows another.

    A key that replaces a pinned one goes through ``accept_host_key`` and ``sign_off_host_key`` instead.
    """
    target = ssh_target(kind, pk)
    domain = target_domain(target)
    _require(user, domain, DomainRoleName.DOMAIN_ADMIN)
    endpoint = ssh.Endpoint.of(target)
    if target.host_key:
        raise exc.HostKeyAlreadyPinned(host=endpoint.label, expected=target.host_key_fingerprint)
    line, seen = ssh.scan_host_key(endpoint)
    if seen != (confirmed_fingerprint or "").strip():
        raise exc.FingerprintMismatch(host=endpoint.label, seen=seen, confirmed=confirmed_fingerprint)
    with transaction.atomic():
        locked = type(target).objects.select_for_update().get(pk=target.pk)
        if locked.host_key:
            raise exc.HostKeyAlreadyPinned(host=endpoint.label, expected=locked.host_key_fingerprint)
        locked.host_key = line
        locked._history_user = user
        locked._change_reason = history.KEY_CONFIRMED
        locked.save(update_fields=["host_key"])
    return seen


def _lock_change(change_id: int) -> HostKeyChange:
    related = ("node__cluster__server__domain", "server__domain", "accepted_by")
    # Only the change's row: PostgreSQL cannot lock the nullable side of the outer joins (node or server).
    return HostKeyChange.objects.select_for_update(of=("self",)).select_related(*related).get(pk=change_id)


def _still_presents(change: HostKeyChange, confirmed_fingerprint: str) -> None:
    """The machine presents the change's new key now, and it is the one the person confirmed."""
    endpoint = ssh.Endpoint.of(change.target)
    _line, seen = ssh.scan_host_key(endpoint)
    confirmed = (confirmed_fingerprint or "").strip()
    if confirmed != change.new_fingerprint or seen != change.new_fingerprint:
        raise exc.FingerprintMismatch(host=endpoint.label, seen=seen, confirmed=confirmed or "—")


def accept_host_key(change_id: int, *, user, confirmed_fingerprint: str) -> HostKeyChange:
    """A domain administrator accepts the new key he compared; it is pinned only after a second person's sign-off."""
    with transaction.atomic():
        change = _lock_change(change_id)
        signoff.refuse_role(Decision.DECIDE_HOST_KEY, user, change)
        if change.state != HostKeyChangeState.DETECTED:
            raise exc.HostKeyChangeState(host=change.target, state=change.get_state_display())
        _still_presents(change, confirmed_fingerprint)
        change.state, change.accepted_by, change.accepted_at = HostKeyChangeState.ACCEPTED, user, timezone.now()
        change._history_user = user
        change._change_reason = history.KEY_ACCEPTED
        change.save()
        _ring_home(change)
    return change


def reject_host_key(change_id: int, *, user) -> HostKeyChange:
    """A domain administrator refuses the new key: it is never pinned, the old key stays, and the machine stays
    refused while it presents the rejected key (the executor connects with the pinned key only).

    Open changes only: detected, or accepted and waiting for its sign-off (an acceptance may be withdrawn so).
    Nothing is fetched: refusing a key never trusts anything.
    """
    with transaction.atomic():
        change = _lock_change(change_id)
        signoff.refuse_role(Decision.DECIDE_HOST_KEY, user, change)
        if not change.is_open:
            raise exc.HostKeyChangeState(host=change.target, state=change.get_state_display())
        change.state, change.rejected_by, change.rejected_at = HostKeyChangeState.REJECTED, user, timezone.now()
        change._history_user = user
        change._change_reason = history.KEY_REJECTED
        change.save()
        _ring_home(change)
    return change


def sign_off_host_key(change_id: int, *, user, confirmed_fingerprint: str) -> HostKeyChange:
    """The second person: the new key replaces the pinned one, and steps may run on the machine again."""
    with transaction.atomic():
        change = _lock_change(change_id)
        signoff.refuse_role(Decision.ACCEPT_HOST_KEY, user, change)
        if change.state != HostKeyChangeState.ACCEPTED:
            raise exc.HostKeyChangeState(host=change.target, state=change.get_state_display())
        signoff.refuse_involved(Decision.ACCEPT_HOST_KEY, user, change)
        _still_presents(change, confirmed_fingerprint)
        target = type(change.target).objects.select_for_update().get(pk=change.target.pk)
        target.host_key = change.new_key
        target._history_user = user
        target._change_reason = history.KEY_SIGNED_OFF  # who accepted it: the change's own history
        target.save(update_fields=["host_key"])
        change.state, change.signed_off_by, change.signed_off_at = HostKeyChangeState.PINNED, user, timezone.now()
        change._history_user = user
        change._change_reason = history.KEY_SIGNED_OFF
        change.save()
        _ring_home(change)
    return change


def changed_hosts(refs) -> list[HostKeyChange]:
    """The open host key changes of the machines a step's hosts name (nodes, candidates, standalone servers)."""
    node_ids, server_ids = set(), set()
    for ref in refs:
        if ref.server_id:
            server_ids.add(ref.server_id)
        if ref.node_id:
            node_ids.add(ref.node_id)
        node_ids.update(ref.candidate_node_ids or ())
    if not node_ids and not server_ids:
        return []
    return list(
        HostKeyChange.objects.open()
        .filter(Q(node_id__in=node_ids) | Q(server_id__in=server_ids))
        .select_related("node", "server")
        .order_by("pk")
    )


def refuse_changed_hosts(refs) -> None:
    """Refuse to start a step on a machine whose host key changed and is not pinned again by two people."""
    changes = changed_hosts(refs)
    if changes:
        change = changes[0]
        raise exc.HostKeyChangeOpen(
            host=getattr(change.target, "host_name", "") or change.target,
            old=change.old_fingerprint,
            new=change.new_fingerprint,
        )
