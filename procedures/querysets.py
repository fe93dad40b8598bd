"""Querysets for runs and steps that speak the domain; views compose them (STYLE §3)."""

from django.db import models

from clusters.choices import ROLE_RANK
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

    def open(self):
        return self.filter(state__in=sorted(RunState.OPEN))

    def for_cluster(self, cluster):
        return self.filter(cluster=cluster)

    def visible_to(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(cluster__server__domain__memberships__user=user).distinct()

    def where_role(self, user, role: str):
        if user.is_superuser:
            return self
        roles = [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role]]
        return self.filter(
            cluster__server__domain__memberships__user=user, cluster__server__domain__memberships__role__in=roles
        ).distinct()


class StepRunQuerySet(models.QuerySet):
    def running(self):
        return self.filter(state=StepState.RUNNING)

    def stale(self, before):
        """Running steps whose worker has not reported since ``before`` (heartbeat or claim time)."""
        return self.running().filter(heartbeat_at__lt=before)

    def visible_to(self, user):
        return self.filter(run__in=_runs_visible(user))


def _runs_visible(user):
    from procedures.models import ProcedureRun

    return ProcedureRun.objects.visible_to(user).values("pk")
