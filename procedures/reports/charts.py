"""The run-duration chart as server-rendered SVG (pygal), so that the page and the PDF show the same picture."""

from __future__ import annotations

import base64

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

FONT = "IPAGothic, 'IPA Gothic', 'Noto Sans CJK JP', sans-serif"  # the Japanese font the PDF embeds
STYLE = Style(
    font_family=FONT,
    background="white",
    plot_background="white",
    colors=("#1f6feb", "#d97706", "#16a34a", "#9333ea", "#dc2626"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)


def durations_svg(summary, bucket: str = "week") -> str:
    """Mean minutes per procedure and week or month, from the report's summary rows (``SummaryRow``: already
    grouped by the database, a few dozen points whatever the number of runs); a note instead of axes when no
    run finished."""
    points = [row for row in summary if row.mean_minutes is not None]
    starts = sorted({row.start for row in points})
    chart = pygal.Line(
        style=STYLE,
        js=[],  # no script: the SVG is shown as an image on the page and in the PDF
        width=900,
        height=320,
        show_dots=True,
        dots_size=3,
        x_label_rotation=30,
        show_minor_x_labels=len(starts) <= 16,
        x_labels_major_count=12,
        truncate_legend=-1,
        legend_at_bottom=True,
        no_data_text=_("No finished run in this period"),
        y_title=_("minutes (mean per week)") if bucket == "week" else _("minutes (mean per month)"),
        disable_xml_declaration=True,
    )
    chart.x_labels = [s.isoformat() if bucket == "week" else s.strftime("%Y-%m") for s in starts]
    series: dict[str, dict] = {}
    for row in points:
        series.setdefault(row.procedure, {})[row.start] = row.mean_minutes
    for procedure, by_start in sorted(series.items()):
        chart.add(procedure, [by_start.get(s) for s in starts], allow_interruptions=True)
    return chart.render(is_unicode=True)


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
