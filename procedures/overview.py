"""What the home page shows a person, read in a fixed number of queries whatever the number of runs.

Runs in progress with their current step, progress, elapsed time, an estimate from earlier runs of the same
procedure and who must act next; what waits for this person (the approver's decisions from ``procedures.queue``,
which asks ``procedures.signoff``, and the operator's work from ``procedures.queue.operator_work``); the latest
finished runs; and the clusters (and standalone servers) with a warning. Everything is scoped by the person's
roles through the querysets' ``visible_to``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.models import AddressDomain, Cluster, GroupmaxServer, HostKeyChange, Node
from procedures import duties
from procedures.choices import RunState, StepState, WaitReason
from procedures.models import ProcedureRun, StepRun
from procedures.queue import operator_work, queue_for
from procedures.signoff import RULES, Decision
from procedures.texts import localised

FINISHED_RUNS_SHOWN = 10
ESTIMATE_FROM = 200  # the latest finished runs the estimates are read from
ENDED = (RunState.COMPLETED, RunState.SIGNED_OFF, RunState.ABORTED)
OPEN = (RunState.PLANNED, RunState.APPROVED, RunState.RUNNING, RunState.WAITING)


def planned_step(run: ProcedureRun, position: int) -> dict:
    """The plan snapshot's step at ``position`` (1-based), as stored: titles, seed IDs, kind."""
    steps = (run.plan or {}).get("steps") or []
    return steps[position - 1] if 0 < position <= len(steps) else {}


def step_label(run: ProcedureRun, step: StepRun) -> str:
    """The number, the source's IDs and the title, once each: "17 · A-24 Same xodrc on both nodes".

    Lists annotate the snapshot's entry (``with_current_plan_step``) and leave the rest of the plan unread.
    """
    planned = run.__dict__.get("current_plan_step") or planned_step(run, step.position)
    ids = " ".join(planned.get("seed_ids") or ())
    return " · ".join(part for part in (str(step.position), f"{ids} {localised(planned.get('title'))}".strip()) if part)


def _role_label(decision: Decision) -> str:
    return str(DomainRoleName(RULES[decision].role).label)


def next_actor(run: ProcedureRun, step: StepRun | None) -> str:
    """Who must act next on ``run``, in words: the portal, an operator, or an approver who did not do the work."""
    if run.state == RunState.PLANNED:
        return _("%(role)s other than %(who)s: approve the plan") % {
            "role": _role_label(Decision.APPROVE_RUN),
            "who": run.planned_by.get_username(),
        }
    if run.state == RunState.APPROVED:
        return _("An operator: start the run")
    if run.state == RunState.COMPLETED:
        return _("%(role)s who did not work on it: sign off the run") % {"role": _role_label(Decision.CLOSE_RUN)}
    if run.state not in RunState.ACTIVE or step is None:
        return ""
    if step.state == StepState.RUNNING:
        return _("The portal: the step is running")
    if step.resolution:
        return _("%(role)s other than %(who)s: countersign") % {
            "role": _role_label(Decision.COUNTERSIGN),
            "who": step.resolution_requested_by.get_username() if step.resolution_requested_by_id else "?",
        }
    if step.state == StepState.AWAITING_APPROVAL:
        return _("%(role)s who neither planned the run nor runs step %(n)s: approve its command") % {
            "role": _role_label(Decision.APPROVE_STEP),
            "n": step.position,
        }
    if step.state == StepState.AWAITING_SIGNOFF:
        return _("%(role)s who did not do step %(n)s: sign it off") % {
            "role": _role_label(Decision.SIGN_OFF_STEP),
            "n": step.position,
        }
    if step.state == StepState.AWAITING_CONFIRMATION:
        return _("An operator: confirm step %(n)s") % {"n": step.position}
    if step.state in StepState.RETRYABLE:
        return _("An operator: retry step %(n)s, skip it or count it done") % {"n": step.position}
    if run.wait_reason == WaitReason.OPERATOR:
        return _("An operator: continue the run")
    return ""


@dataclass
class RunProgress:
    run: ProcedureRun
    step: StepRun | None
    done: int
    total: int
    estimate: timedelta | None
    estimate_from: int

    @property
    def step_label(self) -> str:
        return step_label(self.run, self.step) if self.step else ""

    @property
    def elapsed(self) -> timedelta | None:
        return timezone.now() - self.run.started_at if self.run.started_at else None

    @property
    def next_actor(self) -> str:
        return next_actor(self.run, self.step)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class ClusterWarning:
    """A cluster, or a standalone server, that needs someone's attention, and why."""

    subject: object  # Cluster or GroupmaxServer
    reasons: list[str] = field(default_factory=list)
    run: ProcedureRun | None = None
    key_changes: list[HostKeyChange] = field(default_factory=list)  # open host key changes, linked to compare


HOST_KEY_WARNINGS = {
    HostKeyChangeState.DETECTED: gettext_lazy(
        "%(host)s presented another host key than the pinned one: a domain administrator accepts or rejects it."
    ),
    HostKeyChangeState.ACCEPTED: gettext_lazy(
        "%(host)s presented another host key, accepted: it waits for a second person's sign-off."
    ),
}


@dataclass
class Overview:
    in_progress: list[RunProgress]
    queue: object  # procedures.queue.Queue
    operator: object  # procedures.queue.OperatorWork
    finished: list[ProcedureRun]
    warnings: list[ClusterWarning]

    @property
    def waiting_total(self) -> int:
        return self.queue.total + self.operator.total


def estimates(user, procedures) -> dict[str, tuple[timedelta, int]]:
    """Per procedure, the median duration of the latest runs that finished (and how many), as the user may see."""
    rows = (
        ProcedureRun.objects.visible_to(user)
        .filter(procedure__in=procedures, state__in=(RunState.COMPLETED, RunState.SIGNED_OFF))
        .exclude(started_at=None)
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .values_list("procedure", "started_at", "finished_at")[:ESTIMATE_FROM]
    )
    seconds: dict[str, list[float]] = {}
    for procedure, started, finished in rows:
        seconds.setdefault(procedure, []).append((finished - started).total_seconds())
    return {p: (timedelta(seconds=round(statistics.median(s))), len(s)) for p, s in seconds.items()}


def runs_in_progress(user) -> list[RunProgress]:
    """Runs not ended yet: planned and approved ones (to be approved, to be started) and active ones."""
    runs = list(
        ProcedureRun.objects.visible_to(user)
        .filter(state__in=OPEN)
        .listed()
        .with_progress()
        .with_current_plan_step()
        .select_related("cluster__server__domain", "planned_by", "started_by")
        .order_by("created_at", "pk")
    )
    return progress_of(user, runs)


def progress_of(user, runs) -> list[RunProgress]:
    """``RunProgress`` for runs annotated by ``with_progress``: two more queries (current steps, estimates)."""
    current = {
        s.pk: s
        for s in StepRun.objects.filter(pk__in=[r.current_step_pk for r in runs if r.current_step_pk]).select_related(
            "resolution_requested_by"
        )
    }
    known = estimates(user, {r.procedure for r in runs}) if runs else {}
    out = []
    for run in runs:
        estimate, count = known.get(run.procedure, (None, 0))
        out.append(
            RunProgress(
                run=run,
                step=current.get(run.current_step_pk),
                done=run.steps_done,
                total=run.steps_total,
                estimate=estimate,
                estimate_from=count,
            )
        )
    return out


def latest_finished(user, limit: int = FINISHED_RUNS_SHOWN) -> list[ProcedureRun]:
    return list(
        ProcedureRun.objects.visible_to(user)
        .filter(state__in=ENDED)
        .listed()
        .select_related("cluster__server__domain", "planned_by", "started_by")
        .order_by("-finished_at", "-pk")[:limit]
    )


def changed_host_keys(user) -> list[HostKeyChange]:
    """The open host key changes (a new key seen, not pinned by two people, not rejected) the person may see."""
    return list(
        HostKeyChange.objects.open()
        .visible_to(user)
        .select_related("node__cluster__server__domain", "server__domain")
        .order_by("pk")
    )


def cluster_warnings(user) -> list[ClusterWarning]:
    """Clusters (and standalone servers) with a failed, interrupted or aborted run, a mail server without
    ``mhs_nadr_cfg TCP OFF`` on record, a node without a pinned host key, or a machine with an open host key change
    (``HostKeyChange``: until the new key is pinned by two people or rejected)."""
    warnings: dict[tuple[str, int], ClusterWarning] = {}

    def warn(subject, reason: str, run=None):
        key = (type(subject).__name__, subject.pk)
        entry = warnings.setdefault(key, ClusterWarning(subject))
        entry.reasons.append(reason)
        entry.run = entry.run or run

    visible_runs = ProcedureRun.objects.visible_to(user)
    stopped = (
        visible_runs.active().filter(wait_reason=WaitReason.FAILURE).defer("plan").select_related("cluster__server")
    )
    for run in stopped:
        warn(run.cluster, _("Run #%(run)s stopped after a failure or an interruption.") % {"run": run.pk}, run)
    latest = visible_runs.filter(cluster=OuterRef("pk")).order_by("-created_at", "-pk")
    aborted = (
        Cluster.objects.visible_to(user)
        .annotate(last_state=Subquery(latest.values("state")[:1]), last_run=Subquery(latest.values("pk")[:1]))
        .filter(last_state=RunState.ABORTED)
        .select_related("server__domain")
    )
    for cluster in aborted:
        warn(cluster, _("Its last run #%(run)s was aborted.") % {"run": cluster.last_run})

    for change in changed_host_keys(user):
        subject = change.node.cluster if change.node_id else change.server
        warn(subject, HOST_KEY_WARNINGS[change.state] % {"host": change.target})
        warnings[(type(subject).__name__, subject.pk)].key_changes.append(change)
    nodes = Node.objects.visible_to(user).filter(host_key="").select_related("cluster__server__domain")
    for node in nodes:
        warn(node.cluster, _("Node %(node)s has no pinned host key.") % {"node": node.host_name})
    standalone = GroupmaxServer.objects.visible_to(user).standalone().filter(host_key="").select_related("domain")
    for server in standalone:
        warn(server, _("Server %(server)s has no pinned host key.") % {"server": server.name})

    applies = duties.domains_where_duty_applies(AddressDomain.objects.visible_to(user).values("pk"))
    for domain_duties in duties.mhs_nadr_cfg_duties(applies).values():
        for duty in domain_duties:
            if not duty.on_record:
                subject = duty.server.cluster if duty.server.cluster_id else duty.server
                warn(
                    subject,
                    _("Mail server %(server)s has no mhs_nadr_cfg TCP OFF on record.") % {"server": duty.server.name},
                )
    return sorted(warnings.values(), key=lambda w: str(w.subject))


def overview_for(user) -> Overview:
    return Overview(
        in_progress=runs_in_progress(user),
        queue=queue_for(user, brief=True),
        operator=operator_work(user),
        finished=latest_finished(user),
        warnings=cluster_warnings(user),
    )
