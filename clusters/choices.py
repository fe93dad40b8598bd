from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServerRole(models.TextChoices):
    MASTER = "master", _("Master management server")
    ADDRESS = "address", _("Address server")


class NodePosition(models.IntegerChoices):
    PRIMARY = 1, pgettext_lazy("node position", "Node 1 (primary)")
    STANDBY = 2, pgettext_lazy("node position", "Node 2 (standby)")


class DomainRoleName(models.TextChoices):
    """What a person may do in one address-management domain; each role includes the ones before it."""

    VIEWER = "viewer", _("Viewer")
    OPERATOR = "operator", _("Operator")
    APPROVER = "approver", _("Approver")
    DOMAIN_ADMIN = "domain_admin", _("Domain administrator")


ROLE_RANK = {
    DomainRoleName.VIEWER: 1,
    DomainRoleName.OPERATOR: 2,
    DomainRoleName.APPROVER: 3,
    DomainRoleName.DOMAIN_ADMIN: 4,
}


def roles_at_least(role: str) -> list[str]:
    """``role`` and every role above it: the one list behind "may do at least this" in code and in SQL."""
    return [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role]]


class HostKeyChangeState(models.TextChoices):
    """A host that presented another key than the pinned one, until the new key is pinned by two people, or a
    domain administrator rejected it (the old key stays pinned, so the host is still refused while it presents it)."""

    DETECTED = "detected", _("New key seen, not accepted")
    ACCEPTED = "accepted", _("Accepted, waiting for a second person's sign-off")
    PINNED = "pinned", _("New key pinned")
    REJECTED = "rejected", _("New key rejected; the old key stays pinned")


OPEN_HOST_KEY_CHANGES = (HostKeyChangeState.DETECTED, HostKeyChangeState.ACCEPTED)
