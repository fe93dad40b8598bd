"""The run-duration chart as server-rendered SVG (pygal), so that the page and the PDF show the same picture.

pygal takes a few milliseconds for a year's dozen months (more than the grouped query it draws): the SVG is kept
by what it shows (the points, the bucket and the reader's language), so a report opened again with the same runs
draws nothing; a run that finishes changes a mean and so the key.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import pygal
from django.utils.translation import get_language
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
    points = tuple((row.procedure, row.start, row.mean_minutes) for row in summary if row.mean_minutes is not None)
    return _svg(points, bucket, get_language())


@lru_cache(maxsize=128)
def _svg(points: tuple, bucket: str, language: str | None) -> str:
    """The chart of ``points`` (procedure, first day, mean minutes) in ``language`` (the active one)."""
    starts = sorted({start for _procedure, start, _mean in points})
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
    for procedure, start, mean in points:
        series.setdefault(procedure, {})[start] = mean
    for procedure, by_start in sorted(series.items()):
        chart.add(procedure, [by_start.get(s) for s in starts], allow_interruptions=True)
    return chart.render(is_unicode=True)


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
