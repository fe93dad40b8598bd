"""The domain report as CSV: one file per table, UTF-8 with a byte-order mark (Excel then reads the Japanese),
zipped together, or one table alone; written as a stream of chunks, never the whole file in memory."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from procedures.plan import host_shown
from procedures.reports.domain import DomainReport
from procedures.reports.redact import redact

BOM = "\ufeff"


def _fmt(value, zone: ZoneInfo):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "astimezone"):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return redact(str(value) if not isinstance(value, str) else value)


def tables(report: DomainReport) -> dict[str, tuple[list[str], Iterator[list]]]:
    """Each table: its translated column names and its rows, in the order the page shows them."""
    minutes = lambda s: round(s / 60, 1) if s is not None else None  # noqa: E731
    return {
        "servers": (
            [_("Server"), _("Role"), _("Mail server"), _("Clustered"), _("Cluster"), _("Nodes"), _("Host"),
             _("Package runs on"), _("Package state"), _("Package checked at"), _("Checked by run"),
             _("Last run"), _("Last run procedure"), _("Last run state"), _("Last run planned at")],
            (
                [s.name, s.role_label, s.mail_server, s.clustered, s.cluster, s.nodes, s.host_name, s.package_node,
                 s.package_state, s.package_seen_at, s.package_seen_run,
                 s.last_run.id if s.last_run else None, s.last_run.procedure if s.last_run else None,
                 s.last_run.state_label if s.last_run else None, s.last_run.at if s.last_run else None]
                for s in report.servers
            ),
        ),
        "mail_servers": (
            [_("Mail server"), _("Cluster"), _("Where"), _("mhs_nadr_cfg TCP OFF holds"), _("How"),
             _("When"), _("Run"), _("Step"), _("Reason (outside the portal)"), _("Recorded by (outside)"),
             _("Signed off by"), _("Outside records awaiting sign-off")],
            (
                [row.server, row.cluster, host_shown(p.label), p.holds,
                 {"portal": _("a portal run"), "outside": _("done outside the portal")}.get(p.how, ""),
                 p.at, p.run_id, p.step_key, p.outside_reason, p.outside_recorded_by, p.outside_signed_off_by,
                 p.pending_outside]
                for row in report.duty
                for p in row.places
            ),
        ),
        "replication": (
            [_("Run"), _("Step"), _("Host"), _("Server"), _("Checked at"), _("State"), _("Changes waiting"),
             _("Servers named"), _("Output")],
            ([r.run_id, r.step_key, r.host, r.server, r.at, r.state, r.pending, r.servers, r.detail]
             for r in report.replication),
        ),
        "replication_last": (
            [_("Address server"), _("Last state"), _("Checked at"), _("Run")],
            ([s.server, s.state, s.at, s.run_id] for s in report.replication_last),
        ),
        "runs": (
            [_("Run"), _("Procedure"), _("Title"), _("Cluster"), _("State"), _("Planned by"), _("Operators"),
             _("Approvers"), _("Planned at"), _("Started at"), _("Finished at"), _("Duration (minutes)"),
             _("Deviations")],
            (
                [r.id, r.procedure, r.title, r.cluster, r.state_label, r.planned_by, r.operators, r.approvers,
                 r.planned_at, r.started_at, r.finished_at, minutes(r.duration_s), len(r.deviations)]
                for r in report.runs
            ),
        ),
        "deviations": (
            [_("Run"), _("Kind"), _("Step"), _("Step key"), _("Reason"), _("By"), _("Asked by"), _("When")],
            (
                [r.id, d.kind, d.step, d.step_key, d.reason, d.by, d.requested_by, d.at]
                for r in report.runs
                for d in r.deviations
            ),
        ),
    }  # fmt: skip


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes the generator hands on: zipfile writes to it without seeking."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def table_csv(report: DomainReport, name: str, *, every: int = 500) -> Iterator[bytes]:
    """One table as CSV bytes (BOM first), in chunks of ``every`` rows."""
    zone = ZoneInfo(report.time_zone)
    header, rows = tables(report)[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow([_fmt(v, zone) for v in row])
        if i % every == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def zipped(report: DomainReport) -> Iterator[bytes]:
    """Every table as ``<name>.csv`` in one zip, streamed."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in tables(report):
            with archive.open(f"{name}.csv", mode="w", force_zip64=True) as member:
                for chunk in table_csv(report, name):
                    member.write(chunk)
                    if data := sink.take():
                        yield data
    yield sink.take()
