"""What waits for a person's decision: every decision of ``procedures.signoff`` that is theirs to take.

One definition for the queue page and the count in the header (``portal.context_processors``), so the two
never disagree; both ask ``signoff.waiting_for`` for each ``signoff.Decision`` (a plan or a command to approve,
a step or run to sign off, a skip to countersign, a duty done outside the portal to confirm, a machine's new
host key to accept or reject and an acceptance to sign off), the same rules the services check when a button is
pressed. Each row links to the page where its decision is taken (``decision_url``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Q, Value
from django.urls import reverse

from clusters.choices import DomainRoleName
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, StepRun
from procedures.signoff import RULES, SUBJECTS, Decision, waiting_for

# The queue's name of each decision (the page's and the home page's sections): every decision of ``signoff``
# that waits for a person has one, so none is left out of the queue and the count (checked at import).
NAMES: dict[Decision, str] = {
    Decision.APPROVE_STEP: "run_command",  # four-eyes steps whose commands wait for a go before anything is sent
    Decision.SIGN_OFF_STEP: "sign_off",
    Decision.COUNTERSIGN: "countersign",
    Decision.APPROVE_RUN: "approve",
    Decision.CLOSE_RUN: "close",
    Decision.CONFIRM_OUTSIDE_DUTY: "outside_duty",
    Decision.DECIDE_HOST_KEY: "host_key",
    Decision.ACCEPT_HOST_KEY: "host_key_sign_off",
}
if set(NAMES) != set(Decision):  # pragma: no cover - a decision added to signoff without a place in the queue
    raise ImproperlyConfigured(f"procedures.queue has no place for {sorted(set(Decision) - set(NAMES))}")

# Oldest first, per decision.
ORDER: dict[Decision, tuple[str, ...]] = {
    Decision.APPROVE_STEP: ("run_id", "position"),
    Decision.SIGN_OFF_STEP: ("finished_at", "pk"),
    Decision.COUNTERSIGN: ("pk",),
    Decision.APPROVE_RUN: ("created_at", "pk"),
    Decision.CLOSE_RUN: ("finished_at", "pk"),
    Decision.CONFIRM_OUTSIDE_DUTY: ("recorded_at", "pk"),
    Decision.DECIDE_HOST_KEY: ("seen_at", "pk"),
    Decision.ACCEPT_HOST_KEY: ("accepted_at", "pk"),
}

RELATED = {
    "step": ("run__cluster__server__domain", "executed_by", "confirmed_by", "resolution_requested_by"),
    "run": ("cluster__server__domain", "planned_by", "started_by"),
    "duty_record": ("server__domain", "node", "recorded_by"),
    "host_key": ("node__cluster__server__domain", "server__domain", "seen_by", "accepted_by"),
}


def decision_url(decision: Decision, obj) -> str:
    """The page (and the place on it) where ``decision`` on ``obj`` is taken."""
    subject = RULES[decision].subject
    if subject == "run":
        return f"{obj.get_absolute_url()}#run-actions"
    if subject == "step":
        return f"{obj.run.get_absolute_url()}#step-{obj.pk}"
    if subject == "duty_record":
        return f"{reverse('procedures:domain-duty', args=[obj.server.domain_id])}#duty-record-{obj.pk}"
    return reverse("procedures:host-key-change", args=[obj.pk])


# The compiled SQL of the two UNION queries below, by (query, database, person, superuser): like the built queries
# of ``signoff.waiting_for`` it depends on nothing else (the person's domains are a subquery, read whenever it runs),
# and compiling the eight decisions' subqueries cost more than running them, on every page (the header's count).
_SQL: dict[tuple, tuple[str, tuple]] = {}
_SQL_KEPT = 512


def _run_union(name: str, user, part, wrap: str = "{}") -> list[tuple]:
    """The rows of the UNION of ``part(decision)`` over every decision, compiled once per person and database."""
    alias = ProcedureRun.objects.db
    key = (name, alias, user.pk, bool(user.is_superuser))
    compiled = _SQL.get(key)
    if compiled is None:
        parts = [part(decision) for decision in Decision]
        sql, params = parts[0].union(*parts[1:]).query.get_compiler(alias).as_sql()
        if len(_SQL) >= _SQL_KEPT:
            _SQL.clear()
        compiled = _SQL[key] = (wrap.format(sql), tuple(params))
    with connections[alias].cursor() as cursor:
        cursor.execute(*compiled)
        return cursor.fetchall()


def waiting_count(user) -> int:
    """The header's number: one query (a UNION of what waits for each decision), 0 for a visitor.

    A row is counted once, whatever number of decisions it waits for (a subject and its key, de-duplicated).
    """
    if not getattr(user, "is_authenticated", False):
        return 0

    def part(decision):
        return waiting_for(decision, user).order_by().values("pk", subject=Value(RULES[decision].subject))

    return _run_union("count", user, part, "SELECT COUNT(*) FROM ({}) waiting")[0][0]


@dataclass
class Queue:
    """What waits for a person, per decision of ``signoff`` (in its order); each object carries ``decision_url``.

    The sections are also read by their names (``NAMES``): ``queue.approve``, ``queue.host_key``, ….
    """

    waiting: dict[Decision, list]

    def __getattr__(self, name: str) -> list:
        for decision, known in NAMES.items():
            if known == name:
                return self.waiting[decision]
        raise AttributeError(name)

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.waiting.values())

    @property
    def count(self) -> int:
        """What ``waiting_count`` counts, from the rows already read: each subject once, whatever the number of
        decisions it waits for. A page that reads the queue hands this to the header instead of asking again."""
        return len({(RULES[d].subject, obj.pk) for d, items in self.waiting.items() for obj in items})


def _oldest_by(*names: str):
    """The sort key of ``order_by(*names)`` (as the database would sort it, with an empty value last)."""

    def key(obj):
        return [(value is None, value) for value in (getattr(obj, name) for name in names)]

    return key


def _oldest_first(decision: Decision):
    """The sort key of ``ORDER[decision]``."""
    return _oldest_by(*ORDER[decision])


def _waiting_rows(user) -> dict[str, dict[int, set[Decision]]]:
    """Per kind of subject, the pk of each row that waits for ``user`` and the decisions it waits for: one UNION
    query, each decision's ``waiting_for`` compiled once (as ``waiting_count`` does)."""
    if not getattr(user, "is_authenticated", False):
        return {}

    def part(decision):
        return waiting_for(decision, user).order_by().values_list("pk", Value(decision.value))

    found: dict[str, dict[int, set[Decision]]] = {}
    for pk, decision in _run_union("rows", user, part):
        decision = Decision(decision)
        found.setdefault(RULES[decision].subject, {}).setdefault(pk, set()).add(decision)
    return found


def queue_for(user, *, brief: bool = False) -> Queue:
    """Everything, oldest first, with what the page shows about it: which rows wait for which decisions in one
    query (``_waiting_rows``), then one query per kind of subject (runs, steps, duty records, host key changes)
    that has a row, by its pks, whatever the number of decisions about it.

    ``brief``: for lists that name the runs and steps only (the home page): plan snapshots, screenshots and host
    results are left unread.
    """
    found = _waiting_rows(user)
    waiting: dict[Decision, list] = {decision: [] for decision in Decision}
    for subject, pks in found.items():
        model, _domain_path = SUBJECTS[subject]
        queryset = model.objects.filter(pk__in=sorted(pks)).select_related(*RELATED[subject])
        if subject == "step":
            queryset = (
                queryset.defer("run__plan") if brief else queryset.prefetch_related("screenshots", "host_results")
            )
        elif subject == "run" and brief:
            queryset = queryset.listed()
        for obj in queryset:
            decisions = pks[obj.pk]
            obj.decision_url = decision_url(next(iter(decisions)), obj)  # one page per kind of subject
            for decision in decisions:
                waiting[decision].append(obj)
    for decision, items in waiting.items():
        items.sort(key=_oldest_first(decision))
    return Queue(waiting)


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
    to_confirm = Q(state=StepState.AWAITING_CONFIRMATION)
    failed = Q(state__in=sorted(StepState.RETRYABLE), resolution="")
    confirm, retry = [], []
    for step in steps.filter(to_confirm | failed).order_by():  # one query for both lists, sorted here
        (confirm if step.state == StepState.AWAITING_CONFIRMATION else retry).append(step)
    return OperatorWork(
        start=list(runs.filter(state=RunState.APPROVED).order_by("approved_at", "pk")),
        confirm=sorted(confirm, key=_oldest_by("started_at", "pk")),
        failed=sorted(retry, key=_oldest_by("finished_at", "pk")),
    )
