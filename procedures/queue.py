"""What waits for an approver: the four-eyes work of the domains where they approve, never their own.

One definition for the queue page and the count in the header (``portal.context_processors``), so the two
never disagree. The same rules as the services (``sign_off_step``, ``countersign``, ``approve_run``,
``sign_off_run``) decide what is "their own"; the services check again when the button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from clusters.choices import ROLE_RANK, DomainRoleName
from clusters.models import AddressDomain
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, StepRun


def approver_domains(user):
    """The domains where ``user`` is an approver or more (a subquery: nothing is read here)."""
    if not getattr(user, "is_authenticated", False):
        return AddressDomain.objects.none()
    if user.is_superuser:
        return AddressDomain.objects.all()
    roles = [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[DomainRoleName.APPROVER]]
    return AddressDomain.objects.filter(memberships__user=user, memberships__role__in=roles)


def steps_to_sign_off(user):
    """Steps awaiting sign-off that this user neither did nor confirmed."""
    return (
        StepRun.objects.filter(
            state=StepState.AWAITING_SIGNOFF,
            run__state__in=sorted(RunState.ACTIVE),
            run__cluster__server__domain__in=approver_domains(user).values("pk"),
        )
        .exclude(executed_by=user)
        .exclude(confirmed_by=user)
        .distinct()
    )


def steps_to_countersign(user):
    """Skips and steps marked done by hand, asked by someone else, on work this user did not do."""
    return (
        StepRun.objects.filter(
            run__state__in=sorted(RunState.ACTIVE),
            run__cluster__server__domain__in=approver_domains(user).values("pk"),
        )
        .filter(
            Q(resolution="skip", state__in=sorted(StepState.SKIPPABLE))
            | Q(resolution="done", state__in=sorted(StepState.RETRYABLE))
        )
        .exclude(resolution_requested_by=user)
        .exclude(executed_by=user)
        .exclude(confirmed_by=user)
        .distinct()
    )


def runs_to_approve(user):
    return (
        ProcedureRun.objects.filter(
            state=RunState.PLANNED, cluster__server__domain__in=approver_domains(user).values("pk")
        )
        .exclude(planned_by=user)
        .distinct()
    )


def runs_to_sign_off(user):
    worked = StepRun.objects.filter(run=OuterRef("pk")).filter(Q(executed_by=user) | Q(confirmed_by=user))
    return (
        ProcedureRun.objects.filter(
            state=RunState.COMPLETED, cluster__server__domain__in=approver_domains(user).values("pk")
        )
        .exclude(started_by=user)
        .exclude(Exists(worked))
        .distinct()
    )


def waiting_count(user) -> int:
    """The header's number: two COUNT queries (steps, runs), nothing when the user approves nowhere."""
    if not getattr(user, "is_authenticated", False):
        return 0
    steps = (steps_to_sign_off(user) | steps_to_countersign(user)).distinct().count()
    runs = (runs_to_approve(user) | runs_to_sign_off(user)).distinct().count()
    return steps + runs


@dataclass
class Queue:
    sign_off: list
    countersign: list
    approve: list
    close: list

    @property
    def total(self) -> int:
        return len(self.sign_off) + len(self.countersign) + len(self.approve) + len(self.close)


def queue_for(user) -> Queue:
    """Everything, oldest first, with what the page shows about it."""
    steps = ("run__cluster__server__domain", "executed_by", "confirmed_by", "resolution_requested_by")
    runs = ("cluster__server__domain", "planned_by", "started_by")
    return Queue(
        sign_off=list(steps_to_sign_off(user).select_related(*steps).prefetch_related("screenshots", "host_results")
                      .order_by("finished_at", "pk")),
        countersign=list(steps_to_countersign(user).select_related(*steps).order_by("pk")),
        approve=list(runs_to_approve(user).select_related(*runs).order_by("created_at", "pk")),
        close=list(runs_to_sign_off(user).select_related(*runs).order_by("finished_at", "pk")),
    )  # fmt: skip
