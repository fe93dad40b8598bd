"""Querysets for runs and steps that speak the domain; views compose them."""

from django.apps import apps
from django.db import models
from django.db.models.functions import Coalesce

from clusters.choices import DomainRoleName
from clusters.querysets import domains_where
from procedures.choices import RunState, StepState


class PlanStepAt(models.Func):
    """The plan snapshot's step at a 1-based position, read in the database (the rest of the plan stays there)."""

    output_field = models.JSONField()

    def __init__(self, plan, position, **extra):
        super().__init__(plan, position, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        plan, position = (compiler.compile(e) for e in self.source_expressions)
        sql = f"json_extract({plan[0]}, '$.steps[' || ({position[0]} - 1) || ']')"
        return sql, (*plan[1], *position[1])

    def as_postgresql(self, compiler, connection, **extra):
        plan, position = (compiler.compile(e) for e in self.source_expressions)
        return f"(({plan[0]})::jsonb -> 'steps' -> (({position[0]}) - 1)::int)", (*plan[1], *position[1])


class AppendOnlyQuerySet(models.QuerySet):
    """Audit records: bulk update and delete are refused like the single-row ones."""

    def update(self, **kwargs):
        raise PermissionError("append-only records cannot be updated")

    def delete(self):
        raise PermissionError("append-only records cannot be deleted")


class ProcedureRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=sorted(RunState.ACTIVE))

    def with_progress(self):
        """Annotated with ``steps_total``, ``steps_done`` and ``current_step_pk`` (the first unfinished step).

        Each is a subquery of its own: an aggregate over a join would group the runs by every selected column,
        the plan snapshot included, and sort those blobs.
        """
        steps = apps.get_model("procedures", "StepRun").objects.filter(run=models.OuterRef("pk"))
        finished = sorted(StepState.FINISHED)

        def count(queryset):
            counted = queryset.order_by().values("run").annotate(n=models.Count("pk")).values("n")
            return Coalesce(models.Subquery(counted), 0)

        current = steps.exclude(state__in=finished).order_by("position")
        return self.annotate(
            steps_total=count(steps),
            steps_done=count(steps.filter(state__in=finished)),
            current_step_pk=models.Subquery(current.values("pk")[:1]),
            current_position=models.Subquery(current.values("position")[:1]),
        )

    def with_current_plan_step(self):
        """After ``with_progress``: ``current_plan_step``, the snapshot's entry of the current step (titles, IDs)."""
        return self.annotate(current_plan_step=PlanStepAt("plan", "current_position"))

    def listed(self):
        """For lists: the plan's title annotated (``ProcedureRun.title`` reads it), the plan snapshot left unread."""
        return self.defer("plan").annotate(plan_title=models.F("plan__title"))

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
