"""Small filters of the report templates (page and PDF)."""

from functools import lru_cache
from html import escape as html_escape
from zoneinfo import ZoneInfo

from django import template
from django.template.defaultfilters import date as date_format
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from procedures.plan import host_shown
from procedures.templatetags.stored_texts import host

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


# The long tables of the report (a row per server, a row per place a mail server runs, a row per run) are written
# here rather than in the template: 200 servers took 0.4 s through the template engine. Each row is one f-string
# whose every value passes through ``_e`` (what ``conditional_escape`` does, without Django's lazy-string wrappers:
# format_html's per-argument cost was most of the rows' time).


def _e(value) -> str:
    """``value`` escaped for HTML, or as it is when it is already safe (``__html__``)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(str(value))


def _when(value, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _run_link(run_id, links: bool, runs_url: str) -> str:
    """Safe HTML: the run's link on the page, "#id" in the PDF."""
    return f'<a href="{_e(runs_url)}{_e(run_id)}/">#{_e(run_id)}</a>' if links else f"#{_e(run_id)}"


@lru_cache(maxsize=4096)
def _host_shown(label: str, language: str | None) -> str:
    """``plan.host_shown`` in ``language``, escaped; the same label reads the same on every page."""
    return _e(host_shown(label, language))


@register.simple_tag
def server_rows(report, links=False, limit=None):
    """A row per server; with ``limit`` (the PDF) the first ``limit`` of ``servers_first`` only."""
    zone, runs_url = ZoneInfo(report.time_zone), reverse("procedures:run-list")
    yes, no, cluster, standalone = _e(_("yes")), _e(_("no")), _("cluster"), _("standalone")
    unchecked = f'<span class="muted">{_e(_("not checked by a run yet"))}</span>'
    seen_as = _("cmviewcl of run %(n)s, %(at)s")
    rows = []
    for s in report.servers_first()[:limit] if limit else report.servers:
        placement = _e(f"{cluster} {s.cluster}" if s.clustered else f"{standalone}: {s.host_name}")
        if s.package_seen_at:
            seen = seen_as % {"n": s.package_seen_run, "at": _when(s.package_seen_at, zone)}
            package = f'{_e(s.package_node or s.package_state)} <span class="muted">({_e(seen)})</span>'
        elif s.clustered:
            package = unchecked
        else:
            package = "—"
        if r := s.last_run:
            last = (
                f"{_run_link(r.id, links, runs_url)} {_e(r.procedure)} "
                f'<span class="badge state-{_e(r.state)}">{_e(r.state_label)}</span> {_e(_when(r.at, zone))}'
            )
        else:
            last = "—"
        name = _e(s.name)
        rows.append(
            f'<tr data-testid="report-server-{name}"><td>{name}</td><td>{_e(s.role_label)}</td>'
            f"<td>{yes if s.mail_server else no}</td><td>{placement}</td><td>{_e(', '.join(s.nodes) or '—')}</td>"
            f"<td>{package}</td><td>{last}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped by _e)


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
    language = get_language()
    holds_yes = f'<span class="badge ok">{_e(_("yes"))}</span>'
    holds_no = f'<span class="badge bad">{_e(_("flagged"))}</span>'
    pending = f' <span class="badge warn">{_e(_("outside record awaits sign-off"))}</span>'
    outside, signed = _e(_("done outside the portal")), _e(_("signed off by"))
    plan_urls, may_plan = context.get("plan_urls") or {}, context.get("may_plan")
    token, plan_url = _e(context.get("csrf_token", "")), _e(reverse("procedures:run-plan"))
    duty_procedure = _e(context.get("duty_procedure", ""))
    rows = []
    for row, p in _places(report)[:limit] if limit else _places(report):
        first_missing = row.missing[0] if row.missing else None
        testid = _e(f"report-duty-{row.server}" + (f"-node{p.node_position}" if p.node_position else ""))
        server = f'{_e(row.server)} <span class="muted">({_e(row.cluster)})</span>' if row.clustered else _e(row.server)
        holds = (holds_yes if p.holds else holds_no) + (pending if p.pending_outside else "")
        if p.how == "portal":
            set_by = f"{_run_link(p.run_id, links, runs_url)}, <code>{_e(p.step_key)}</code>, {_e(_when(p.at, zone))}"
        elif p.how == "outside":
            set_by = (
                f"{outside} {_e(_when(p.at, zone))}: {_e(p.outside_reason)} ({_e(p.outside_recorded_by)}; "
                f"{signed} {_e(p.outside_signed_off_by)})"
            )
        else:
            set_by = "—"
        action = ""
        if links and not p.holds and p.label == first_missing:
            if row.cluster_id and may_plan:
                action = (
                    f'<form method="post" action="{plan_url}" class="inline" data-testid="plan-duty-{_e(row.server)}">'
                    f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
                    f'<input type="hidden" name="cluster" value="{_e(row.cluster_id)}"><input type="hidden" '
                    f'name="procedure" value="{duty_procedure}"><button type="submit">'
                    f"{_e(_('Plan a duty run for this server'))}</button></form>"
                )
            elif not row.cluster_id and plan_urls.get(row.server_id):
                action = (
                    f'<a href="{_e(plan_urls[row.server_id])}" data-testid="plan-duty-{_e(row.server)}">'
                    f"{_e(_('Plan a duty run'))}</a>"
                )
        cells = f"<td>{action}</td>" if links else ""
        rows.append(
            f'<tr data-testid="{testid}" data-holds="{"yes" if p.holds else "no"}"><td>{server}</td>'
            f"<td>{_host_shown(p.label, language)}</td><td>{holds}</td><td>{set_by}</td>{cells}</tr>"
        )
    if not rows:
        rows.append(f'<tr><td colspan="5" class="empty">{_e(_("The domain has no mail server."))}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped by _e)


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
            deviations.append(f'<div class="deviation-line">{_e(text)}</div>')
        duration = minutes(r.duration_s) if r.duration_s is not None else "—"
        rows.append(
            f'<tr data-testid="report-run-{_e(r.id)}"><td>{_run_link(r.id, links, runs_url)}</td><td>{_e(r.procedure)}'
            f'</td><td>{_e(r.cluster)}</td><td><span class="badge state-{_e(r.state)}">{_e(r.state_label)}</span></td>'
            f"<td>{_e(r.planned_by)}</td><td>{_e(', '.join(r.operators))}</td><td>{_e(', '.join(r.approvers))}</td>"
            f"<td>{_e(_when(r.started_at, zone) or '—')}</td><td>{_e(_when(r.finished_at, zone) or '—')}</td>"
            f"<td>{_e(duration)}</td><td>{''.join(deviations) if deviations else '—'}</td></tr>"
        )
    if not rows:
        rows.append(f'<tr><td colspan="11" class="empty">{_e(_("No run in this period."))}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped by _e)


@register.simple_tag
def replication_rows(report):
    """A row per nxsrepstat check listed (the newest the query asked for)."""
    zone = ZoneInfo(report.time_zone)
    rows = []
    for r in report.replication:
        state = _e(r.state) + (f" ({_e(r.pending)})" if r.pending else "")
        rows.append(
            f"<tr><td>{_e(_when(r.at, zone))}</td><td>#{_e(r.run_id)}</td><td>{_e(host(r.host))}</td>"
            f"<td>{state}</td><td>{_e(r.detail)}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped by _e)


@register.simple_tag
def summary_rows(report):
    """The summary's body: a row per week or month, a cell per procedure (runs and mean minutes)."""
    unit = _e(_("min"))
    rows = []
    for line in report.summary_lines:
        cells = []
        for cell in line["cells"]:
            if cell is None:
                cells.append("<td>—</td>")
            elif cell.mean_minutes is None:
                cells.append(f"<td>{_e(cell.runs)}</td>")
            else:
                cells.append(f"<td>{_e(cell.runs)} · {_e(floatformat(cell.mean_minutes, 0))} {unit}</td>")
        rows.append(
            f"<tr><td>{_e(date_format(line['start'], 'Y-m-d'))} – {_e(date_format(line['end'], 'm-d'))}</td>"
            f"<td>{_e(line['runs'])}</td>{''.join(cells)}</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped by _e)


@register.simple_tag
def options(choices, selected):
    """The ``<option>`` elements of a filter's ``<select>``: (value, label) pairs, the ``selected`` value marked
    (200 clusters through the template engine cost more than the table they filter)."""
    return mark_safe(  # noqa: S308 (every value escaped by _e)
        "".join(
            f'<option value="{_e(value)}"{" selected" if value == selected else ""}>{_e(label)}</option>'
            for value, label in choices
        )
    )


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
