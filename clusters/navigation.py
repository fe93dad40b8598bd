"""What the header offers a person: their domains with their role in each, and what those roles let them open."""

from __future__ import annotations

from dataclasses import dataclass

from clusters.choices import DomainRoleName, roles_at_least
from clusters.models import AddressDomain, DomainMembership


@dataclass(frozen=True)
class DomainEntry:
    domain: AddressDomain
    role: str

    @property
    def role_label(self) -> str:
        return str(DomainRoleName(self.role).label)


@dataclass(frozen=True)
class Header:
    domains: tuple[DomainEntry, ...]  # by name

    def holds_somewhere(self, role: str) -> bool:
        return any(entry.role in roles_at_least(role) for entry in self.domains)

    @property
    def may_plan(self) -> bool:
        return self.holds_somewhere(DomainRoleName.OPERATOR)

    @property
    def may_approve(self) -> bool:
        return self.holds_somewhere(DomainRoleName.APPROVER)


def header_for(user) -> Header:
    """One query: the domains where ``user`` has a role (every domain, as administrator, for a superuser)."""
    if user.is_superuser:
        entries = [DomainEntry(d, DomainRoleName.DOMAIN_ADMIN) for d in AddressDomain.objects.order_by("name")]
    else:
        memberships = DomainMembership.objects.filter(user=user).select_related("domain").order_by("domain__name")
        entries = [DomainEntry(m.domain, m.role) for m in memberships]
    return Header(domains=tuple(entries))
