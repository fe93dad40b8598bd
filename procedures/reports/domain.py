"""The domain report as plain data: one service for the page, the CSV and PDF exports and the JSON API.

``build_domain_report(domain, user, query)`` returns a ``DomainReport`` of dataclasses (``as_dict()`` gives
JSON-able data). It reads a constant number of queries whatever the number of servers and runs (the test
asserts the count) and none of them reads every run of the period row by row: the "newest" facts per server or
node are correlated subqueries that stop at the first row (the newest row is the highest key: runs, results and
log lines are only ever appended), the run history is counted and charted from one grouped query per procedure,
state and week or month (``summary``, read from the index ``procedures_run_cluster_period`` alone), and only
``query.run_limit`` run rows and ``query.replication_limit`` nxsrepstat results are built (the CSV asks for all
of them; the page and the PDF say how many they show).

Nothing secret is read: no credential, key path or host key of the inventory, and log text only from
``nxsrepstat`` and the package checks, which the log writer already masked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.choices import ServerRole
from clusters.models import AddressDomain, GroupmaxServer, Node
from portal.errors import NotAllowed
from procedures import duties
from procedures.catalog import PROCEDURES
from procedures.choices import PACKAGE_VIEW_HOST, RunState, Stream
from procedures.exceptions import BadReportParameter
from procedures.models import ProcedureRun, RunEvent, RunLogLine, StepHostResult, StepRun
from procedures.reports.redact import redact_all
from procedures.reports.replication import ReplicationState, last_state_per_server, parse_nxsrepstat
from procedures.texts import localised, render_message

DEFAULT_DAYS = 90
PAGE_RUNS = 50  # run rows built for the page; the counts, the chart and the summary cover the whole period
PAGE_REPLICATION = 30
RECENT_RESULTS = 1000  # the newest host results of the portal in which a page's nxsrepstat checks are looked for first
PDF_RUNS = 20  # the PDF lists fewer (WeasyPrint's layout time grows with every table row); the CSV holds all
PDF_REPLICATION = 10
WEEKLY_UP_TO_DAYS = 183  # a longer period is summarised per month, a shorter one per week
DEVIATION_ACTIONS = ("retry", "skip", "done", "interrupt", "abort", "signoff_reject")
VIEW_HOST_PREFIX = PACKAGE_VIEW_HOST.split("{", 1)[0]
PACKAGE_OWNER_LABEL = ": node running package "  # catalog.render.server_ref's label of a resolved host


# ---------------------------------------------------------------- what was asked


@dataclass(frozen=True)
class ReportQuery:
    """The period (dates in the site's time zone, both included) and the run history's filters."""

    since: dt.date
    until: dt.date
    procedure: str = ""
    state: str = ""
    cluster_id: int | None = None
    run_limit: int | None = PAGE_RUNS
    replication_limit: int | None = PAGE_REPLICATION

    @classmethod
    def from_params(cls, params: QueryDict | dict, *, today: dt.date, **limits) -> ReportQuery:
        """Validated query parameters; a malformed one is a ``BadReportParameter`` (400) naming it."""

        def date(name: str, default: dt.date) -> dt.date:
            value = (params.get(name) or "").strip()
            if not value:
                return default
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise BadReportParameter(name=name, problem=_("a date is written YYYY-MM-DD.")) from None

        until = date("until", today)
        since = date("since", until - dt.timedelta(days=DEFAULT_DAYS - 1))
        if since > until:
            raise BadReportParameter(name="since", problem=_("the period starts after it ends."))
        procedure = (params.get("procedure") or "").strip()
        if procedure and procedure not in PROCEDURES:
            raise BadReportParameter(name="procedure", problem=_("not a procedure of the catalog."))
        state = (params.get("state") or "").strip()
        if state and state not in RunState.values:
            raise BadReportParameter(name="state", problem=_("not a state of a run."))
        cluster = (params.get("cluster") or "").strip()
        if cluster and not cluster.isdigit():
            raise BadReportParameter(name="cluster", problem=_("a cluster is given by its number."))
        return cls(since, until, procedure, state, int(cluster) if cluster else None, **limits)

    @property
    def bucket(self) -> str:
        """How the run history is summarised: ``week`` (from Monday) or ``month``."""
        return "week" if (self.until - self.since).days < WEEKLY_UP_TO_DAYS else "month"

    def buckets(self) -> list[tuple[dt.date, dt.date]]:
        """The period cut into weeks or months: (first day, last day), both included, in the site's dates."""
        result, first = [], self.since
        while first <= self.until:
            if self.bucket == "week":
                following = first + dt.timedelta(days=7 - first.weekday())
            else:
                following = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            last = min(following - dt.timedelta(days=1), self.until)
            result.append((first, last))
            first = last + dt.timedelta(days=1)
        return result

    def as_params(self) -> dict:
        params = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        for key, value in (("procedure", self.procedure), ("state", self.state), ("cluster", self.cluster_id)):
            if value:
                params[key] = str(value)
        return params


# ---------------------------------------------------------------- the report


@dataclass
class RunRef:
    id: int
    procedure: str
    state: str
    state_label: str
    at: dt.datetime | None


@dataclass
class ServerRow:
    id: int
    name: str
    role: str
    role_label: str
    mail_server: bool
    clustered: bool
    cluster: str
    cluster_id: int | None
    nodes: list[str]
    host_name: str  # a standalone server's host
    package_node: str  # the node that ran the package when a run last checked (cmviewcl); "" halted or never
    package_state: str
    package_seen_at: dt.datetime | None
    package_seen_run: int | None
    last_run: RunRef | None


@dataclass
class DutyPlace:
    label: str
    node_position: int | None
    holds: bool
    how: str  # "portal", "outside" or ""
    at: dt.datetime | None
    run_id: int | None
    step_key: str
    outside_reason: str
    outside_recorded_by: str
    outside_signed_off_by: str
    pending_outside: int


@dataclass
class DutyRow:
    server_id: int
    server: str
    clustered: bool
    cluster: str
    cluster_id: int | None
    on_record: bool
    places: list[DutyPlace]

    @property
    def missing(self) -> list[str]:
        return [p.label for p in self.places if not p.holds]


@dataclass
class ReplicationRow:
    run_id: int
    step_key: str
    host: str
    server: str
    at: dt.datetime | None
    state: str
    pending: int | None
    servers: list[str]
    detail: str


@dataclass
class ReplicationServer:
    server: str
    state: str  # a ReplicationState, or "" when no run checked it in the period
    at: dt.datetime | None
    run_id: int | None


@dataclass
class Deviation:
    kind: str  # retry, skip, done, interrupt, abort, signoff_reject
    step: int | None
    step_key: str
    reason: str
    by: str
    countersigned_by: str
    requested_by: str
    at: dt.datetime | None


@dataclass
class RunRow:
    id: int
    procedure: str
    title: str
    cluster: str
    state: str
    state_label: str
    planned_by: str
    operators: list[str]
    approvers: list[str]
    planned_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_s: float | None
    deviations: list[Deviation] = field(default_factory=list)


@dataclass
class SummaryRow:
    """The runs of one procedure planned in one week or month of the period (the chart reads the same rows)."""

    procedure: str
    start: dt.date
    end: dt.date  # last day, included
    runs: int
    by_state: dict[str, int]
    finished: int  # runs with a start and an end: the mean is over these
    mean_minutes: float | None


@dataclass
class DomainReport:
    domain_id: int
    domain: str
    site: str
    time_zone: str
    since: dt.date
    until: dt.date
    query: ReportQuery
    generated_at: dt.datetime
    generated_by: str
    servers: list[ServerRow]
    duty_applies: bool
    duty: list[DutyRow]
    replication: list[ReplicationRow]
    replication_last: list[ReplicationServer]
    runs_total: int
    runs_by_state: dict[str, int]
    runs: list[RunRow]
    bucket: str  # "week" or "month": what a summary row covers
    summary: list[SummaryRow]

    @property
    def duty_missing(self) -> list[DutyRow]:
        return [row for row in self.duty if not row.on_record]

    @property
    def replication_converged(self) -> bool | None:
        """True when every address server's newest check says converged; None when none was checked."""
        if not self.replication_last or all(s.state == "" for s in self.replication_last):
            return None
        return all(s.state == ReplicationState.CONVERGED for s in self.replication_last)

    @property
    def runs_by_state_shown(self) -> list[tuple[str, str, int]]:
        """(state, its label in the reader's language, number of runs) for the page."""
        return [
            (state, str(RunState(state).label) if state in RunState.values else state, n)
            for state, n in self.runs_by_state.items()
        ]

    @property
    def runs_truncated(self) -> bool:
        return len(self.runs) < self.runs_total

    def servers_first(self) -> list[ServerRow]:
        """The servers, those to look at first (a flagged mail server, a last run aborted, a cluster no run
        checked) ahead of the others, each group in the report's order: the PDF lists the first ones in full."""
        flagged = {row.server_id for row in self.duty if not row.on_record}

        def look(s: ServerRow) -> bool:
            aborted = s.last_run is not None and s.last_run.state == RunState.ABORTED
            return s.id in flagged or aborted or (s.clustered and s.package_seen_at is None)

        return sorted(self.servers, key=lambda s: not look(s))

    @property
    def summary_lines(self) -> list[dict]:
        """The summary as the PDF and the page show it: one line per week or month, a cell per procedure."""
        procedures = sorted({row.procedure for row in self.summary})
        lines: dict[dt.date, dict] = {}
        for row in self.summary:
            line = lines.setdefault(row.start, {"start": row.start, "end": row.end, "runs": 0, "cells": {}})
            line["runs"] += row.runs
            line["cells"][row.procedure] = row
        return [{**line, "cells": [line["cells"].get(p) for p in procedures]} for _start, line in sorted(lines.items())]

    @property
    def summary_procedures(self) -> list[str]:
        return sorted({row.procedure for row in self.summary})

    def as_dict(self) -> dict:
        """JSON-able: dates and times as ISO 8601 strings, the derived facts included."""
        data = asdict(self)
        data["query"] = self.query.as_params()
        data["duty_missing"] = [row.server for row in self.duty_missing]
        data["replication_converged"] = self.replication_converged
        return jsonable(data)


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- building it


def period_bounds(domain: AddressDomain, query: ReportQuery) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(domain.site.time_zone)
    start = dt.datetime.combine(query.since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(query.until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def today_at(domain: AddressDomain) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(domain.site.time_zone)).date()


def build_domain_report(domain: AddressDomain, user, query: ReportQuery) -> DomainReport:
    """The report of ``domain`` for ``query``'s period, as ``user`` may see it (a viewer of the domain at least)."""
    if not AddressDomain.objects.visible_to(user).filter(pk=domain.pk).exists():
        raise NotAllowed(domain=domain.name)
    start, end = period_bounds(domain, query)
    servers = _servers(domain)
    duty = _duty(domain)
    replication = _replication(domain, start, end, query.replication_limit)
    address_servers = [s.name for s in servers if s.role == ServerRole.ADDRESS]
    last = last_state_per_server(replication, address_servers)
    summary = _summary(domain, query)
    rows_from = start  # the newest rows' keys are sorted from the runs of the weeks or months that hold them
    if query.run_limit and (newest := _newest_buckets_start(summary, query.run_limit, domain)):
        rows_from = max(start, newest)
    filtered = ProcedureRun.objects.filter(cluster__server__domain=domain, created_at__lt=end)
    filtered = filtered.filter(created_at__gte=rows_from)
    if query.procedure:
        filtered = filtered.filter(procedure=query.procedure)
    if query.state:
        filtered = filtered.filter(state=query.state)
    if query.cluster_id:
        filtered = filtered.filter(cluster_id=query.cluster_id)
    by_state: dict[str, int] = {}
    for row in summary:
        for state, n in row.by_state.items():
            by_state[state] = by_state.get(state, 0) + n
    report = DomainReport(
        domain_id=domain.pk,
        domain=domain.name,
        site=str(domain.site),
        time_zone=domain.site.time_zone,
        since=query.since,
        until=query.until,
        query=query,
        generated_at=timezone.now(),
        generated_by=user.get_username(),
        servers=servers,
        duty_applies=any(s.clustered for s in servers),
        duty=duty,
        replication=replication,
        replication_last=[
            ReplicationServer(name, row.state if row else "", row.at if row else None, row.run_id if row else None)
            for name, row in last.items()
        ],
        runs_total=sum(by_state.values()),
        runs_by_state=dict(sorted(by_state.items())),
        runs=_run_rows(filtered, query.run_limit),
        bucket=query.bucket,
        summary=summary,
    )
    return redact_all(report)


def _servers(domain: AddressDomain) -> list[ServerRow]:
    """Servers with their nodes, their newest run and the newest package check: five queries.

    The newest run of a cluster and the newest package check of a node are correlated subqueries that walk an
    index from its newest row and stop at the first one that fits (one seek per server or node), rather than
    grouping every run and every log line of the domain."""
    newest_run = ProcedureRun.objects.filter(cluster=OuterRef("cluster_id")).order_by("-pk").values("pk")[:1]
    rows = list(
        GroupmaxServer.objects.filter(domain=domain)
        .annotate(newest_run=Subquery(newest_run))
        .order_by("-role", "name")
        .values_list(
            "pk", "name", "role", "uses_mail_server", "cluster_id", "cluster__name", "cluster__package_name",
            "host_name", "newest_run", named=True,
        )
    )  # plain rows: 200 servers as model instances cost more than the queries  # fmt: skip
    # The engine logs its package check under "cmviewcl@<node>" in the steps whose host it resolves to the node
    # running the package ("…: node running package …"); the package's own line names the AUTO_RUN setting.
    newest_check = (
        StepHostResult.objects.filter(node=OuterRef("pk"), host_label__contains=PACKAGE_OWNER_LABEL)
        .order_by("-pk")
        .values("step_id")[:1]
    )
    nodes, cluster_of_node, checked_steps = defaultdict(list), {}, set()
    node_rows = (
        Node.objects.filter(cluster__server__domain=domain)
        .annotate(checked_step=Subquery(newest_check))
        .order_by("position")
        .values_list("cluster_id", "host_name", "checked_step")
    )
    for cluster_id, host_name, checked_step in node_rows:
        nodes[cluster_id].append(host_name)
        cluster_of_node[PACKAGE_VIEW_HOST.format(node=host_name)] = cluster_id
        if checked_step:
            checked_steps.add(checked_step)
    newest_standalone = dict(
        StepHostResult.objects.filter(server__domain=domain, server__cluster=None)
        .order_by()
        .values_list("server_id")
        .annotate(last=Max("step__run_id"))
    )
    labels = {value: str(label) for value, label in RunState.choices}
    last_runs = {
        pk: RunRef(pk, procedure, state, labels.get(state, state), at)
        for pk, procedure, state, at in ProcedureRun.objects.filter(
            pk__in={*(s.newest_run for s in rows if s.newest_run), *newest_standalone.values()}
        ).values_list("pk", "procedure", "state", "created_at")
    }
    views = {}
    lines = (
        RunLogLine.objects.filter(step_id__in=checked_steps, host__startswith=VIEW_HOST_PREFIX)
        .filter(Q(text__contains=" enabled ") | Q(text__contains=" disabled "))
        .order_by("pk")
    )
    for host, run_id, text, at in lines.values_list("host", "run_id", "text", "at") if checked_steps else ():
        cluster_id = cluster_of_node.get(host)
        if cluster_id is not None and _package_line(text, "")[1]:
            views[cluster_id] = (run_id, text, at)  # the newest of the cluster's two nodes wins
    roles = {value: str(label) for value, label in ServerRole.choices}
    result = []
    for s in rows:
        view_run, view_text, view_at = views.get(s.cluster_id, (None, "", None))
        owner, state = _package_line(view_text, s.cluster__package_name) if view_run else ("", "")
        run_id = s.newest_run if s.cluster_id else newest_standalone.get(s.pk)
        result.append(
            ServerRow(
                id=s.pk,
                name=s.name,
                role=s.role,
                role_label=roles.get(s.role, s.role),
                mail_server=s.uses_mail_server,
                clustered=s.cluster_id is not None,
                cluster=s.cluster__name or "",
                cluster_id=s.cluster_id,
                nodes=nodes.get(s.cluster_id, []),
                host_name=s.host_name,
                package_node=owner,
                package_state=state,
                package_seen_at=view_at,
                package_seen_run=view_run,
                last_run=last_runs.get(run_id),
            )
        )
    return result


def _package_line(text: str, package: str) -> tuple[str, str]:
    """(node, state) from a ``cmviewcl`` package line: ``gmaxpkg up running enabled gmx1a`` (any package when
    ``package`` is empty)."""
    words = text.split()
    if len(words) >= 5 and words[0] == (package or words[0]) and words[3] in ("enabled", "disabled"):
        node = words[-1] if words[1].lower() == "up" else ""
        return node, words[2]
    return "", ""


def _duty(domain: AddressDomain) -> list[DutyRow]:
    rows = []
    for d in duties.mhs_nadr_cfg_duty(domain):
        places = []
        for p in d.places:
            by_portal = p.by_portal
            places.append(
                DutyPlace(
                    label=p.label,
                    node_position=p.node.position if p.node else None,
                    holds=p.holds,
                    how="portal" if by_portal else ("outside" if p.outside else ""),
                    at=p.at,
                    run_id=p.portal.run_id if by_portal else None,
                    step_key=p.portal.step_key if by_portal else "",
                    outside_reason=p.outside.reason if p.outside and not by_portal else "",
                    outside_recorded_by=p.outside.recorded_by.get_username() if p.outside and not by_portal else "",
                    outside_signed_off_by=(
                        p.outside.decided_by.get_username()
                        if p.outside and not by_portal and p.outside.decided_by
                        else ""
                    ),
                    pending_outside=len(p.pending),
                )
            )
        s = d.server
        rows.append(
            DutyRow(s.pk, s.name, s.is_clustered, s.cluster.name if s.cluster_id else "", s.cluster_id,
                    d.on_record, places)
        )  # fmt: skip
    return rows


def _replication(domain: AddressDomain, start, end, limit: int | None) -> list[ReplicationRow]:
    """The period's nxsrepstat results, newest first, parsed from their output: two queries.

    With a ``limit`` (the page, the PDF), the newest ``RECENT_RESULTS`` host results of the whole portal are read
    first, newest first, each asked whether it is an nxsrepstat of the domain's run in the period (a correlated
    EXISTS of two key lookups): a domain that checks replication finds its ``limit`` there. Only when it does not
    (a domain with few or old checks, among others' newer results) are the older ones found from the period's
    runs, their nxsrepstat steps and those steps' results (three index searches, as many rows as the domain's
    runs); the database skips that part when the first found enough (a constant condition). So neither a busy
    domain nor a quiet one reads every host result of the portal."""
    runs = ProcedureRun.objects.filter(cluster__server__domain=domain, created_at__gte=start, created_at__lt=end)
    finished = StepHostResult.objects.exclude(finished_at=None).order_by("-pk").values("pk")
    if limit:
        of_the_period = StepRun.objects.filter(
            pk=OuterRef("step_id"),
            key__contains="nxsrepstat",
            run__cluster__server__domain=domain,
            run__created_at__gte=start,
            run__created_at__lt=end,
        )
        newest = StepHostResult.objects.order_by("-pk").values("pk")[RECENT_RESULTS : RECENT_RESULTS + 1]
        floor = Coalesce(Subquery(newest), Value(0))  # results above it are the newest RECENT_RESULTS
        recent = finished.filter(pk__gt=floor).filter(Exists(of_the_period))
        enough = Exists(recent[limit - 1 : limit])
        steps = StepRun.objects.filter(key__contains="nxsrepstat", run__in=runs.filter(~enough).values("pk"))
        older = finished.filter(pk__lte=floor, step__in=steps)
        which = Q(pk__in=recent[:limit]) | Q(pk__in=older[:limit])
    else:  # every result of the period (the CSV): from the period's runs
        which = Q(pk__in=finished.filter(step__in=StepRun.objects.filter(key__contains="nxsrepstat", run__in=runs)))
    results = (
        StepHostResult.objects.filter(which)
        .order_by("-pk")  # newest first: results are appended as steps run
        .values_list(
            "step_id", "attempt", "host_label", "finished_at", "step__run_id", "step__key", "server__name",
            "node__cluster__server__name",
        )
    )  # fmt: skip
    results = list(results[:limit] if limit else results)
    output = defaultdict(list)
    if results:
        lines = RunLogLine.objects.filter(
            step_id__in={r[0] for r in results}, stream__in=(Stream.STDOUT, Stream.STDERR)
        ).order_by("seq")
        for step_id, attempt, host, text in lines.values_list("step_id", "attempt", "host", "text"):
            output[(step_id, attempt, host)].append(text)
    rows = []
    for step_id, attempt, host, at, run_id, step_key, server, node_server in results:
        parsed = parse_nxsrepstat("\n".join(output.get((step_id, attempt, host), ())))
        rows.append(
            ReplicationRow(
                run_id=run_id,
                step_key=step_key,
                host=host,
                server=server or node_server or "",
                at=at,
                state=parsed.state.value,
                pending=parsed.pending,
                servers=list(parsed.servers),
                detail=parsed.detail,
            )
        )
    return rows


def _newest_buckets_start(summary: list[SummaryRow], limit: int, domain: AddressDomain) -> dt.datetime | None:
    """The first instant of the newest weeks or months that hold ``limit`` runs of the summary (None when the
    period holds fewer): the newest ``limit`` runs of the same filters were planned in them."""
    runs: dict[dt.date, int] = defaultdict(int)
    for row in summary:
        runs[row.start] += row.runs
    first, total = None, 0
    for first in sorted(runs, reverse=True):
        total += runs[first]
        if total >= limit:
            break
    if first is None or total < limit:
        return None
    return dt.datetime.combine(first, dt.time.min, tzinfo=ZoneInfo(domain.site.time_zone))


def _names(*values) -> list[str]:
    return sorted({v for v in values if v})


def _run_rows(filtered, limit: int | None) -> list[RunRow]:
    """Run history rows, newest first, with people and deviations: four queries (the newest ``limit`` keys are
    sorted from the index first; only their rows are read, with the plan's title)."""
    runs = (
        ProcedureRun.objects.order_by("-created_at", "-pk")
        .annotate(title_ja=KT("plan__title__ja"), title_en=KT("plan__title__en"))  # the title only, in SQL
        .values_list(
            "pk", "procedure", "cluster__name", "state", "planned_by__username", "approved_by__username",
            "started_by__username", "signed_off_by__username", "created_at", "started_at", "finished_at", "title_ja",
            "title_en", named=True,
        )
    )  # plain rows, not model instances (a run's state machine costs on every instance)  # fmt: skip
    if limit:
        ids = list(filtered.order_by("-created_at", "-pk").values_list("pk", flat=True)[:limit])
        runs = list(runs.filter(pk__in=ids)) if ids else []
    else:
        ids = filtered.values("pk")
        runs = list(runs.filter(pk__in=ids))
    if not runs:
        return []
    operators, approvers = defaultdict(set), defaultdict(set)
    people = StepRun.objects.filter(run__in=ids).values_list(
        "run_id", "executed_by__username", "confirmed_by__username", "signed_off_by__username", "resolved_by__username"
    )
    for run_id, executed, confirmed, signed, resolved in people.order_by().distinct():
        operators[run_id].update(v for v in (executed, confirmed) if v)
        approvers[run_id].update(v for v in (signed, resolved) if v)
    deviations = defaultdict(list)
    events = (
        RunEvent.objects.filter(run__in=ids, action__in=DEVIATION_ACTIONS)
        .select_related("actor", "step")
        .order_by("at", "pk")
    )
    for e in events:
        if e.action == "abort" and e.step_id:
            continue  # a step's abort is part of the run's abort, shown once
        countersigned = e.who if e.action in ("skip", "done") else ""
        deviations[e.run_id].append(
            Deviation(
                kind=e.action,
                step=e.step.position if e.step_id else None,
                step_key=e.step.key if e.step_id else "",
                reason=render_message(e.reason),
                by=e.who,
                countersigned_by=countersigned,
                requested_by=str(e.details.get("requested_by", "")),
                at=e.at,
            )
        )
    labels = {value: str(label) for value, label in RunState.choices}
    rows = []
    for r in runs:
        duration = (r.finished_at - r.started_at).total_seconds() if r.started_at and r.finished_at else None
        rows.append(
            RunRow(
                id=r.pk,
                procedure=r.procedure,
                title=localised({"ja": r.title_ja or "", "en": r.title_en or ""}),
                cluster=r.cluster__name,
                state=r.state,
                state_label=labels.get(r.state, r.state),
                planned_by=r.planned_by__username or "",
                operators=_names(r.started_by__username, *operators[r.pk]),
                approvers=_names(r.approved_by__username, r.signed_off_by__username, *approvers[r.pk]),
                planned_at=r.created_at,
                started_at=r.started_at,
                finished_at=r.finished_at,
                duration_s=duration,
                deviations=deviations[r.pk],
            )
        )
    return rows


# A run's minutes, in SQL: the database's own date arithmetic (Django's duration expressions are a Python
# function per row on SQLite). NULL unless the run has a start and an end; COUNT and SUM leave NULLs out.
_MINUTES = {
    "sqlite": "(julianday(r.finished_at) - julianday(r.started_at)) * 1440.0",
    "postgresql": "EXTRACT(EPOCH FROM (r.finished_at - r.started_at)) / 60.0",
}
# A bucket's row of parameters: typed on PostgreSQL, where a VALUES column takes its type from its values.
_BUCKET = {
    "sqlite": "(%s, %s, %s)",
    "postgresql": "(CAST(%s AS integer), CAST(%s AS timestamptz), CAST(%s AS timestamptz))",
}


def _summary(domain: AddressDomain, query: ReportQuery) -> list[SummaryRow]:
    """Runs per procedure, week or month (by the day they were planned, in the site's time zone) and state, with
    the mean duration of the finished ones: one grouped query over the period's runs, which reads only the index
    ``procedures_run_cluster_period`` (cluster, planned at, state, procedure, start, end). The counts by state,
    the chart and the summary table all come from its rows.

    The weeks or months are a small table of the query's own (``VALUES``: number, first instant, end), joined to
    the runs by a range on the index: each run falls in its bucket by the index search, where a ``CASE`` over
    every boundary per run cost a third more of the query (the ORM cannot join to such a table, hence SQL)."""
    zone = ZoneInfo(domain.site.time_zone)
    buckets = query.buckets()
    bounds = [dt.datetime.combine(first, dt.time.min, tzinfo=zone) for first, _last in buckets]
    bounds.append(dt.datetime.combine(buckets[-1][1] + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [v for i in range(len(buckets)) for v in (i, adapt(bounds[i]), adapt(bounds[i + 1]))]
    params.append(domain.pk)
    where = ""
    for column, value in (("procedure", query.procedure), ("state", query.state), ("cluster_id", query.cluster_id)):
        if value:
            where += f" AND r.{column} = %s"
            params.append(value)
    # Every value is a parameter; what is written into the text is the models' table names and constant SQL.
    sql = (
        f"WITH buckets (i, lo, hi) AS (VALUES {', '.join([_BUCKET[connection.vendor]] * len(buckets))}) "  # noqa: S608
        f"SELECT r.procedure, b.i, r.state, COUNT(*), COUNT(r.started_at) FILTER (WHERE r.finished_at IS NOT NULL), "
        f"SUM({_MINUTES[connection.vendor]}) "
        f"FROM buckets b JOIN {GroupmaxServer._meta.db_table} s ON s.domain_id = %s "
        f"JOIN {ProcedureRun._meta.db_table} r ON r.cluster_id = s.cluster_id AND r.created_at >= b.lo "
        f"AND r.created_at < b.hi{where} GROUP BY r.procedure, b.i, r.state"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    grouped: dict[tuple[str, int], SummaryRow] = {}
    for procedure, bucket, state, n, finished, total in rows:
        first, last = buckets[bucket]
        row = grouped.setdefault((procedure, bucket), SummaryRow(procedure, first, last, 0, {}, 0, None))
        row.runs += n
        row.by_state[state] = row.by_state.get(state, 0) + n
        if finished:
            before = (row.mean_minutes or 0.0) * row.finished
            row.finished += finished
            row.mean_minutes = (before + float(total)) / row.finished
    for row in grouped.values():
        row.by_state = dict(sorted(row.by_state.items()))
        if row.mean_minutes is not None:
            row.mean_minutes = round(row.mean_minutes, 1)
    return [grouped[key] for key in sorted(grouped, key=lambda k: (k[1], k[0]))]
