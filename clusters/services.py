"""Changes of the inventory made in the portal: one function per change, each checked and kept in the history.

Every function locks what it changes, checks that the person administers the domain the object belongs to
before *and* after the change, checks every foreign key again (``scoping.check_choices``: a posted id
outside the form's choices is refused, never trusted), runs the model's own rules (``full_clean``: field
validators, ``clean()`` and constraints, with their messages) and saves with django-simple-history, which
records who changed what, when and from which address, exactly as for a change in the admin.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clusters import history
from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, Cluster, DomainMembership, GroupmaxServer, Node, SharedFilesystem
from clusters.rules import has_role, may_grant, may_remove
from clusters.scoping import check_choices
from portal.errors import NotAllowed, PortalError

FOREIGN_KEYS = {
    GroupmaxServer: ("domain", "cluster", "credential"),
    Cluster: (),
    Node: ("cluster", "credential"),
    SharedFilesystem: ("cluster",),
    DomainMembership: ("domain",),
}


class RoleRefused(PortalError):
    status, code, message = 403, "role_refused", _("You may not give {user} the role {role} in domain {domain}.")


class LastAdministrator(PortalError):
    status, code, message = (
        409,
        "last_domain_admin",
        _("{user} is the last domain administrator of {domain}; give someone else that role first."),
    )


class UnknownUser(PortalError):
    status, code, message = 400, "unknown_user", _("There is no active user named “{user}”.")


def domain_of(obj) -> AddressDomain | None:
    if isinstance(obj, GroupmaxServer | DomainMembership):
        return obj.domain if obj.domain_id else None
    if isinstance(obj, Cluster):
        server = GroupmaxServer.objects.filter(cluster=obj).select_related("domain").first() if obj.pk else None
        return server.domain if server else None
    if isinstance(obj, Node | SharedFilesystem):
        return domain_of(obj.cluster) if obj.cluster_id else None
    raise TypeError(obj)


def _require_admin(user, domain) -> None:
    if domain is None or not has_role(user, domain, DomainRoleName.DOMAIN_ADMIN):
        raise NotAllowed(domain=domain or "—")


def _save(obj, *, user, reason: str, keys=None) -> None:
    """The checks every inventory change passes, then the save with its history entry (inside a transaction)."""
    if obj.pk is not None:  # the object as stored: its domain before this change must be the person's too
        stored = type(obj).objects.select_for_update().get(pk=obj.pk)
        _require_admin(user, domain_of(stored))
    _require_admin(user, domain_of(obj))
    check_choices(user, obj, FOREIGN_KEYS[type(obj)] if keys is None else keys)
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = reason
    obj.save()


def save_object(obj, *, user, reason: str = ""):
    """Save a server, cluster, node or shared file system changed (or created) by a domain administrator."""
    with transaction.atomic():
        _save(obj, user=user, reason=reason or history.CHANGED)
    return obj


def create_clustered_server(server: GroupmaxServer, cluster: Cluster, *, user) -> GroupmaxServer:
    """A new Groupmax server on a new cluster of one domain: both or neither (the cluster's domain is the server's)."""
    with transaction.atomic():
        _require_admin(user, domain_of(server))
        try:
            cluster.full_clean()
        except ValidationError as e:
            raise ValidationError({"cluster": e}) from None  # the view shows it on the cluster's form
        cluster._history_user, cluster._change_reason = user, history.CREATED
        cluster.save()
        server.cluster = cluster  # made just now, by this person: its one foreign key not to check
        _save(server, user=user, reason=history.CREATED, keys=("domain",))
    return server


# ---------------------------------------------------------------- roles


def _lock_membership(pk: int) -> DomainMembership:
    return DomainMembership.objects.select_for_update().select_related("domain", "user").get(pk=pk)


def _keeps_an_administrator(membership: DomainMembership, new_role: str | None) -> None:
    if membership.role != DomainRoleName.DOMAIN_ADMIN or new_role == DomainRoleName.DOMAIN_ADMIN:
        return
    others = membership.domain.memberships.select_for_update().filter(role=DomainRoleName.DOMAIN_ADMIN)
    if not others.exclude(pk=membership.pk).exists():
        raise LastAdministrator(user=membership.user.get_username(), domain=membership.domain)


def grant_role(domain: AddressDomain, *, username: str, role: str, user) -> DomainMembership:
    """Give ``username`` the role ``role`` in ``domain`` (or change the role he holds there)."""
    with transaction.atomic():
        domain = AddressDomain.objects.select_for_update().get(pk=domain.pk)
        person = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
        if person is None:
            raise UnknownUser(user=username.strip()[:150])
        membership = domain.memberships.select_for_update().filter(user=person).first()
        current = membership.role if membership else None
        if not may_grant(user, domain, role, to=person, current=current):
            raise RoleRefused(user=person.get_username(), role=DomainRoleName(role).label, domain=domain)
        if membership is None:
            membership = DomainMembership(domain=domain, user=person, role=role)
        else:
            _keeps_an_administrator(membership, role)
            membership.role = role
        _save(membership, user=user, reason=history.ROLE_GIVEN)
    return membership


def change_role(membership_id: int, *, role: str, user) -> DomainMembership:
    with transaction.atomic():
        membership = _lock_membership(membership_id)
        return grant_role(membership.domain, username=membership.user.get_username(), role=role, user=user)


def remove_role(membership_id: int, *, user) -> None:
    """Take a person's role in a domain away; the history keeps who had it and who removed it."""
    with transaction.atomic():
        membership = _lock_membership(membership_id)
        domain = membership.domain
        if not may_remove(user, domain, current=membership.role):
            raise RoleRefused(user=membership.user.get_username(), role=membership.get_role_display(), domain=domain)
        _keeps_an_administrator(membership, None)
        membership._history_user = user
        membership._change_reason = history.ROLE_REMOVED
        membership.delete()
