"""Who may decide what: the four-eyes rules in one place.

A decision (approving a plan, approving a four-eyes step's command before it is sent, signing off a step,
countersigning a skip or a step counted done, closing a run)
needs a role in the run's domain and a person who did not do the work being decided. Each rule below says
both once; the services ask it before they act, the approver's queue and the header count ask it for what
waits, the run page and the admin ask it which buttons to show, and the API asks the same functions.

The "did the work" part is one list of the user fields that disqualify a person. From that list come both the
check on one object (``refuse_involved``) and the SQL for lists (``waiting_for``), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters.choices import DomainRoleName
from clusters.querysets import domains_where
from clusters.rules import has_role
from portal.errors import NotAllowed
from procedures import exceptions as exc
from procedures.choices import DutyRecordState, Resolution, RunState, StepState
from procedures.models import DutyRecord, ProcedureRun, StepRun


class Decision(StrEnum):
    APPROVE_RUN = "approve_run"  # the plan, before the run may start
    APPROVE_STEP = "approve_step"  # a four-eyes step's exact commands and hosts, before anything is sent
    SIGN_OFF_STEP = "sign_off_step"  # a four-eyes step's outcome
    COUNTERSIGN = "countersign"  # a skip, or a step counted done by hand
    CLOSE_RUN = "close_run"  # the run's final sign-off
    CONFIRM_OUTSIDE_DUTY = "confirm_outside_duty"  # a duty recorded as done outside the portal


@dataclass(frozen=True)
class Involvement:
    """A user field (or a path through the run's steps) that marks someone as having done the work."""

    path: str
    did: str  # what the refusal says they did (a message id, translated when refused; {n} is the step)

    def q(self, user) -> Q:
        return Q(**{self.path: user})

    def holds_for(self, user, obj) -> bool:
        relation, _sep, rest = self.path.partition("__")
        if not rest:  # a field of the object itself: no query
            return getattr(obj, f"{relation}_id") == user.pk
        related = getattr(obj, relation)
        if hasattr(related, "filter"):  # a set of rows, e.g. any step of the run
            return related.filter(**{rest: user}).exists()
        return Involvement(rest, self.did).holds_for(user, related)  # one row, e.g. the step's run


@dataclass(frozen=True)
class Rule:
    subject: str  # "run", "step" or "duty_record" (a key of SUBJECTS)
    role: str
    waiting: Q  # what waits for this decision (the queue's filter, without the person's part)
    involved: tuple[Involvement, ...] = field(default=())
    second_person: str = ""  # a field whose holder asked for the decision: they never decide it themselves
    action: str = ""  # what the refusal says they may not do


_ACTIVE = Q(run__state__in=sorted(RunState.ACTIVE))
_DID_THE_STEP = (
    Involvement("executed_by", gettext_noop("did step {n}")),
    Involvement("confirmed_by", gettext_noop("did step {n}")),
)
RULES: dict[Decision, Rule] = {
    Decision.APPROVE_RUN: Rule(
        subject="run",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=RunState.PLANNED),
        involved=(Involvement("planned_by", gettext_noop("planned this run")),),
        action=gettext_noop("approve it"),
    ),
    Decision.APPROVE_STEP: Rule(
        subject="step",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=StepState.AWAITING_APPROVAL) & _ACTIVE,
        involved=(
            Involvement("executed_by", gettext_noop("will run step {n}")),
            Involvement("run__planned_by", gettext_noop("planned this run")),
        ),
        action=gettext_noop("approve it"),
    ),
    Decision.SIGN_OFF_STEP: Rule(
        subject="step",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=StepState.AWAITING_SIGNOFF) & _ACTIVE,
        involved=_DID_THE_STEP,
        action=gettext_noop("sign it off"),
    ),
    Decision.COUNTERSIGN: Rule(
        subject="step",
        role=DomainRoleName.APPROVER,
        waiting=(
            Q(resolution=Resolution.SKIP, state__in=sorted(StepState.SKIPPABLE))
            | Q(resolution=Resolution.DONE, state__in=sorted(StepState.RETRYABLE))
        )
        & _ACTIVE,
        involved=_DID_THE_STEP,
        second_person="resolution_requested_by",
        action=gettext_noop("countersign it"),
    ),
    Decision.CLOSE_RUN: Rule(
        subject="run",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=RunState.COMPLETED),
        involved=(
            Involvement("started_by", gettext_noop("worked on this run")),
            Involvement("steps__executed_by", gettext_noop("worked on this run")),
            Involvement("steps__confirmed_by", gettext_noop("worked on this run")),
        ),
        action=gettext_noop("sign it off"),
    ),
    Decision.CONFIRM_OUTSIDE_DUTY: Rule(
        subject="duty_record",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=DutyRecordState.PENDING),
        second_person="recorded_by",
        action=gettext_noop("sign it off"),
    ),
}

# What each subject is, and the path from it to its domain (the queue's SQL).
SUBJECTS = {
    "run": (ProcedureRun, "cluster__server__domain__in"),
    "step": (StepRun, "run__cluster__server__domain__in"),
    "duty_record": (DutyRecord, "server__domain__in"),
}


def _run_of(obj) -> ProcedureRun:
    return obj if isinstance(obj, ProcedureRun) else obj.run


def _domain(obj):
    if isinstance(obj, DutyRecord):
        return obj.server.domain
    return _run_of(obj).cluster.domain


def refuse_role(decision: Decision, user, obj) -> None:
    """Refuse (NotAllowed) a person without the decision's role in the object's domain."""
    domain = _domain(obj)
    if not has_role(user, domain, RULES[decision].role):
        raise NotAllowed(domain=domain or _run_of(obj).cluster)


def refuse_involved(decision: Decision, user, obj) -> None:
    """Refuse the person who asked for this decision or did the work it decides on."""
    rule = RULES[decision]
    if rule.second_person and getattr(obj, f"{rule.second_person}_id") == user.pk:
        raise exc.SecondPersonRequired(user=user.get_username())
    for involvement in rule.involved:
        if involvement.holds_for(user, obj):
            did = _(involvement.did).format(n=getattr(obj, "position", ""))
            raise exc.SelfApprovalRefused(did=did, action=_(rule.action))


def may_decide(decision: Decision, user, obj) -> bool:
    """Whether ``user`` may take ``decision`` on ``obj`` as far as people go (the state is the services' part)."""
    try:
        refuse_role(decision, user, obj)
        refuse_involved(decision, user, obj)
    except (NotAllowed, exc.SecondPersonRequired, exc.SelfApprovalRefused):
        return False
    return True


def waiting_for(decision: Decision, user):
    """What waits for ``user`` to decide: in the domains where they hold the role, never their own work."""
    rule = RULES[decision]
    model, domain_path = SUBJECTS[rule.subject]
    if not getattr(user, "is_authenticated", False):
        return model.objects.none()
    queryset = model.objects.filter(rule.waiting, **{domain_path: domains_where(user, rule.role)})
    paths = [i.q(user) for i in rule.involved]
    if rule.second_person:
        paths.append(Q(**{rule.second_person: user}))
    if paths:
        queryset = queryset.exclude(reduce(or_, paths))
    return queryset
