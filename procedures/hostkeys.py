"""Pinning a machine's SSH host key: shown to a person first, pinned only as that person confirmed it.

Nothing here trusts a key on first use: ``verify_connection`` only reads what the host presents, and
``pin_host_key`` stores a key only when it is the one the person saw and no key is pinned yet.
"""

from __future__ import annotations

from django.db import transaction

from clusters.choices import DomainRoleName
from clusters.models import GroupmaxServer, Node
from clusters.rules import has_role
from procedures import exceptions as exc
from procedures.execution import ssh


def ssh_target(kind: str, pk: int):
    if kind == "node":
        return Node.objects.select_related("cluster__server__domain", "credential").get(pk=pk)
    if kind == "server":
        return GroupmaxServer.objects.select_related("domain", "credential").get(pk=pk, cluster__isnull=True)
    raise LookupError(kind)


def target_domain(target):
    return target.cluster.domain if isinstance(target, Node) else target.domain


def verify_connection(kind: str, pk: int, *, user) -> dict:
    """What the machine presents now, beside what is pinned; nothing is stored (see ``pin_host_key``)."""
    target = ssh_target(kind, pk)
    domain = target_domain(target)
    if not has_role(user, domain, DomainRoleName.OPERATOR):
        raise exc.NotAllowed(domain=domain)
    endpoint = ssh.Endpoint.of(target)
    _line, seen = ssh.scan_host_key(endpoint)
    expected = target.host_key_fingerprint
    return {
        "target": target,
        "address": f"{endpoint.address}:{endpoint.port}",
        "seen": seen,
        "expected": expected,
        "matches": bool(expected) and expected == seen,
        "pinned": bool(expected),
    }


def pin_host_key(kind: str, pk: int, *, user, confirmed_fingerprint: str) -> str:
    """Pin the key a person was shown and confirmed; refused when the host now shows another key.

    Only a first key is pinned here; a changed key is an inventory change (admin, with history).
    """
    target = ssh_target(kind, pk)
    domain = target_domain(target)
    if not has_role(user, domain, DomainRoleName.DOMAIN_ADMIN):
        raise exc.NotAllowed(domain=domain)
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
        locked._change_reason = f"host key {seen} confirmed by {user.get_username()}"
        locked.save(update_fields=["host_key"])
    return seen
