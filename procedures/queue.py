"""What waits for an approver: the decisions of ``procedures.signoff`` that are theirs to take.

One definition for the queue page and the count in the header (``portal.context_processors``), so the two
never disagree; both ask ``signoff.waiting_for``, the same rules the services check when a button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def queue_for(user) -> Queue:
    """Everything, oldest first, with what the page shows about it."""
    steps = ("run__cluster__server__domain", "executed_by", "confirmed_by", "resolution_requested_by")
    runs = ("cluster__server__domain", "planned_by", "started_by")
    return Queue(
        run_command=list(waiting_for(Decision.APPROVE_STEP, user).select_related(*steps)
                         .order_by("run_id", "position")),
        sign_off=list(waiting_for(Decision.SIGN_OFF_STEP, user).select_related(*steps)
                      .prefetch_related("screenshots", "host_results").order_by("finished_at", "pk")),
        countersign=list(waiting_for(Decision.COUNTERSIGN, user).select_related(*steps).order_by("pk")),
        approve=list(waiting_for(Decision.APPROVE_RUN, user).select_related(*runs).order_by("created_at", "pk")),
        close=list(waiting_for(Decision.CLOSE_RUN, user).select_related(*runs).order_by("finished_at", "pk")),
    )  # fmt: skip
