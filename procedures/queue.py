"""What waits for an approver: the decisions of ``procedures.signoff`` that are theirs to take.

One definition for the queue page and the count in the header (``portal.context_processors``), so the two
never disagree; both ask ``signoff.waiting_for``, the same rules the services check when a button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusters.choices import DomainRoleName
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, StepRun
from procedures.signoff import Decision, waiting_for


def waiting_count(user) -> int:
    """The header's number: two COUNT queries (steps, runs), nothing when the user approves nowhere."""
    if not getattr(user, "is_authenticated", False):
        return 0
    steps = (
        (
            waiting_for(Decision.APPROVE_STEP, user)
            | waiting_for(Decision.SIGN_OFF_STEP, user)
            | waiting_for(Decision.COUNTERSIGN, user)
        )
        .distinct()
        .count()
    )
    runs = (waiting_for(Decision.APPROVE_RUN, user) | waiting_for(Decision.CLOSE_RUN, user)).distinct().count()
    return steps + runs


@dataclass
class Queue:
    run_command: list  # four-eyes steps whose commands wait for a go before anything is sent
    sign_off: list
    countersign: list
    approve: list
    close: list

    @property
    def total(self) -> int:
        return len(self.run_command) + len(self.sign_off) + len(self.countersign) + len(self.approve) + len(self.close)


def queue_for(user, *, brief: bool = False) -> Queue:
    """Everything, oldest first, with what the page shows about it.

    ``brief``: for lists that name the runs and steps only (the home page): plan snapshots, screenshots and host
    results are left unread.
    """
    steps = ("run__cluster__server__domain", "executed_by", "confirmed_by", "resolution_requested_by")
    runs = ("cluster__server__domain", "planned_by", "started_by")

    def step_list(decision, order, *related):
        queryset = waiting_for(decision, user).select_related(*steps).order_by(*order)
        return list(queryset.defer("run__plan") if brief else queryset.prefetch_related(*related))

    def run_list(decision, order):
        queryset = waiting_for(decision, user).select_related(*runs).order_by(*order)
        return list(queryset.listed() if brief else queryset)

    return Queue(
        run_command=step_list(Decision.APPROVE_STEP, ("run_id", "position")),
        sign_off=step_list(Decision.SIGN_OFF_STEP, ("finished_at", "pk"), "screenshots", "host_results"),
        countersign=step_list(Decision.COUNTERSIGN, ("pk",)),
        approve=run_list(Decision.APPROVE_RUN, ("created_at", "pk")),
        close=run_list(Decision.CLOSE_RUN, ("finished_at", "pk")),
    )


@dataclass
class OperatorWork:
    """What waits for an operator of the run's domain: runs to start, steps to confirm, steps that failed."""

    start: list
    confirm: list
    failed: list

    @property
    def total(self) -> int:
        return len(self.start) + len(self.confirm) + len(self.failed)


def operator_work(user) -> OperatorWork:
    """The operator's side of the queue: the work ``services`` lets any operator of the domain do (its
    ``_require(…, OPERATOR)`` checks), found in the domains where ``user`` is at least an operator."""
    if not getattr(user, "is_authenticated", False):
        return OperatorWork([], [], [])
    runs = (
        ProcedureRun.objects.where_role(user, DomainRoleName.OPERATOR)
        .select_related("cluster__server__domain", "planned_by", "approved_by")
        .listed()
    )
    steps = (
        StepRun.objects.where_role(user, DomainRoleName.OPERATOR)
        .filter(run__state__in=sorted(RunState.ACTIVE))
        .select_related("run__cluster__server__domain")
        .defer("run__plan")
    )
    return OperatorWork(
        start=list(runs.filter(state=RunState.APPROVED).order_by("approved_at", "pk")),
        confirm=list(steps.filter(state=StepState.AWAITING_CONFIRMATION).order_by("started_at", "pk")),
        failed=list(steps.filter(state__in=sorted(StepState.RETRYABLE), resolution="").order_by("finished_at", "pk")),
    )
