"""Who may do what in a domain: predicates for django-rules, used by views, services and sockets alike."""

import rules

from clusters.choices import ROLE_RANK, DomainRoleName, roles_at_least


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


def grantable_roles(user, domain) -> list[str]:
    """The roles ``user`` may give in ``domain``: none unless he administers it, and never one above his own."""
    mine = role_in(user, domain)
    if mine is None or not has_role(user, domain, DomainRoleName.DOMAIN_ADMIN):
        return []
    return [name for name, rank in ROLE_RANK.items() if rank <= ROLE_RANK[mine]]


def may_grant(user, domain, role: str, *, to, current: str | None = None) -> bool:
    """Whether ``user`` may give ``to`` the role ``role`` in ``domain`` (``current``: the role ``to`` holds now).

    A domain administrator grants only roles up to his own, and never raises himself: to himself he may only
    give a role no higher than the one he holds (a superuser holds every role in every domain).
    """
    if role not in grantable_roles(user, domain):
        return False
    if current is not None and ROLE_RANK[current] > ROLE_RANK[role_in(user, domain)]:
        return False  # a role above his own is not his to change
    return not (to.pk == user.pk and ROLE_RANK[role] > ROLE_RANK[role_in(user, domain)])


def may_remove(user, domain, *, current: str) -> bool:
    return current in grantable_roles(user, domain)
