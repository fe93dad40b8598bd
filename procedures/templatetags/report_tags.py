"""Small filters of the report templates (page and PDF)."""

from zoneinfo import ZoneInfo

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from procedures.plan import host_shown

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def minutes(seconds):
    """A duration as "1 h 05 min" or "12 min"."""
    if seconds is None:
        return ""
    total = round(float(seconds) / 60)
    hours, mins = divmod(total, 60)
    return _("{h} h {m:02d} min").format(h=hours, m=mins) if hours else _("{m} min").format(m=mins)


# The two long tables of the report (a row per server, a row per place a mail server runs) are written here
# rather than in the template: 200 servers took 0.4 s through the template engine, a few ms this way.


def _when(value, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _run_link(run_id, links: bool, runs_url: str):
    return format_html('<a href="{}{}/">#{}</a>', runs_url, run_id, run_id) if links else f"#{run_id}"


@register.simple_tag
def server_rows(report, links=False, limit=None):
    """A row per server; with ``limit`` (the PDF) the first ``limit`` of ``servers_first`` only."""
    zone, runs_url = ZoneInfo(report.time_zone), reverse("procedures:run-list")
    yes, no, cluster, standalone = _("yes"), _("no"), _("cluster"), _("standalone")
    unchecked = _("not checked by a run yet")
    rows = []
    for s in report.servers_first()[:limit] if limit else report.servers:
        placement = f"{cluster} {s.cluster}" if s.clustered else f"{standalone}: {s.host_name}"
        if s.package_seen_at:
            seen = _("cmviewcl of run %(n)s, %(at)s") % {"n": s.package_seen_run, "at": _when(s.package_seen_at, zone)}
            package = format_html('{} <span class="muted">({})</span>', s.package_node or s.package_state, seen)
        elif s.clustered:
            package = format_html('<span class="muted">{}</span>', unchecked)
        else:
            package = "—"
        if s.last_run:
            r = s.last_run
            last = format_html(
                '{} {} <span class="badge state-{}">{}</span> {}',
                _run_link(r.id, links, runs_url),
                r.procedure,
                r.state,
                r.state_label,
                _when(r.at, zone),
            )
        else:
            last = "—"
        rows.append(
            format_html(
                '<tr data-testid="report-server-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td><td>{}</td></tr>",
                s.name,
                s.name,
                s.role_label,
                yes if s.mail_server else no,
                placement,
                ", ".join(s.nodes) or "—",
                package,
                last,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every row built by format_html)


@register.simple_tag
def servers_rest(report, limit):
    """Under the PDF's bounded server table: the other servers by name, and where every column of them is."""
    rest = report.servers_first()[limit:]
    if not rest:
        return ""
    text = _("%(n)s more servers, by name (servers.csv in the CSV download has every column of every server):") % {
        "n": len(rest)
    }
    return format_html(
        '<p class="rest" data-testid="report-servers-rest">{} {}</p>', text, ", ".join(s.name for s in rest)
    )


def _places(report):
    return [(row, p) for row in report.duty for p in row.places]


@register.simple_tag
def duty_rest(report, limit):
    """Under the PDF's bounded duty table: how many places are left out, the flagged ones by server."""
    rest = _places(report)[limit:]
    if not rest:
        return ""
    flagged = [f"{row.server} {p.label}" if row.clustered else p.label for row, p in rest if not p.holds]
    text = _(
        "%(n)s more places: %(flagged)s flagged, %(holds)s hold the setting "
        "(mail_servers.csv in the CSV download lists every place with its evidence)."
    ) % {"n": len(rest), "flagged": len(flagged), "holds": len(rest) - len(flagged)}
    names = format_html(" {} {}", _("Flagged:"), ", ".join(flagged)) if flagged else ""
    return format_html('<p class="rest" data-testid="report-duty-rest">{}{}</p>', text, names)


@register.simple_tag(takes_context=True)
def duty_rows(context, report, links=False, limit=None):
    zone, runs_url = ZoneInfo(report.time_zone), reverse("procedures:run-list")
    yes, flagged, pending = _("yes"), _("flagged"), _("outside record awaits sign-off")
    outside, signed = _("done outside the portal"), _("signed off by")
    plan_urls, may_plan = context.get("plan_urls") or {}, context.get("may_plan")
    token, plan_url = context.get("csrf_token", ""), reverse("procedures:run-plan")
    rows = []
    for row, p in _places(report)[:limit] if limit else _places(report):
        first_missing = row.missing[0] if row.missing else None
        testid = f"report-duty-{row.server}" + (f"-node{p.node_position}" if p.node_position else "")
        server = (
            format_html('{} <span class="muted">({})</span>', row.server, row.cluster) if row.clustered else row.server
        )
        holds = (
            format_html('<span class="badge ok">{}</span>', yes)
            if p.holds
            else format_html('<span class="badge bad">{}</span>', flagged)
        )
        if p.pending_outside:
            holds = format_html('{} <span class="badge warn">{}</span>', holds, pending)
        if p.how == "portal":
            set_by = format_html(
                "{}, <code>{}</code>, {}", _run_link(p.run_id, links, runs_url), p.step_key, _when(p.at, zone)
            )
        elif p.how == "outside":
            set_by = format_html(
                "{} {}: {} ({}; {} {})",
                outside,
                _when(p.at, zone),
                p.outside_reason,
                p.outside_recorded_by,
                signed,
                p.outside_signed_off_by,
            )
        else:
            set_by = "—"
        action = ""
        if links and not p.holds and p.label == first_missing:
            if row.cluster_id and may_plan:
                action = format_html(
                    '<form method="post" action="{}" class="inline" data-testid="plan-duty-{}">'
                    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                    '<input type="hidden" name="cluster" value="{}"><input type="hidden" name="procedure" '
                    'value="{}"><button type="submit">{}</button></form>',
                    plan_url,
                    row.server,
                    token,
                    row.cluster_id,
                    context.get("duty_procedure", ""),
                    _("Plan a duty run for this server"),
                )
            elif not row.cluster_id and plan_urls.get(row.server_id):
                action = format_html(
                    '<a href="{}" data-testid="plan-duty-{}">{}</a>',
                    plan_urls[row.server_id],
                    row.server,
                    _("Plan a duty run"),
                )
        cells = format_html("<td>{}</td>", action) if links else ""
        rows.append(
            format_html(
                '<tr data-testid="{}" data-holds="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>',
                testid,
                "yes" if p.holds else "no",
                server,
                host_shown(p.label),
                holds,
                set_by,
                cells,
            )
        )
    if not rows:
        rows.append(format_html('<tr><td colspan="5" class="empty">{}</td></tr>', _("The domain has no mail server.")))
    return mark_safe("\n".join(rows))  # noqa: S308 (every row built by format_html)


@register.simple_tag
def run_rows(report, links=False):
    """A row per run listed (the newest the query asked for), with its deviations."""
    zone, runs_url = ZoneInfo(report.time_zone), reverse("procedures:run-list")
    countersigned, asked = _("countersigned by"), _("asked by")
    rows = []
    for r in report.runs:
        deviations = []
        for d in r.deviations:
            text = d.kind + (f" #{d.step}" if d.step else "") + (f": {d.reason}" if d.reason else "")
            if d.countersigned_by:
                text += f" ({countersigned} {d.countersigned_by}" + (
                    f", {asked} {d.requested_by}" if d.requested_by else ""
                )
                text += ")"
            deviations.append(format_html('<div class="deviation-line">{}</div>', text))
        rows.append(
            format_html(
                '<tr data-testid="report-run-{}"><td>{}</td><td>{}</td><td>{}</td>'
                '<td><span class="badge state-{}">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td><td>{}</td></tr>",
                r.id,
                _run_link(r.id, links, runs_url),
                r.procedure,
                r.cluster,
                r.state,
                r.state_label,
                r.planned_by,
                ", ".join(r.operators),
                ", ".join(r.approvers),
                _when(r.started_at, zone) or "—",
                _when(r.finished_at, zone) or "—",
                minutes(r.duration_s) if r.duration_s is not None else "—",
                mark_safe("".join(deviations)) if deviations else "—",  # noqa: S308 (built by format_html)
            )
        )
    if not rows:
        rows.append(format_html('<tr><td colspan="11" class="empty">{}</td></tr>', _("No run in this period.")))
    return mark_safe("\n".join(rows))  # noqa: S308 (every row built by format_html)


@register.simple_tag
def replication_last_rows(report):
    """One row per last state, naming its servers: 200 address servers read better (and lay out faster in the
    PDF) as a handful of rows than as 200."""
    zone = ZoneInfo(report.time_zone)
    groups: dict[str, list] = {}
    for s in report.replication_last:
        groups.setdefault(s.state, []).append(s)
    rows = []
    for state, servers in sorted(groups.items()):
        newest = max((s.at for s in servers if s.at), default=None)
        names = ", ".join(s.server for s in servers)
        rows.append(
            format_html(
                '<tr data-testid="report-replication-{}"><td>{} ({})</td><td>{}</td><td>{}</td></tr>',
                state or "none",
                state or "—",
                len(servers),
                names,
                _when(newest, zone) or "—",
            )
        )
    if not rows:
        empty = _("The domain has no address server.")
        rows.append(format_html('<tr><td colspan="3" class="empty">{}</td></tr>', empty))
    return mark_safe("\n".join(rows))  # noqa: S308 (every row built by format_html)
