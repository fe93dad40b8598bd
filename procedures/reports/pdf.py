"""PDFs with WeasyPrint: the domain report and a run's change record, from the same data as the page.

A4, the Japanese font the tests install (IPAGothic, ``fonts-ipafont-gothic``), page numbers, and on every
page the subject, the period and who made the document when. WeasyPrint lays out the whole document before
it writes a byte, so the view streams the finished bytes in blocks.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from procedures.reports import charts
from procedures.reports.change_record import ChangeRecord
from procedures.reports.domain import DomainReport


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a PDF is made, not when the portal starts

    return HTML(string=html).write_pdf()


def domain_pdf(report: DomainReport) -> bytes:
    chart = charts.as_data_uri(charts.durations_svg(report.durations))
    return _pdf(render_to_string("procedures/reports/domain_pdf.html", {"report": report, "chart": chart}))


def change_record_pdf(record: ChangeRecord) -> bytes:
    return _pdf(render_to_string("procedures/reports/change_record_pdf.html", {"record": record}))
