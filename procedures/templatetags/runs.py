"""Template filters and tags of the run pages: durations and step labels in the reader's language, table rows."""

from datetime import timedelta

from django import template
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from procedures import places
from procedures.choices import StepState

register = template.Library()


@register.filter
def duration(value) -> str:
    """``timedelta`` → "2 h 05 min", "3 min 20 s", "12 s"; empty for None."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else float(value))
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


@register.inclusion_tag("procedures/_cluster_offers.html", takes_context=True)
def procedure_offers(context, cluster):
    """The cluster page's "Plan from here": the procedures that fit its server, each with its options."""
    return {"offers": places.offers_for(cluster), "cluster": cluster, "request": context.get("request")}


@register.inclusion_tag("procedures/_run_history.html", takes_context=True)
def run_history(context, cluster=None, domain=None):
    """The latest runs of a cluster or a domain, as the person may see them, and the way to all of them."""
    user = context["request"].user
    return {"history": places.history(user, cluster=cluster, domain=domain), "request": context.get("request")}


def _once_per_page(context, name: str, make) -> dict:
    """What a tag repeated on every step needs once per page (its words, translated and escaped): made by ``make``
    on the first call of the page's rendering and kept in its render context."""
    shared = context.render_context.get(name)
    if shared is None:
        shared = context.render_context[name] = make()
    return shared


PANEL = """<div class="logpanel" data-log-panel="{key}" data-testid="log-{key}">
  <div class="logbar">
    <label class="check"><input type="checkbox" data-log-follow="{key}" checked> {follow}</label>
    <input type="search" data-log-search="{key}" placeholder="{search}" aria-label="{search}">
    <span class="muted" data-log-hit-count="{key}"></span>
    {download}
  </div>
  <pre class="log" data-step-log="{key}" data-step-state-now="{state}" tabindex="0">{lines}</pre>
  <ol class="loghits" data-log-hits="{key}" hidden></ol>
</div>"""


@register.simple_tag(takes_context=True)
def log_panel(context, key, lines, state) -> str:
    """One log panel of the run page (``static/procedures/run_live.js`` fills it live): ``key`` is the step's id or
    "run", ``lines`` the rendered tail. Written here rather than by a template included once per step (63 in
    K.5 (1)(a)); the words and the download link are read and escaped once per page."""
    shared = _once_per_page(context, "log_panel", lambda: {
        "url": escape(reverse("procedures:run-log-download", args=[context["run"].pk])),
        "follow": escape(_("Follow")),
        "search": escape(_("Search this log")),
        "whole": escape(_("Download the whole run's log")),
        "step": escape(_("Download this step's full log")),
    })  # fmt: skip
    key = escape(key)
    if key == "run":
        download = f'<a href="{shared["url"]}" data-log-download="run" download>{shared["whole"]}</a>'
    else:
        download = f'<a href="{shared["url"]}?step={key}" data-log-download="{key}" download>{shared["step"]}</a>'
    return mark_safe(  # noqa: S308 - every value is escaped above
        PANEL.format(
            key=key, state=escape(state), follow=shared["follow"], search=shared["search"], download=download,
            lines=log_spans(lines),
        )
    )  # fmt: skip


HOME_ROW = """
      <tr data-testid="home-run-{pk}">
        <td><a href="{url}">#{pk} {title}</a></td>
        <td><a href="{cluster_url}">{cluster}</a><br><small>{domain}</small></td>
        <td><span class="badge state-{state}" data-testid="home-run-{pk}-state">{state_label}</span>
          {step}</td>
        <td><progress max="{total}" value="{done}" aria-label="{progress_label}"></progress>
          <span data-testid="home-run-{pk}-progress">{progress}</span></td>
        <td>{elapsed}{estimate}</td>
        <td data-testid="home-run-{pk}-next">{next_actor}</td>
      </tr>
    """
HOME_STEP = '<a href="{url}#step-{pk}">{label}</a> <span class="badge state-{state}">{state_label}</span>'


@register.simple_tag
def home_run_rows(in_progress) -> str:
    """The home page's rows of runs in progress (``overview.RunProgress``), as ``_home_panels.html`` wrote them
    with a template node per value: the page's costliest part after its queries."""
    rows = []
    for p in in_progress:
        run = p.run
        pk, url = _number(run.pk), escape(run.get_absolute_url())
        step = ""
        if p.step and run.started_at:
            step = HOME_STEP.format(
                url=url, pk=_number(p.step.pk), label=conditional_escape(p.step_label),
                state=conditional_escape(p.step.state), state_label=conditional_escape(p.step.get_state_display()),
            )  # fmt: skip
        estimate = ""
        if p.estimate:
            n = p.estimate_from
            median = ngettext("the median of %(n)s earlier run", "the median of %(n)s earlier runs", n)
            usually = _("usually %(t)s") % {"t": conditional_escape(duration(p.estimate))}
            estimate = f' / <span title="{median % {"n": _number(n)}}">{usually}</span>'
        rows.append(
            HOME_ROW.format(
                pk=pk,
                url=url,
                title=conditional_escape(run.title),
                cluster_url=escape(run.cluster.get_absolute_url()),
                cluster=conditional_escape(run.cluster.name),
                domain=conditional_escape(run.cluster.domain.name),
                state=conditional_escape(run.state),
                state_label=conditional_escape(run.get_state_display()),
                step=step,
                total=_number(p.total),
                done=_number(p.done),
                progress_label=_("Progress of run #%(n)s") % {"n": pk},
                progress=_("%(done)s of %(total)s steps done") % {"done": _number(p.done), "total": _number(p.total)},
                elapsed=conditional_escape(duration(p.elapsed) or "—"),
                estimate=estimate,
                next_actor=conditional_escape(p.next_actor),
            )
        )
    return mark_safe(f"    {''.join(rows)}\n")  # noqa: S308 - every value is escaped above


def _number(value) -> str:
    """A number as the template writes it outside ``{% localize off %}``."""
    return conditional_escape(formats.localize(value))


HEADING = """<h3><span class="stepno">{number}</span>
    {seeds}{title}
    <span class="badge state-{state}" data-step-state="{pk}" data-state="{state}" data-testid="step-{position}-state">{state_label}</span>
    <small>{kind}{four_eyes}{locks}{attempt}</small>
    <span class="steptime" data-step-time="{pk}" data-testid="step-{position}-time" data-started="{started}" data-finished="{finished}"></span></h3>"""  # noqa: E501
SEED = '<span class="badge seed" data-testid="step-{position}-seed">{id}</span> '


@register.simple_tag(takes_context=True)
def step_heading(context, row) -> str:
    """A step's heading on the run page (number, source IDs, title, state, kind, four-eyes and master flags,
    attempt, the times ``run_live.js`` counts from), as ``run_detail.html`` wrote it with a dozen nodes per step;
    the words are translated and escaped once per page. ``row`` is a row of ``RunDetailView``."""
    shared = _once_per_page(context, "step_heading", lambda: {
        "step": _("Step %(n)s"),
        "attempt": _("attempt %(n)s"),
        "four_eyes": " · " + conditional_escape(_("four-eyes sign-off")),
        "locks": " · " + conditional_escape(_("holds the master's cluster")),
        "states": {value: conditional_escape(label) for value, label in StepState.choices},
    })  # fmt: skip
    step, planned = row["step"], row["planned"]
    position = int(step.position)
    state = str(step.state)
    return mark_safe(  # noqa: S308 - every value is escaped here
        HEADING.format(
            number=shared["step"] % {"n": position},
            seeds="".join(SEED.format(position=position, id=escape(i)) for i in planned.seed_ids),
            title=conditional_escape(row["title"]),
            state=escape(state),
            pk=int(step.pk),
            position=position,
            state_label=shared["states"].get(state) or escape(state),
            kind=conditional_escape(step.kind_label),
            four_eyes=shared["four_eyes"] if planned.needs_signoff else "",
            locks=shared["locks"] if planned.locks_master else "",
            attempt=" · " + shared["attempt"] % {"n": int(step.attempt)} if step.attempt > 1 else "",
            started=_iso(step.started_at),
            finished=_iso(step.finished_at),
        )
    )


def _iso(value) -> str:
    """The template's ``{{ value|date:'c' }}``: in the current time zone, "" for none."""
    return escape(date_filter(template_localtime(value), "c")) if value else ""


SKIP_FORM = """<details class="inline-details" data-testid="step-{position}-skip"><summary>{skip}</summary><form method="post" action="{url}" class="inline">{csrf}
        <input name="reason" required placeholder="{reason}" aria-label="{why}"><button type="submit">{button}</button></form></details>"""  # noqa: E501


@register.simple_tag(takes_context=True)
def skip_form(context, step) -> str:
    """A step's "Skip…" form (an operator's, on every pending step of the run page: 60 of K.5 (1)(a)'s 63), as
    ``run_detail.html`` wrote it; the words and the CSRF field are made once per page."""
    shared = _once_per_page(context, "skip_form", lambda: {
        "skip": conditional_escape(_("Skip…")),
        "csrf": CsrfTokenNode().render(context),
        "reason": conditional_escape(_("Reason")),
        "why": conditional_escape(_("Why the step is skipped")),
        "button": conditional_escape(_("Skip (needs a second person)")),
    })  # fmt: skip
    url = escape(reverse("procedures:step-action", args=[step.pk, "request-skip"]))
    return mark_safe(SKIP_FORM.format(position=int(step.position), url=url, **shared))  # noqa: S308 - escaped above


def log_spans(lines) -> str:
    """A log panel's lines (``RunLogLine``), one ``<span class="line …">`` each, as ``run_live.js`` appends them
    (the run page renders up to 2,000 of them)."""
    spans = []
    for line in lines:
        classes = line.stream + (" cont" if line.continued else "") + (" esc" if line.escaped else "")
        host = f'<span class="host">{escape(line.host)}</span> ' if line.host else ""
        spans.append(
            f'<span class="line {escape(classes)}" data-seq="{line.seq}">{host}'
            f'<span class="t">{conditional_escape(line.shown_text)}</span></span>'
        )
    return mark_safe("".join(spans))  # noqa: S308 - every value is escaped above


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    """The body rows of a django-tables2 table as its own template writes them (``django_tables2/table.html``,
    block ``table.tbody``), in one pass: no template node per cell, and a column's cell attributes read once per
    column (the portal's tables give a column's cells the same attributes).
    """
    columns = list(table.columns)
    opening = [format_html("<td {}>", column.attrs["td"].as_html()) for column in columns]
    rows = []
    for row in table.paginated_rows:
        cells = []
        for td, (column, cell) in zip(opening, row.items(), strict=True):
            if column.localize is not None:  # the template's |localize and |unlocalize
                cell = formats.localize(cell, use_l10n=column.localize)
            cells.append(f"{td}{render_value_in_context(cell, context)}</td>")
        rows.append(format_html("<tr {}>{}</tr>", row.attrs.as_html(), mark_safe("".join(cells))))  # noqa: S308
    if not rows and table.empty_text:
        rows.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text))
    return mark_safe("\n".join(rows))  # noqa: S308 - every part is escaped above
