"""Querysets for runs and steps that speak the domain; views compose them."""

from django.db import models

from clusters.choices import DomainRoleName
from clusters.querysets import domains_where
from procedures.choices import RunState, StepState


class AppendOnlyQuerySet(models.QuerySet):
    """Audit records: bulk update and delete are refused like the single-row ones."""

    def update(self, **kwargs):
        raise PermissionError("append-only records cannot be updated")

    def delete(self):
        raise PermissionError("append-only records cannot be deleted")


class ProcedureRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=sorted(RunState.ACTIVE))

    def visible_to(self, user):
        return self.where_role(user, DomainRoleName.VIEWER)

    def where_role(self, user, role: str):
        """Runs of the domains where ``user`` holds at least ``role``."""
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(cluster__server__domain__in=domains_where(user, role))

    def update(self, **kwargs):
        if "state" in kwargs:  # states change only through a transition, never in bulk
            raise PermissionError("a run's state changes only through its transitions")
        return super().update(**kwargs)


class StepRunQuerySet(models.QuerySet):
    def running(self):
        return self.filter(state=StepState.RUNNING)

    def stale(self, before):
        """Claimed and silent: running steps whose worker has not reported since ``before`` (heartbeat or claim)."""
        return self.running().exclude(worker="").filter(heartbeat_at__lt=before)

    def unclaimed(self, before):
        """Running steps that no worker has claimed since they were last asked of the workers, before ``before``."""
        return self.running().filter(worker="", dispatched_at__lt=before)

    def visible_to(self, user):
        return self.where_role(user, DomainRoleName.VIEWER)

    def where_role(self, user, role: str):
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(run__cluster__server__domain__in=domains_where(user, role))

    def update(self, **kwargs):
        if "state" in kwargs:  # states change only through a transition, never in bulk
            raise PermissionError("a step's state changes only through its transitions")
        return super().update(**kwargs)
