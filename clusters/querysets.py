"""Querysets that speak the inventory's language; views compose them instead of filtering by hand."""

from django.apps import apps
from django.db import models

from clusters.choices import DomainRoleName, roles_at_least


def _anonymous(user) -> bool:
    return not getattr(user, "is_authenticated", False)


def domains_where(user, role: str = DomainRoleName.VIEWER):
    """The pks of the domains where ``user`` holds at least ``role``, as a subquery: every scoped queryset of the
    inventory and of the runs filters through this one rule."""
    return apps.get_model("clusters", "AddressDomain").objects.where_role(user, role).values("pk")


class DomainQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.where_role(user, DomainRoleName.VIEWER)

    def where_role(self, user, role: str):
        """Domains in which ``user`` holds ``role`` or a higher one."""
        if _anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user, memberships__role__in=roles_at_least(role)).distinct()


class ServerQuerySet(models.QuerySet):
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


class NodeQuerySet(models.QuerySet):
    def visible_to(self, user):
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(cluster__server__domain__in=domains_where(user))
