"""Who may do what in a domain: predicates for django-rules, used by views, services and sockets alike."""

import rules

from clusters.choices import DomainRoleName, roles_at_least


def role_in(user, domain) -> str | None:
    """The user's role in ``domain``, or None when they have none."""
    if not getattr(user, "is_authenticated", False) or domain is None:
        return None
    if user.is_superuser:
        return DomainRoleName.DOMAIN_ADMIN
    membership = domain.memberships.filter(user=user).only("role").first()
    return membership.role if membership else None


def has_role(user, domain, role: str) -> bool:
    return role_in(user, domain) in roles_at_least(role)


@rules.predicate
def is_domain_viewer(user, domain):
    return has_role(user, domain, DomainRoleName.VIEWER)


@rules.predicate
def is_domain_operator(user, domain):
    return has_role(user, domain, DomainRoleName.OPERATOR)


@rules.predicate
def is_domain_approver(user, domain):
    return has_role(user, domain, DomainRoleName.APPROVER)


@rules.predicate
def is_domain_admin(user, domain):
    return has_role(user, domain, DomainRoleName.DOMAIN_ADMIN)


rules.add_perm("clusters.view_domain", is_domain_viewer)
rules.add_perm("clusters.operate_domain", is_domain_operator)
rules.add_perm("clusters.approve_domain", is_domain_approver)
rules.add_perm("clusters.admin_domain", is_domain_admin)
