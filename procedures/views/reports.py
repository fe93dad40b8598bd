"""Reports › domain: the page, its CSV and PDF exports, and a run's change record PDF.

Thin: find the domain (or run) among what the user may see (404 otherwise), read the query (400 with the
reason when malformed), ask ``procedures.reports`` for the report, render it, and for an export record who
took it (``ReportExport``) before streaming it.
"""

from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from clusters.choices import DomainRoleName
from clusters.models import AddressDomain
from clusters.rules import has_role
from procedures.choices import ExportKind, RunState
from procedures.exceptions import BadReportParameter
from procedures.models import ProcedureRun
from procedures.reports import charts, exports
from procedures.reports import csv as report_csv
from procedures.reports import pdf as report_pdf
from procedures.reports.change_record import build_change_record
from procedures.reports.domain import (
    PDF_REPLICATION,
    PDF_RUNS,
    PROCEDURES,
    ReportQuery,
    build_domain_report,
    today_at,
)
from procedures.views.runs import client_address

DUTY_PROCEDURE = "mhs-duty"  # procedures/catalog/mhs_duty.py: mhs_nadr_cfg TCP OFF on both nodes of one server


def _domain(request, pk) -> AddressDomain:
    return get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)


def _query(request, domain, **limits) -> ReportQuery:
    return ReportQuery.from_params(request.GET, today=today_at(domain), **limits)


def _bad(error: BadReportParameter):
    return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


def _pdf_response(data: bytes, name: str) -> StreamingHttpResponse:
    """The finished PDF handed out in blocks (WeasyPrint has laid it out whole before)."""
    blocks = (data[i : i + 65536] for i in range(0, len(data), 65536))
    response = StreamingHttpResponse(blocks, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Content-Length"] = str(len(data))
    return response


class ReportIndexView(View):
    """Reports: the domains the user may see, each opening its report."""

    def get(self, request):
        domains = AddressDomain.objects.visible_to(request.user).select_related("site").order_by("name")
        return render(request, "procedures/reports/index.html", {"domains": domains})


class DomainReportView(View):
    def get(self, request, pk):
        domain = _domain(request, pk)
        try:
            query = _query(request, domain)
        except BadReportParameter as e:
            return _bad(e)
        report = build_domain_report(domain, request.user, query)
        params = urlencode(query.as_params())
        runs_list = {"domain": domain.pk, "planned_from": query.since, "planned_until": query.until}
        runs_list.update({"procedure": query.procedure, "state": query.state, "cluster": query.cluster_id or ""})
        runs_list_url = f"{reverse('procedures:run-list')}?{urlencode({k: v for k, v in runs_list.items() if v})}"
        return render(
            request,
            "procedures/reports/domain.html",
            {
                "domain": domain,
                "report": report,
                "chart": charts.as_data_uri(charts.durations_svg(report.summary, report.bucket)),
                "clusters": sorted({(s.cluster_id, s.cluster) for s in report.servers if s.cluster_id}),
                "procedures": [(p, p) for p in PROCEDURES],
                "states": RunState.choices,
                "csv_url": f"{reverse('procedures:report-domain-csv', args=[domain.pk])}?{params}",
                "pdf_url": f"{reverse('procedures:report-domain-pdf', args=[domain.pk])}?{params}",
                "runs_list_url": runs_list_url,
                "plan_urls": _plan_urls(report),
                "may_plan": has_role(request.user, domain, DomainRoleName.OPERATOR),
                "duty_procedure": DUTY_PROCEDURE,
            },
        )


def _plan_urls(report) -> dict:
    """Per flagged mail server that is not clustered, where its duty is planned: the plan page of the master's
    cluster (the ``mhs-duty`` procedure is rendered per cluster; a clustered server's row has a one-click form)."""
    master = next((s.cluster_id for s in report.servers if s.role == "master" and s.cluster_id), None)
    return {
        row.server_id: reverse("procedures:plan", args=[master]) for row in report.duty if not row.cluster_id and master
    }


class DomainReportCsvView(View):
    """Every table as a zip of CSV files, or one table (``?table=runs``) as one CSV, streamed."""

    def get(self, request, pk):
        domain = _domain(request, pk)
        try:
            query = _query(request, domain, run_limit=None, replication_limit=None)
        except BadReportParameter as e:
            return _bad(e)
        table = request.GET.get("table", "")
        report = build_domain_report(domain, request.user, query)
        if table and table not in report_csv.tables(report):
            return _bad(BadReportParameter(name="table", problem=", ".join(report_csv.tables(report))))
        exports.record_export(
            ExportKind.DOMAIN_CSV, domain=domain, user=request.user, address=client_address(request),
            parameters={**query.as_params(), **({"table": table} if table else {})},
        )  # fmt: skip
        stem = f"report-{domain.name}-{query.since:%Y%m%d}-{query.until:%Y%m%d}"
        if table:
            response = StreamingHttpResponse(
                report_csv.table_csv(report, table), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}-{table}.csv"'
        else:
            response = StreamingHttpResponse(report_csv.zipped(report), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
        return response


class DomainReportPdfView(View):
    """The report as PDF: the page's sections with fewer rows (WeasyPrint lays out every row; the PDF says what
    it leaves to the CSV)."""

    def get(self, request, pk):
        domain = _domain(request, pk)
        try:
            query = _query(request, domain, run_limit=PDF_RUNS, replication_limit=PDF_REPLICATION)
        except BadReportParameter as e:
            return _bad(e)
        report = build_domain_report(domain, request.user, query)
        exports.record_export(
            ExportKind.DOMAIN_PDF, domain=domain, user=request.user, address=client_address(request),
            parameters=query.as_params(),
        )  # fmt: skip
        name = f"report-{domain.name}-{query.since:%Y%m%d}-{query.until:%Y%m%d}.pdf"
        return _pdf_response(report_pdf.domain_pdf(report), name)


class ChangeRecordPdfView(View):
    def get(self, request, pk):
        run = get_object_or_404(ProcedureRun.objects.visible_to(request.user).select_related("cluster"), pk=pk)
        domain = run.domain
        if domain is None:
            raise Http404
        record = build_change_record(run, request.user)
        exports.record_export(
            ExportKind.CHANGE_RECORD, domain=domain, run=run, user=request.user, address=client_address(request)
        )
        return _pdf_response(report_pdf.change_record_pdf(record), f"change-record-run-{run.pk}.pdf")
