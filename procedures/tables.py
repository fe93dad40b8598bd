"""The runs list as a django-tables2 table: sortable by the stored columns, paginated, in the reader's language."""

from __future__ import annotations

import django_tables2 as tables
from django.template.defaultfilters import date
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy as _

from procedures.models import ProcedureRun
from procedures.templatetags.runs import duration

TIME_FORMAT = "Y-m-d H:i"


class RunTable(tables.Table):
    pk = tables.Column(verbose_name="#", attrs={"td": {"data-testid": "run-pk"}})
    title = tables.Column(verbose_name=_("Procedure"), accessor="procedure", order_by=("procedure", "-pk"))
    cluster = tables.Column(verbose_name=_("Cluster"), accessor="cluster__name", order_by=("cluster__name", "-pk"))
    domain = tables.Column(verbose_name=_("Domain"), accessor="cluster__server__domain__name", orderable=False)
    state = tables.Column(verbose_name=_("State"))
    progress = tables.Column(verbose_name=_("Progress"), accessor="steps_done", orderable=False)
    planned_by = tables.Column(verbose_name=_("Planned by"), accessor="planned_by__username")
    started_by = tables.Column(verbose_name=_("Started by"), accessor="started_by__username", default="—")
    created_at = tables.Column(verbose_name=_("Planned at"))
    finished_at = tables.Column(verbose_name=_("Finished at"), default="—")
    took = tables.Column(verbose_name=_("Took"), empty_values=(), orderable=False)

    class Meta:
        model = ProcedureRun
        fields = ()
        sequence = (
            "pk", "title", "cluster", "domain", "state", "progress", "planned_by", "started_by", "created_at",
            "finished_at", "took",
        )  # fmt: skip
        template_name = "procedures/_runs_table.html"
        attrs = {"class": "grid", "data-testid": "run-list"}
        row_attrs = {"data-testid": lambda record: f"run-row-{record.pk}"}
        empty_text = _("No run matches.")
        order_by = ("-created_at",)

    def render_pk(self, value, record):
        return format_html('<a href="{}">#{}</a>', reverse("procedures:run-detail", args=[record.pk]), value)

    def render_title(self, value, record):
        return format_html("{} <small><code>{}</code></small>", record.title, value)

    def render_cluster(self, value, record):
        return format_html('<a href="{}">{}</a>', record.cluster.get_absolute_url(), value)

    def render_state(self, value, record):
        return format_html('<span class="badge state-{}">{}</span>', record.state, record.get_state_display())

    def render_progress(self, value, record):
        return format_html(
            '<progress max="{}" value="{}" aria-hidden="true"></progress> {}',
            record.steps_total,
            record.steps_done,
            _("%(done)s of %(total)s") % {"done": record.steps_done, "total": record.steps_total},
        )

    def render_created_at(self, value):
        return date(template_localtime(value), TIME_FORMAT)  # as DateTimeColumn's template, without one per cell

    def render_finished_at(self, value):
        return date(template_localtime(value), TIME_FORMAT)

    def render_took(self, record):
        return duration(record.took) or "—"
