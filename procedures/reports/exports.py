"""Who exported what: every CSV or PDF handed out is one append-only ``ReportExport`` row, written before the
first byte goes out (a download cut short still counts as taken)."""

from __future__ import annotations

from procedures.models import ReportExport


def record_export(kind: str, *, domain, user, run=None, parameters: dict | None = None, address=None) -> ReportExport:
    return ReportExport.objects.create(
        kind=kind, domain=domain, run=run, user=user, parameters=parameters or {}, address=address or None
    )
