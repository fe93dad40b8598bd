"""Who may decide what: the four-eyes rules in one place.

A decision (approving a plan, approving a four-eyes step's command before it is sent, signing off a step,
countersigning a skip or a step counted done, closing a run, confirming a duty done outside the portal, accepting
or rejecting a machine's new host key, signing that acceptance off) needs a role in the domain and, for a
four-eyes decision, a person who did not do the work being decided. Each rule below says
both once; the services ask it before they act, the approver's queue and the header count ask it for what
waits, the run page and the admin ask it which buttons to show, and the API asks the same functions.

The "did the work" part is one list of the user fields that disqualify a person. From that list come both the
check on one object (``refuse_involved``) and the SQL for lists (``waiting_for``), so the two cannot disagree.

N of M: a domain may ask more than one approver for a kind of four-eyes step (``SignoffQuorum``: deleting
data, starting or stopping the cluster, editing the master, skipping, closing a run). Each approver's
``sign`` is one ``Signature`` row of the request being decided (its round); the decision is taken when
``required`` distinct approvers have signed, none of whom did the work, and nobody signs one request twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import HostKeyChange
from clusters.querysets import domains_where
from clusters.rules import has_role
from portal.errors import NotAllowed
from procedures import exceptions as exc
from procedures.choices import DutyRecordState, FourEyesKind, Resolution, RunState, StepState
from procedures.models import DutyRecord, ProcedureRun, Signature, SignoffQuorum, StepRun


class Decision(StrEnum):
    APPROVE_RUN = "approve_run"  # the plan, before the run may start
    APPROVE_STEP = "approve_step"  # a four-eyes step's exact commands and hosts, before anything is sent
    SIGN_OFF_STEP = "sign_off_step"  # a four-eyes step's outcome
    COUNTERSIGN = "countersign"  # a skip, or a step counted done by hand
    CLOSE_RUN = "close_run"  # the run's final sign-off
    CONFIRM_OUTSIDE_DUTY = "confirm_outside_duty"  # a duty recorded as done outside the portal
    DECIDE_HOST_KEY = "decide_host_key"  # a machine's new host key: accept it (for a sign-off) or reject it
    ACCEPT_HOST_KEY = "accept_host_key"  # a machine's new host key, accepted by a domain administrator: signed off


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
    subject: str  # "run", "step", "duty_record" or "host_key" (a key of SUBJECTS)
    role: str
    waiting: Q  # what waits for this decision (the queue's filter, without the person's part)
    involved: tuple[Involvement, ...] = field(default=())
    second_person: str = ""  # a field whose holder asked for the decision: they never decide it themselves
    action: str = ""  # what the refusal says they may not do
    round: str = ""  # the subject's field that numbers the request decided ("" = decided once)


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
        round="approval_round",
    ),
    Decision.SIGN_OFF_STEP: Rule(
        subject="step",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=StepState.AWAITING_SIGNOFF) & _ACTIVE,
        involved=_DID_THE_STEP,
        action=gettext_noop("sign it off"),
        round="attempt",
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
        round="resolution_version",
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
    Decision.DECIDE_HOST_KEY: Rule(
        subject="host_key",
        role=DomainRoleName.DOMAIN_ADMIN,
        waiting=Q(state=HostKeyChangeState.DETECTED),
        action=gettext_noop("accept or reject it"),
    ),
    Decision.ACCEPT_HOST_KEY: Rule(
        subject="host_key",
        role=DomainRoleName.APPROVER,
        waiting=Q(state=HostKeyChangeState.ACCEPTED),
        involved=(Involvement("accepted_by", gettext_noop("accepted this host key")),),
        action=gettext_noop("sign it off"),
    ),
}

# What each subject is, and the path from it to its domain (the queue's SQL).
SUBJECTS = {
    "run": (ProcedureRun, "cluster__server__domain__in"),
    "step": (StepRun, "run__cluster__server__domain__in"),
    "duty_record": (DutyRecord, "server__domain__in"),
    "host_key": (HostKeyChange, None),  # through the node's cluster or the standalone server
}


def _run_of(obj) -> ProcedureRun:
    return obj if isinstance(obj, ProcedureRun) else obj.run


def _domain(obj):
    if isinstance(obj, DutyRecord):
        return obj.server.domain
    if isinstance(obj, HostKeyChange):
        return obj.domain  # where the machine is now
    return _run_of(obj).cluster.domain


def refuse_role(decision: Decision, user, obj) -> None:
    """Refuse (NotAllowed) a person without the decision's role in the object's domain."""
    domain = _domain(obj)
    if not has_role(user, domain, RULES[decision].role):
        raise NotAllowed(domain=domain or (obj.target if isinstance(obj, HostKeyChange) else _run_of(obj).cluster))


def refuse_involved(decision: Decision, user, obj) -> None:
    """Refuse the person who asked for this decision or did the work it decides on."""
    rule = RULES[decision]
    if rule.second_person and getattr(obj, f"{rule.second_person}_id") == user.pk:
        raise exc.SecondPersonRequired(user=user.get_username())
    for involvement in rule.involved:
        if involvement.holds_for(user, obj):
            did = _(involvement.did).format(n=getattr(obj, "position", ""))
            raise exc.SelfApprovalRefused(did=did, action=_(rule.action))


def kind_of(decision: Decision, obj) -> str:
    """The kind of four-eyes step a decision is (``FourEyesKind``), "" for one a domain cannot ask more of."""
    if decision == Decision.CLOSE_RUN:
        return FourEyesKind.CLOSE
    if decision == Decision.COUNTERSIGN:
        return FourEyesKind.SKIP
    if decision in (Decision.APPROVE_STEP, Decision.SIGN_OFF_STEP):
        return obj.planned.four_eyes
    return ""


def required(decision: Decision, obj) -> int:
    """How many distinct approvers this decision needs in the object's domain: 1 unless the domain asks more."""
    kind = kind_of(decision, obj)
    if not kind:
        return 1
    quorum = SignoffQuorum.objects.filter(domain=_domain(obj), kind=kind).values_list("approvers", flat=True).first()
    return quorum or 1


def _round(decision: Decision, obj) -> int:
    name = RULES[decision].round
    return getattr(obj, name) if name else 0


def signatures(decision: Decision, obj):
    """The signatures given to the request now waiting for ``decision`` on ``obj`` (its current round)."""
    if RULES[decision].subject not in ("run", "step"):  # decided by one second person, never counted
        return Signature.objects.none()
    step = obj if isinstance(obj, StepRun) else None
    return Signature.objects.filter(
        run=_run_of(obj), step=step, decision=decision, round=_round(decision, obj)
    ).select_related("signer")


def signers(decision: Decision, obj) -> list[str]:
    return [s.signer.get_username() for s in signatures(decision, obj)]


def signed_by_text(decision: Decision, obj, fallback=None) -> str:
    """Who signed the request decided last ("alice and bob"), for the answer to a late signature."""
    names = signers(decision, obj) or ([fallback.get_username()] if fallback is not None else ["?"])
    return str(get_text_list(names, _("and")))


def refuse_signed(decision: Decision, user, obj) -> None:
    """Refuse a second signature of one person on one request."""
    if signatures(decision, obj).filter(signer=user).exists():
        raise exc.AlreadySignedByYou(count=signatures(decision, obj).count(), needed=required(decision, obj))


def sign(decision: Decision, user, obj) -> bool:
    """Record ``user``'s signature; True once enough distinct approvers have signed and the decision may be taken.

    The caller holds the row locks and has asked ``refuse_role`` and ``refuse_involved``: so concurrent
    approvers are counted one after another, and a domain that asks N gets exactly N signatures.
    """
    refuse_signed(decision, user, obj)
    step = obj if isinstance(obj, StepRun) else None
    Signature.objects.create(run=_run_of(obj), step=step, decision=decision, round=_round(decision, obj), signer=user)
    return signatures(decision, obj).count() >= required(decision, obj)


def progress(decision: Decision, obj) -> dict | None:
    """What the page shows of an N-of-M decision under way: who signed and how many are needed (None for one)."""
    needed = required(decision, obj)
    if needed <= 1:
        return None
    return {"signed": signers(decision, obj), "needed": needed}


def may_decide(decision: Decision, user, obj) -> bool:
    """Whether ``user`` may take ``decision`` on ``obj`` as far as people go (the state is the services' part)."""
    try:
        refuse_role(decision, user, obj)
        refuse_involved(decision, user, obj)
        refuse_signed(decision, user, obj)
    except (NotAllowed, exc.SecondPersonRequired, exc.SelfApprovalRefused, exc.AlreadySignedByYou):
        return False
    return True


# Built ``waiting_for`` queries by (decision, person, superuser): the SQL depends on nothing else (the person's
# domains are a subquery, read whenever it runs), and building it cost more than running it, on every page (the
# header's count). Each use gets a clone; a bounded number are kept.
_WAITING: dict[tuple[Decision, int, bool], object] = {}
_WAITING_KEPT = 512


def waiting_for(decision: Decision, user):
    """What waits for ``user`` to decide: in the domains where they hold the role, never their own work."""
    model, _domain_path = SUBJECTS[RULES[decision].subject]
    if not getattr(user, "is_authenticated", False):
        return model.objects.none()
    key = (decision, user.pk, bool(user.is_superuser))
    query = _WAITING.get(key)
    if query is None:
        query = _waiting_query(decision, user).query
        if len(_WAITING) >= _WAITING_KEPT:
            _WAITING.clear()
        _WAITING[key] = query
    queryset = model.objects.all()
    queryset.query = query.chain()
    return queryset


def _waiting_query(decision: Decision, user):
    rule = RULES[decision]
    model, domain_path = SUBJECTS[rule.subject]
    domains = domains_where(user, rule.role)
    if domain_path is None:  # a machine's host key change: its domain is that of its node or its server
        queryset = model.objects.filter(rule.waiting).in_domains(domains)
    else:
        queryset = model.objects.filter(rule.waiting, **{domain_path: domains})
    paths = [i.q(user) for i in rule.involved]
    if rule.second_person:
        paths.append(Q(**{rule.second_person: user}))
    if paths:
        queryset = queryset.exclude(reduce(or_, paths))
    if rule.subject not in ("run", "step"):  # decided by one person, no signatures to count
        return queryset
    own = Signature.objects.filter(decision=decision, signer=user, round=OuterRef(rule.round) if rule.round else 0)
    if rule.subject == "run":
        own = own.filter(run=OuterRef("pk"), step__isnull=True)
    else:
        own = own.filter(step=OuterRef("pk"))
    return queryset.exclude(Exists(own))  # signed already: it waits for the others, not for this person
