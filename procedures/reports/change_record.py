"""A run's change record as plain data: what a change advisory board files (rendered to PDF by ``pdf``).

Everything comes from the run's own record: the plan snapshot it ran (digest and catalog version, checked
against the stored digest), its steps with their seed IDs, hosts, commands, exit codes and times, who
executed, confirmed and signed off, the checklist ticks and screenshot hashes from the append-only events, the
deviations from the source, the final sign-off, and every event. Six queries whatever the run's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from procedures import rehearsal
from procedures.models import ConsoleScreenshot, ProcedureRun, StepHostResult
from procedures.reports.domain import jsonable
from procedures.reports.redact import redact_all
from procedures.texts import localised, render_message


@dataclass
class HostRow:
    label: str
    command: str
    attempt: int | None = None
    state: str = ""
    exit_code: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    message: str = ""


@dataclass
class Tick:
    item: str
    by: str
    at: dt.datetime


@dataclass
class Screenshot:
    sha256: str
    content_type: str
    size: int
    by: str
    at: dt.datetime


@dataclass
class StepRecord:
    position: int
    key: str
    seed_ids: list[str]
    kind: str
    title: str
    state: str
    state_label: str
    attempts: int
    hosts: list[HostRow]
    executed_by: str
    confirmed_by: str
    signed_off_by: str
    resolution: str
    resolution_reason: str
    resolution_requested_by: str
    resolved_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    needs_signoff: bool
    ticks: list[Tick] = field(default_factory=list)
    screenshots: list[Screenshot] = field(default_factory=list)
    deviation: str = ""


@dataclass
class EventRow:
    at: dt.datetime
    action: str
    step: int | None
    source: str
    target: str
    by: str
    reason: str
    address: str


@dataclass
class ChangeRecord:
    run_id: int
    domain: str
    time_zone: str
    cluster: str
    procedure: str
    title: str
    catalog_version: str
    plan_digest: str
    digest_matches: bool
    state: str
    state_label: str
    planned_by: str
    planned_at: dt.datetime
    approved_by: str
    approved_at: dt.datetime | None
    started_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    signed_off_by: str
    signed_off_at: dt.datetime | None
    aborted_by: str
    abort_reason: str
    options: dict
    rehearsals: list[str]  # "rehearsed on <date>, by <whom>, <outcome>", newest first
    steps: list[StepRecord]
    omitted: list[dict]
    events: list[EventRow]
    generated_at: dt.datetime
    generated_by: str

    def as_dict(self) -> dict:
        return jsonable(asdict(self))


def _name(user) -> str:
    return user.get_username() if user else ""


def build_change_record(run: ProcedureRun, user) -> ChangeRecord:
    """The change record of ``run`` (already found among the runs ``user`` may see)."""
    run = ProcedureRun.objects.select_related(
        "cluster__server__domain__site", "planned_by", "approved_by", "started_by", "signed_off_by", "aborted_by"
    ).get(pk=run.pk)
    plan = run.plan_object
    steps = list(
        run.steps.select_related(
            "executed_by", "confirmed_by", "signed_off_by", "resolution_requested_by", "resolved_by"
        ).order_by("position")
    )
    results = defaultdict(list)
    for r in StepHostResult.objects.filter(step__run=run).order_by("attempt", "pk"):
        results[r.step_id].append(r)
    shots = defaultdict(list)
    for s in ConsoleScreenshot.objects.filter(step__run=run).select_related("uploaded_by").order_by("pk"):
        shots[s.step_id].append(Screenshot(s.sha256, s.content_type, s.size, _name(s.uploaded_by), s.uploaded_at))
    events = list(run.events.select_related("actor", "step").order_by("at", "pk"))
    ticks = defaultdict(list)
    for e in events:
        if e.action == "tick" and e.step_id:
            ticks[e.step_id].append(Tick(e.reason, e.who, e.at))
    records = []
    for step in steps:
        planned = plan.steps[step.position - 1]
        newest = {}
        for r in results[step.pk]:
            newest[r.host_label] = r  # the last attempt on each host
        hosts = []
        for ref in planned.hosts:
            r = newest.pop(ref.label, None)
            hosts.append(_host_row(ref.label, ref.command, r))
        hosts += [_host_row(label, "", r) for label, r in newest.items()]
        records.append(
            StepRecord(
                position=step.position,
                key=step.key,
                seed_ids=list(planned.seed_ids),
                kind=step.kind,
                title=localised(planned.title),
                state=step.state,
                state_label=step.get_state_display(),
                attempts=step.attempt,
                hosts=hosts,
                executed_by=_name(step.executed_by),
                confirmed_by=_name(step.confirmed_by),
                signed_off_by=_name(step.signed_off_by),
                resolution=step.get_resolution_display() if step.resolution else "",
                resolution_reason=step.resolution_reason,
                resolution_requested_by=_name(step.resolution_requested_by),
                resolved_by=_name(step.resolved_by),
                started_at=step.started_at,
                finished_at=step.finished_at,
                needs_signoff=planned.needs_signoff,
                ticks=ticks[step.pk],
                screenshots=shots[step.pk],
                deviation=localised(planned.deviation) if planned.deviation else "",
            )
        )
    domain = run.cluster.server.domain if hasattr(run.cluster, "server") else None
    record = ChangeRecord(
        run_id=run.pk,
        domain=domain.name if domain else "",
        time_zone=domain.site.time_zone if domain else "UTC",
        cluster=run.cluster.name,
        procedure=run.procedure,
        title=localised(plan.title),
        catalog_version=plan.version,
        plan_digest=run.plan_digest,
        digest_matches=plan.digest == run.plan_digest,
        state=run.state,
        state_label=run.get_state_display(),
        planned_by=_name(run.planned_by),
        planned_at=run.created_at,
        approved_by=_name(run.approved_by),
        approved_at=run.approved_at,
        started_by=_name(run.started_by),
        started_at=run.started_at,
        finished_at=run.finished_at,
        signed_off_by=_name(run.signed_off_by),
        signed_off_at=run.signed_off_at,
        aborted_by=_name(run.aborted_by),
        abort_reason=run.abort_reason,
        options=dict(plan.options),
        rehearsals=[rehearsal.summary(r) for r in rehearsal.rehearsals_of(run).order_by("-created_at")],
        steps=records,
        omitted=[
            {"key": o.get("key", ""), "seed_ids": list(o.get("seed_ids", ())), "because": localised(o.get("because"))}
            for o in plan.omitted
        ],
        events=[_event_row(e) for e in events],
        generated_at=timezone.now(),
        generated_by=_name(user),
    )
    return redact_all(record)


def _event_row(e) -> EventRow:
    step = e.step.position if e.step_id else None
    return EventRow(e.at, e.action, step, e.source, e.target, e.who, render_message(e.reason), e.address or "")


def _host_row(label: str, command: str, r: StepHostResult | None) -> HostRow:
    if r is None:
        return HostRow(label, command)
    return HostRow(label, command, r.attempt, r.get_state_display(), r.exit_code, r.started_at, r.finished_at,
                   render_message(r.message))  # fmt: skip
