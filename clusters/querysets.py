"""Querysets that speak the inventory's language; views compose them instead of filtering by hand."""

from django.apps import apps
from django.db import models

from clusters.choices import OPEN_HOST_KEY_CHANGES, DomainRoleName, roles_at_least


def _anonymous(user) -> bool:
    return not getattr(user, "is_authenticated", False)


def domains_where(user, role: str = DomainRoleName.VIEWER):
    """The pks of the domains where ``user`` holds at least ``role``, as a subquery: every scoped queryset of the
    inventory and of the runs filters through this one rule."""
    return apps.get_model("clusters", "AddressDomain").objects.where_role(user, role).values("pk")


def administered(user):
    """The pks of the domains ``user`` administers (domain administrator role), as a subquery."""
    return domains_where(user, DomainRoleName.DOMAIN_ADMIN)


def _open_change(**outer):
    """Whether the machine has an open host key change (a new key not yet pinned by two people)."""
    changes = apps.get_model("clusters", "HostKeyChange").objects.filter(state__in=OPEN_HOST_KEY_CHANGES)
    return models.Exists(changes.filter(**{name: models.OuterRef(ref) for name, ref in outer.items()}))


class SshTargetQuerySet(models.QuerySet):
    """What every machine the portal reaches over SSH can be asked about its host key."""

    owner = "node"  # the HostKeyChange field that points at this kind of machine

    def with_host_key_state(self):
        """Annotated with ``open_key_change``, so that ``host_key_state`` needs no query per row."""
        return self.annotate(open_key_change=_open_change(**{self.owner: "pk"}))

    def host_key_changed(self):
        """Machines that presented another key than the pinned one: nothing runs on them until it is pinned."""
        return self.filter(_open_change(**{self.owner: "pk"}))

    def host_key_unpinned(self):
        return self.filter(host_key="")


class DomainQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.where_role(user, DomainRoleName.VIEWER)

    def administered_by(self, user):
        return self.where_role(user, DomainRoleName.DOMAIN_ADMIN)

    def where_role(self, user, role: str):
        """Domains in which ``user`` holds ``role`` or a higher one."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user, memberships__role__in=roles_at_least(role)).distinct()


class ServerQuerySet(SshTargetQuerySet):
    owner = "server"

    def administered_by(self, user):
        return self if getattr(user, "is_superuser", False) else self.filter(domain__in=administered(user))

    def visible_to(self, user):
        return self if getattr(user, "is_superuser", False) else self.filter(domain__in=domains_where(user))

    def mail_servers(self):
        return self.filter(uses_mail_server=True)

    def clustered(self):
        return self.filter(cluster__isnull=False)

    def standalone(self):
        return self.filter(cluster__isnull=True)


class ClusterQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if getattr(user, "is_superuser", False) else self.filter(server__domain__in=domains_where(user))

    def for_domain(self, domain):
        return self.filter(server__domain=domain)

    def administered_by(self, user):
        return self if getattr(user, "is_superuser", False) else self.filter(server__domain__in=administered(user))

    def host_key_changed(self):
        """Clusters with a node whose host key changed and is not pinned again yet (the home page warns)."""
        return self.filter(_open_change(node__cluster="pk"))


class NodeQuerySet(SshTargetQuerySet):
    def visible_to(self, user):
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(cluster__server__domain__in=domains_where(user))

    def administered_by(self, user):
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(cluster__server__domain__in=administered(user))


class HostKeyChangeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_HOST_KEY_CHANGES)

    def _in(self, domains):
        return self.filter(models.Q(node__cluster__server__domain__in=domains) | models.Q(server__domain__in=domains))

    def visible_to(self, user):
        return self if getattr(user, "is_superuser", False) else self._in(domains_where(user))

    def in_domains(self, domains):
        """Changes of the machines of ``domains`` (a subquery of domain pks), through where each machine is now."""
        return self._in(domains)
