"""Querysets that speak the inventory's language; views compose them instead of filtering by hand."""

from django.db import models

from clusters.choices import ROLE_RANK


def _roles_at_least(role: str) -> list[str]:
    return [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role]]


class DomainQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()

    def where_role(self, user, role: str):
        """Domains in which ``user`` holds ``role`` or a higher one."""
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user, memberships__role__in=_roles_at_least(role)).distinct()


class ServerQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if user.is_superuser else self.filter(domain__memberships__user=user).distinct()

    def mail_servers(self):
        return self.filter(uses_mail_server=True)

    def clustered(self):
        return self.filter(cluster__isnull=False)

    def standalone(self):
        return self.filter(cluster__isnull=True)


class ClusterQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if user.is_superuser else self.filter(server__domain__memberships__user=user).distinct()

    def for_domain(self, domain):
        return self.filter(server__domain=domain)


class NodeQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_superuser:
            return self
        return self.filter(cluster__server__domain__memberships__user=user).distinct()
