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


PDF_ROWS = 40  # servers and mail-server places listed in full; the others by name, every column in the CSV


def domain_pdf(report: DomainReport) -> bytes:
    """The report as the auditor files it: the page's sections, bounded (``PDF_ROWS`` servers and places, the
    newest runs and checks the query asked for) and saying so, so that a domain of any size lays out in a
    few pages; the CSV download holds every row."""
    chart = charts.as_data_uri(charts.durations_svg(report.summary, report.bucket))
    context = {"report": report, "chart": chart, "pdf_rows": PDF_ROWS}
    return _pdf(render_to_string("procedures/reports/domain_pdf.html", context))


def change_record_pdf(record: ChangeRecord) -> bytes:
    return _pdf(render_to_string("procedures/reports/change_record_pdf.html", {"record": record}))
