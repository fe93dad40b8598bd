"""A domain's sign-off rules, as its domain administrators set them: the one home of changing them.

Two rules, both read by ``procedures.signoff`` (``required``) and ``procedures.rehearsal`` (``refuse_unrehearsed``)
and by nothing else:

* N of M (``SignoffQuorum``): per kind of four-eyes step, the number of distinct approvers required. No row
  means 1; setting 1 removes the row, so "the default" is one thing. A number is between 1 and
  ``MAX_APPROVERS``, and a domain administrator cannot raise it above the number of people who hold the
  approver role (or a higher one) in the domain: a step asking more could never be signed. A number that is
  already set stays valid when people leave (the page warns about it) and can always be lowered.
* Rehearsal first (``RehearsalRule``): per procedure of the catalog, whether a real run is approved only after a
  successful rehearsal of the same plan.

``set_rules`` is what the portal's page and the admin call. It locks the domain, asks for the domain
administrator role in it, checks every value again (a kind or a procedure the catalog does not know, a number out
of range: a ``PortalError`` with status 400, never a database error), and saves with django-simple-history (who,
when, from where). ``changes`` reads that history back, old -> new, labelled in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clusters.choices import DomainRoleName, roles_at_least
from clusters.history import KINDS
from clusters.models import AddressDomain
from clusters.rules import has_role
from portal.errors import NotAllowed, PortalError
from procedures.catalog import PROCEDURES
from procedures.choices import FourEyesKind
from procedures.models import RehearsalRule, SignoffQuorum
from procedures.models.signoff import MAX_APPROVERS
from procedures.texts import localised

DEFAULT_APPROVERS = 1


class UnknownKind(PortalError):
    status, code, message = 400, "unknown_four_eyes_kind", _("There is no kind of four-eyes step called “{kind}”.")


class UnknownProcedure(PortalError):
    status, code, message = 400, "unknown_procedure", _("The catalog has no procedure “{procedure}”.")


class QuorumOutOfRange(PortalError):
    status, code, message = (
        400,
        "quorum_out_of_range",
        _("{kind}: the number of approvers must be a whole number from 1 to {maximum}, not “{value}”."),
    )


class QuorumAboveApprovers(PortalError):
    status, code, message = (
        400,
        "quorum_above_approvers",
        _(
            "{kind}: {value} approvers cannot be asked for; {count} people hold the approver role in domain "
            "{domain}. Give more people that role first."
        ),
    )


@dataclass(frozen=True)
class Quorum:
    kind: str
    label: str
    approvers: int
    reachable: bool  # no more than the domain's approvers


@dataclass(frozen=True)
class Rehearsal:
    procedure: str
    title: str
    required: bool


@dataclass(frozen=True)
class DomainRules:
    quorums: list[Quorum]
    rehearsals: list[Rehearsal]
    approvers: int  # people who hold the approver role or a higher one in the domain


def approvers_in(domain: AddressDomain) -> int:
    """How many people may sign off in ``domain``: those with the approver role or a higher one."""
    return domain.memberships.filter(role__in=roles_at_least(DomainRoleName.APPROVER)).count()


def may_change(user, domain: AddressDomain) -> bool:
    return has_role(user, domain, DomainRoleName.DOMAIN_ADMIN)


def rules_of(domain: AddressDomain) -> DomainRules:
    """The domain's rules as they stand, every kind and every procedure listed (three queries)."""
    quorums = dict(SignoffQuorum.objects.filter(domain=domain).values_list("kind", "approvers"))
    rehearsed = set(RehearsalRule.objects.filter(domain=domain).values_list("procedure", flat=True))
    count = approvers_in(domain)
    return DomainRules(
        quorums=[
            Quorum(kind, label, n, n <= max(count, DEFAULT_APPROVERS))
            for kind, label in FourEyesKind.choices
            for n in [quorums.get(kind, DEFAULT_APPROVERS)]
        ],
        rehearsals=[Rehearsal(code, localised(p.title), code in rehearsed) for code, p in PROCEDURES.items()],
        approvers=count,
    )


def _about(error: PortalError, kind: str) -> PortalError:
    error.field = kind  # the rule the refusal is about (the form shows it at that rule's field)
    return error


def check_quorum(domain: AddressDomain, kind: str, value, *, current: int = DEFAULT_APPROVERS) -> int:
    """``value`` as a number of approvers ``kind`` may ask for in ``domain``, or the refusal that says why not."""
    if kind not in FourEyesKind.values:
        raise UnknownKind(kind=str(kind)[:40])
    label, field = FourEyesKind(kind).label, kind
    if isinstance(value, bool) or not isinstance(value, int):
        text = str(value)
        if not (text.isascii() and text.isdigit()) or len(text) > 3:
            raise _about(QuorumOutOfRange(kind=label, maximum=MAX_APPROVERS, value=text[:40]), field)
        value = int(text)
    if not DEFAULT_APPROVERS <= value <= MAX_APPROVERS:
        raise _about(QuorumOutOfRange(kind=label, maximum=MAX_APPROVERS, value=value), field)
    if value > current:  # raising it: someone must be able to give that many signatures
        count = approvers_in(domain)
        if value > max(count, DEFAULT_APPROVERS):
            raise _about(QuorumAboveApprovers(kind=label, value=value, count=count, domain=domain.name), field)
    return value


def check_procedure(code: str) -> str:
    if code not in PROCEDURES:
        raise UnknownProcedure(procedure=str(code)[:40])
    return code


def _with_history(obj, user, reason: str):
    obj._history_user = user
    obj._change_reason = reason
    return obj


@dataclass(frozen=True)
class Change:
    what: str  # the kind of four-eyes step or the procedure, labelled
    old: object
    new: object


def set_rules(
    domain: AddressDomain,
    *,
    user,
    quorums: Mapping[str, object] | None = None,
    rehearsals: Mapping[str, bool] | None = None,
) -> list[Change]:
    """Set the kinds named in ``quorums`` (kind -> approvers) and the procedures named in ``rehearsals``
    (code -> required); what is not named stays as it is. Returns what changed (nothing when nothing did).

    All or nothing: one refused value changes none of the others.
    """
    quorums, rehearsals = dict(quorums or {}), dict(rehearsals or {})
    changed: list[Change] = []
    with transaction.atomic():
        domain = AddressDomain.objects.select_for_update().get(pk=domain.pk)
        if not may_change(user, domain):
            raise NotAllowed(domain=domain)
        stored = {q.kind: q for q in SignoffQuorum.objects.select_for_update().filter(domain=domain)}
        rules = {r.procedure: r for r in RehearsalRule.objects.select_for_update().filter(domain=domain)}
        who = user.get_username()
        for kind, value in quorums.items():
            row = stored.get(kind)
            old = row.approvers if row else DEFAULT_APPROVERS
            new = check_quorum(domain, kind, value, current=old)
            if new == old:
                continue
            changed.append(Change(FourEyesKind(kind).label, old, new))
            if new == DEFAULT_APPROVERS:  # the default is no row
                _with_history(row, user, f"quorum {kind} back to 1 by {who}").delete()
                continue
            row = row or SignoffQuorum(domain=domain, kind=kind)
            row.approvers = new
            row.full_clean()
            _with_history(row, user, f"quorum {kind} {old} -> {new} by {who}").save()
        for code, required in rehearsals.items():
            check_procedure(code)
            row = rules.get(code)
            if bool(required) == (row is not None):
                continue
            changed.append(Change(localised(PROCEDURES[code].title), row is not None, bool(required)))
            if required:
                _with_history(RehearsalRule(domain=domain, procedure=code), user, f"rehearsal {code} by {who}").save()
            else:
                _with_history(row, user, f"rehearsal {code} lifted by {who}").delete()
    return changed


REQUIRED = {True: _("required"), False: _("not required")}


def _entry(record, what, old, new) -> dict:
    return {
        "when": record.history_date,
        "who": record.history_user,
        "address": record.history_address,
        "kind": KINDS.get(record.history_type) or record.get_history_type_display(),
        "what": what,
        "old": old,
        "new": new,
    }


def changes(domain: AddressDomain, limit: int = 50) -> list[dict]:
    """The domain's rule changes, newest first: who, when, from where, which rule, old -> new (two queries).

    A quorum's "old" is the number before (1 when its row was created), its "new" the number after (1 when its
    row was removed); a rehearsal rule is "required" while its row exists. Labels are the reader's language.
    """
    entries = []
    previous: dict[int, int] = {}
    records = SignoffQuorum.history.filter(domain_id=domain.pk).select_related("history_user")
    for record in records.order_by("history_date", "history_id"):
        old = previous.get(record.id, DEFAULT_APPROVERS) if record.history_type != "+" else DEFAULT_APPROVERS
        new = DEFAULT_APPROVERS if record.history_type == "-" else record.approvers
        previous[record.id] = record.approvers
        label = FourEyesKind(record.kind).label if record.kind in FourEyesKind.values else record.kind
        entries.append(_entry(record, label, old, new))
    records = RehearsalRule.history.filter(domain_id=domain.pk).select_related("history_user")
    for record in records.order_by("history_date", "history_id"):
        procedure = PROCEDURES.get(record.procedure)
        title = localised(procedure.title) if procedure else record.procedure
        created = record.history_type != "-"
        entries.append(_entry(record, title, REQUIRED[not created], REQUIRED[created]))
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries[:limit]
