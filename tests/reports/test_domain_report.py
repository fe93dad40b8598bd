"""The domain report: servers, the mhs_nadr_cfg duty per place, replication, run history; the page, the CSV
and the PDF render the same report, a viewer of another domain gets 404 everywhere, and no export holds a key."""

import csv
import io
import subprocess
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clusters.choices import DomainRoleName
from procedures import duties, services
from procedures.choices import PACKAGE_VIEW_HOST, ExportKind, HostState, Stream
from procedures.exceptions import NotAllowed, ReasonRequired, SecondPersonRequired
from procedures.models import ReportExport, RunLogLine
from procedures.models.logs import store_lines
from procedures.reports.domain import ReportQuery, build_domain_report, today_at
from tests.factories import ClusterFactory, MembershipFactory, ServerFactory, UserFactory
from tests.reports.records import mhs, recorded_run
from tests.support import require_binary

KEY_LINES = (
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "-----END OPENSSH PRIVATE KEY-----",
)


def report_of(w, user=None, **params):
    domain = w.domain
    query = ReportQuery.from_params(params, today=today_at(domain))
    return build_domain_report(domain, user or w.viewer, query)


def places(report, server_name):
    row = next(r for r in report.duty if r.server == server_name)
    return {p.label: p for p in row.places}


def test_a_mail_server_added_after_the_last_run_appears_flagged(state_world):
    w = state_world
    recorded_run(w, [mhs(w.node1), mhs(w.node2, key="a.mhs_nadr_cfg.node2")])
    before = report_of(w)
    assert [r.server for r in before.duty_missing] == []
    added = ServerFactory(
        domain=w.domain, cluster=None, name="mailsv09", host_name="mailsv09", ssh_address="127.0.39.1",
        uses_mail_server=True,
    )  # fmt: skip
    report = report_of(w)
    assert [r.server for r in report.duty_missing] == [added.name]
    assert not places(report, added.name)["mailsv09 (standalone)"].holds


def test_set_on_node_1_only_is_flagged_for_node_2(state_world):
    w = state_world
    run = recorded_run(w, [mhs(w.node1)])
    report = report_of(w)
    by_place = places(report, w.cluster.server.name)
    node1, node2 = by_place[f"{w.node1.host_name} (node 1)"], by_place[f"{w.node2.host_name} (node 2)"]
    assert node1.holds and node1.how == "portal" and node1.run_id == run.pk and node1.step_key == "a44.mhs_nadr_cfg"
    assert not node2.holds
    assert report.duty_missing[0].missing == [f"{w.node2.host_name} (node 2)"]


def test_a_failed_attempt_does_not_count(state_world):
    w = state_world
    recorded_run(w, [mhs(w.node1, state=HostState.FAILED), mhs(w.node2, key="a.mhs_nadr_cfg.node2")])
    assert report_of(w).duty_missing[0].missing == [f"{w.node1.host_name} (node 1)"]


def test_done_outside_the_portal_counts_once_a_second_person_signs_it_off(state_world):
    w = state_world
    recorded_run(w, [mhs(w.node1)])
    server = w.cluster.server
    with pytest.raises(ReasonRequired):
        duties.record_outside(server.pk, user=w.operator, node_id=w.node2.pk, reason=" ")
    record = duties.record_outside(server.pk, user=w.approver, node_id=w.node2.pk, reason="set by hand at the console")
    assert report_of(w).duty_missing, "a record without sign-off does not count"
    with pytest.raises(SecondPersonRequired):
        duties.decide_outside(record.pk, user=w.approver, confirm=True)
    with pytest.raises(NotAllowed):
        duties.decide_outside(record.pk, user=w.operator, confirm=True)
    duties.decide_outside(record.pk, user=w.approver2, confirm=True)
    report = report_of(w)
    assert report.duty_missing == []
    node2 = places(report, server.name)[f"{w.node2.host_name} (node 2)"]
    assert (node2.how, node2.outside_reason, node2.outside_recorded_by, node2.outside_signed_off_by) == (
        "outside", "set by hand at the console", w.approver.username, w.approver2.username,
    )  # fmt: skip


def test_package_node_from_the_last_cmviewcl_and_last_run(state_world):
    """A K.5 (1)(b) run on another cluster resolved the master's package owner with cmviewcl: node 2."""
    w = state_world
    package, master = w.cluster.package_name, w.cluster.server.name
    address = ServerFactory(domain=w.domain, name="addsv01", cluster=ClusterFactory())
    mine = recorded_run(w, [mhs(w.node1)])
    other = recorded_run(w, [mhs(w.node2, key="b46.mail_servers_mhs")], procedure="k5-1b", cluster=address.cluster)
    step = other.steps.get()
    step.host_results.update(host_label=f"{master}: node running package {package}")
    host = PACKAGE_VIEW_HOST.format(node=w.node2.host_name)
    output = ["CLUSTER STATUS", "    PACKAGE  STATUS  STATE  AUTO_RUN  NODE",
              f"    {package}  up  running  enabled  {w.node2.host_name}", ""]  # fmt: skip
    store_lines([(other.pk, step.pk, 1, host, 100 + i, Stream.STDOUT, text, other.created_at)
                 for i, text in enumerate(output)])  # fmt: skip
    rows = {s.name: s for s in report_of(w).servers}
    assert (rows[master].package_node, rows[master].package_state) == (w.node2.host_name, "running")
    assert rows[master].package_seen_run == other.pk
    assert rows[master].last_run.id == mine.pk and rows[address.name].last_run.id == other.pk
    assert rows[master].nodes == [w.node1.host_name, w.node2.host_name]
    assert rows[address.name].package_node == "" and rows[address.name].package_seen_at is None


def test_replication_rows_last_state_and_convergence(state_world):
    w = state_world
    address = ServerFactory(domain=w.domain, name="addsv01", cluster=ClusterFactory())
    recorded_run(w, [("c41.nxsrepstat", w.node1, None, ["トランザクションレコードあり (3)"], HostState.FAILED)])
    report = report_of(w)
    assert [(r.state, r.pending) for r in report.replication] == [("pending", 3)]
    assert report.replication_converged is False
    recorded_run(w, [("c41.nxsrepstat", w.node1, None, ["トランザクションレコードなし"], HostState.SUCCEEDED)])
    report = report_of(w)
    assert [r.state for r in report.replication] == ["converged", "pending"]
    assert [(s.server, s.state) for s in report.replication_last] == [(address.name, "converged")]
    assert report.replication_converged is True


def test_replication_checks_older_than_the_portals_newest_results_are_found(state_world, monkeypatch):
    """The page looks for its nxsrepstat checks among the portal's newest host results first; a domain whose
    checks are older than other domains' newer results still shows them, newest first, in as many queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from procedures.reports import domain as report_domain

    w = state_world
    ServerFactory(domain=w.domain, name="addsv01", cluster=ClusterFactory())
    recorded_run(w, [("c41.nxsrepstat", w.node1, None, ["トランザクションレコードあり (3)"], HostState.FAILED)])
    recorded_run(w, [("c41.nxsrepstat", w.node1, None, ["トランザクションレコードなし"], HostState.SUCCEEDED)])
    elsewhere = ServerFactory(uses_mail_server=True)
    MembershipFactory(domain=elsewhere.domain, user=w.operator, role=DomainRoleName.OPERATOR)
    node = elsewhere.cluster.nodes.order_by("position").first()
    for _i in range(3):  # newer results of another domain, one of them an nxsrepstat of its own
        converged = ("c41.nxsrepstat", node, None, ["トランザクションレコードなし"], HostState.SUCCEEDED)
        recorded_run(w, [mhs(node), converged], cluster=elsewhere.cluster)

    def seen(**limits):
        with CaptureQueriesContext(connection) as captured:
            query = ReportQuery.from_params({}, today=today_at(w.domain), **limits)
            report = build_domain_report(w.domain, w.viewer, query)
        return [(r.state, r.pending) for r in report.replication], report.replication_converged, len(captured)

    everything = seen()
    assert everything[:2] == ([("converged", 0), ("pending", 3)], True)
    for window in (1, 3, 7):  # the newest results hold none, one or both of the domain's checks
        monkeypatch.setattr(report_domain, "RECENT_RESULTS", window)
        assert seen() == everything
        assert seen(replication_limit=1)[0] == [("converged", 0)]
        assert seen(replication_limit=None)[0] == everything[0]


def test_run_history_people_deviations_and_filters(state_world):
    w = state_world
    from tests.fixtures.runs import console_step, make_plan

    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c1"), console_step("c2")], "k5-1b"),
                              user=w.operator)  # fmt: skip
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    services.confirm_step(run.steps.get(position=1).pk, user=w.operator2, ticked=["done"])
    step2 = run.steps.get(position=2)
    services.request_resolution(step2.pk, user=w.operator, resolution="skip", reason="console already shows it")
    step2.refresh_from_db()
    services.countersign(step2.pk, user=w.approver2, request=step2.resolution_version)
    row = next(r for r in report_of(w).runs if r.id == run.pk)
    assert row.planned_by == w.operator.username
    assert set(row.operators) == {w.operator.username, w.operator2.username}
    assert set(row.approvers) == {w.approver.username, w.approver2.username}
    (skip,) = row.deviations
    assert (skip.kind, skip.step, skip.reason, skip.countersigned_by, skip.requested_by) == (
        "skip", 2, "console already shows it", w.approver2.username, w.operator.username,
    )  # fmt: skip
    assert [r.id for r in report_of(w, procedure="k5-1a").runs] == []
    assert [r.id for r in report_of(w, procedure="k5-1b").runs] == [run.pk]


def test_the_summary_counts_each_run_in_its_week_by_the_sites_midnight_and_follows_the_filters(state_world):
    """Weeks start on Monday at midnight in the site's time zone: a run planned a minute before is the week
    before's. Counts by state, the finished runs' mean minutes, and the procedure, state and cluster filters."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from procedures.models import ProcedureRun

    w = state_world
    zone = ZoneInfo(w.domain.site.time_zone)
    today = today_at(w.domain)
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time.min, tzinfo=zone)
    planned = [  # (procedure, planned at, state, minutes from start to end or None)
        ("k5-1a", monday, "signed_off", 30),
        ("k5-1a", monday - dt.timedelta(minutes=1), "aborted", None),
        ("k5-1a", monday - dt.timedelta(minutes=2), "completed", 90),
        ("k5-1b", monday + dt.timedelta(hours=1), "completed", 45),
    ]
    runs = []
    for procedure, at, state, minutes in planned:  # written as they are, like benchmarks/report_world.py
        started = at + dt.timedelta(minutes=5)
        runs.append(
            ProcedureRun(
                cluster=w.cluster, procedure=procedure, plan={"title": {"en": procedure}, "steps": []},
                plan_digest="0" * 64, state=state, planned_by=w.operator, created_at=at, started_at=started,
                finished_at=started + dt.timedelta(minutes=minutes) if minutes is not None else None,
            )
        )  # fmt: skip
    runs = ProcedureRun.objects.bulk_create(runs)
    since = {"since": (monday.date() - dt.timedelta(days=7)).isoformat()}

    def summary(**params):
        return {(r.procedure, r.start): (r.runs, r.by_state, r.finished, r.mean_minutes)
                for r in report_of(w, **since, **params).summary}  # fmt: skip

    this_week, last_week = monday.date(), monday.date() - dt.timedelta(days=7)
    assert summary() == {
        ("k5-1a", last_week): (2, {"aborted": 1, "completed": 1}, 1, 90.0),
        ("k5-1a", this_week): (1, {"signed_off": 1}, 1, 30.0),
        ("k5-1b", this_week): (1, {"completed": 1}, 1, 45.0),
    }
    report = report_of(w, **since)
    assert report.runs_total == 4 and report.runs_by_state == {"aborted": 1, "completed": 2, "signed_off": 1}
    assert summary(procedure="k5-1b") == {("k5-1b", this_week): (1, {"completed": 1}, 1, 45.0)}
    assert summary(state="aborted") == {("k5-1a", last_week): (1, {"aborted": 1}, 0, None)}
    assert summary(cluster=str(w.cluster.pk)) == summary()
    assert summary(cluster=str(ClusterFactory().pk)) == {}
    newest_first = [r.pk for r in sorted(runs, key=lambda r: r.created_at, reverse=True)]
    for limit in (1, 2, 3, 4, 5):  # the newest rows come from the newest week, or from both
        query = ReportQuery.from_params(since, today=today, run_limit=limit)
        listed = build_domain_report(w.domain, w.viewer, query)
        assert [r.id for r in listed.runs] == newest_first[:limit] and listed.runs_total == 4


@pytest.mark.parametrize(
    "params", [{"since": "yesterday"}, {"since": "2026-05-02", "until": "2026-05-01"}, {"procedure": "x;rm"},
               {"state": "nope"}, {"cluster": "1 OR 1"}],
)  # fmt: skip
def test_malformed_parameters_are_a_400_with_the_reason(client, state_world, params):
    w = state_world
    client.force_login(w.viewer)
    for name in ("procedures:report-domain", "procedures:report-domain-csv", "procedures:report-domain-pdf"):
        response = client.get(reverse(name, args=[w.domain.pk]), params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, name
        assert next(iter(params)) in response.content.decode()


def test_a_viewer_of_another_domain_gets_404_for_the_page_and_every_export(client, state_world):
    w = state_world
    run = recorded_run(w, [mhs(w.node1)])
    other = UserFactory(username="viewer-of-b")
    MembershipFactory(domain=ServerFactory().domain, user=other, role=DomainRoleName.VIEWER)
    client.force_login(other)
    for url in (
        reverse("procedures:report-domain", args=[w.domain.pk]),
        reverse("procedures:report-domain-csv", args=[w.domain.pk]),
        reverse("procedures:report-domain-csv", args=[w.domain.pk]) + "?table=runs",
        reverse("procedures:report-domain-pdf", args=[w.domain.pk]),
        reverse("procedures:run-change-record", args=[run.pk]),
    ):
        assert client.get(url).status_code == 404, url
    index = client.get(reverse("procedures:report-index")).content.decode()
    assert w.domain.name not in index
    assert not ReportExport.objects.exists()


def _zip_tables(content: bytes) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    tables = {}
    for name in archive.namelist():
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name} lacks the UTF-8 byte-order mark"
        tables[name] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return tables


def test_the_csv_opens_with_the_right_columns_and_japanese_text(client, state_world):
    w = state_world
    run = recorded_run(w, [mhs(w.node1)])
    client.force_login(w.viewer)
    response = client.get(reverse("procedures:report-domain-csv", args=[w.domain.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    tables = _zip_tables(b"".join(response.streaming_content))
    assert set(tables) == {
        f"{n}.csv" for n in ("servers", "mail_servers", "replication", "replication_last", "runs", "deviations")
    }
    servers = tables["servers.csv"]
    assert servers[0][:3] == ["サーバ", "ロール", "メールサーバ"]
    assert [row[0] for row in servers[1:]] == [w.cluster.server.name]
    runs = tables["runs.csv"]
    assert runs[0][:5] == ["実行", "手順書", "タイトル", "クラスタ", "状態"]
    assert runs[1][0] == str(run.pk) and runs[1][2] == "テスト" and runs[1][4] == "計画済み"
    mail = tables["mail_servers.csv"]
    assert [(row[2], row[3]) for row in mail[1:]] == [
        (f"{w.node1.host_name}（ノード 1）", "あり"), (f"{w.node2.host_name}（ノード 2）", "なし"),
    ]  # fmt: skip
    one = client.get(reverse("procedures:report-domain-csv", args=[w.domain.pk]), {"table": "runs"})
    body = b"".join(one.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and one["Content-Type"].startswith("text/csv")
    exports = list(ReportExport.objects.filter(domain=w.domain, user=w.viewer).values_list("kind", "parameters"))
    assert [k for k, _p in exports] == [ExportKind.DOMAIN_CSV, ExportKind.DOMAIN_CSV]
    assert {"table": "runs"}.items() <= exports[0][1].items()


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_is_a_valid_pdf_with_the_servers_and_runs(client, state_world, tmp_path):
    w = state_world
    run = recorded_run(w, [mhs(w.node1)])
    client.force_login(w.viewer)
    response = client.get(reverse("procedures:report-domain-pdf", args=[w.domain.pk]), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run([require_binary("pdftotext", "poppler-utils"), "-layout", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert w.cluster.server.name in text and w.domain.name in text
    assert f"#{run.pk}" in text and "1 / " in text  # page numbers
    assert "メールサーバ" in text and w.viewer.username in text  # Japanese, and who made it
    assert ReportExport.objects.get().kind == ExportKind.DOMAIN_PDF


def test_the_change_record_pdf_holds_the_steps_and_its_events(client, state_world):
    w = state_world
    run = recorded_run(w, [mhs(w.node1), ("a.other", w.node2, None, ["ok"], HostState.SUCCEEDED)])
    client.force_login(w.viewer)
    page = client.get(run.get_absolute_url()).content.decode()
    assert reverse("procedures:run-change-record", args=[run.pk]) in page
    response = client.get(reverse("procedures:run-change-record", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    content = b"".join(response.streaming_content)
    text = _pdf_text(content)
    assert run.plan_digest in text.replace("\n", "") and "a44.mhs_nadr_cfg" in text and "a.other" in text
    assert "Events of the run" in PdfReader(io.BytesIO(content)).pages[-1].extract_text()
    assert ReportExport.objects.get().run == run


def test_no_credential_or_key_in_any_export(client, state_world, settings):
    w = state_world
    node = w.node1
    node.host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbN6Lx7DummyHostKeyForTheReportTestOnly00000"
    node.save()
    run = recorded_run(
        w, [("c41.nxsrepstat", w.node1, None, ["トランザクションレコードなし", *KEY_LINES], HostState.SUCCEEDED)]
    )
    # A person's free text with key material, as a reason (an outside record of the duty).
    duties.record_outside(w.cluster.server.pk, user=w.operator, node_id=w.node2.pk, reason="\n".join(KEY_LINES))
    client.force_login(w.viewer)
    bodies = {}
    for name in ("procedures:report-domain", "procedures:report-domain-csv", "procedures:report-domain-pdf"):
        response = client.get(reverse(name, args=[w.domain.pk]))
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        bodies[name] = raw
    bodies["change"] = b"".join(client.get(reverse("procedures:run-change-record", args=[run.pk])).streaming_content)
    texts = {
        "page": bodies["procedures:report-domain"].decode(),
        "csv": "\n".join(
            ",".join(row) for table in _zip_tables(bodies["procedures:report-domain-csv"]).values() for row in table
        ),
        "pdf": _pdf_text(bodies["procedures:report-domain-pdf"]),
        "change": _pdf_text(bodies["change"]),
    }  # fmt: skip
    secrets = ("PRIVATE KEY", "b3BlbnNzaC1rZXktdjE", "AAAAC3NzaC1lZDI1NTE5", node.credential.key_path)
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, (where, secret)
    assert RunLogLine.objects.filter(text__contains="PRIVATE KEY").exists()  # the test's own rows hold it


def test_a_constant_number_of_queries_whatever_the_number_of_servers_and_runs(state_world, django_assert_num_queries):
    w = state_world

    def grow(n):
        for _i in range(n):
            server = ServerFactory(domain=w.domain, uses_mail_server=True)
            node1, node2 = server.cluster.nodes.order_by("position")
            converged = ("c41.nxsrepstat", node1, None, ["トランザクションレコードなし"], HostState.SUCCEEDED)
            recorded_run(w, [mhs(node1), converged], cluster=server.cluster)
            duties.record_outside(server.pk, user=w.operator, node_id=node2.pk, reason="by hand")

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            report_of(w, user=w.viewer)
        return len(captured)

    grow(1)
    small = count()
    grow(6)
    assert count() == small
    with django_assert_num_queries(small):
        report_of(w, user=w.viewer)


def test_one_click_on_a_flagged_server_plans_the_duty_run_for_it_alone(client, state_world):
    w = state_world
    recorded_run(w, [mhs(w.node1)])
    client.force_login(w.operator)
    page = client.get(reverse("procedures:report-domain", args=[w.domain.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    form = html.split(f'data-testid="plan-duty-{w.cluster.server.name}"')[1].split("</form>")[0]
    assert f'name="cluster" value="{w.cluster.pk}"' in form and 'value="mhs-duty"' in form
    response = client.post(reverse("procedures:run-plan"), {"cluster": w.cluster.pk, "procedure": "mhs-duty"})
    run = w.cluster.runs.get(procedure="mhs-duty")
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    keys = list(run.steps.order_by("position").values_list("key", flat=True))
    assert keys == ["duty.mhs_nadr_cfg", "duty.switch_node2", "duty.mhs_nadr_cfg.node2", "duty.switch_node1"]
    hosts = {h["host_name"] for s in run.plan["steps"] for h in s["hosts"]}
    assert hosts == {w.node1.host_name, w.node2.host_name}  # that server's nodes only
    client.force_login(w.viewer)
    html = client.get(reverse("procedures:report-domain", args=[w.domain.pk])).content.decode()
    assert f'data-testid="plan-duty-{w.cluster.server.name}"' not in html  # a viewer cannot plan


def test_the_query_count_stays_the_same_as_servers_and_runs_grow_in_every_part(state_world):
    """Servers clustered and standalone, several runs on each with package checks, nxsrepstat results and a
    countersigned skip, over a week's and a year's period (weekly and monthly summary): the count never moves."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from procedures.models import RunEvent

    w = state_world

    made = iter(range(1, 100))

    def grow(servers: int, runs_each: int):
        for _i in range(servers):
            clustered = ServerFactory(domain=w.domain, uses_mail_server=True)
            n = next(made)
            standalone = ServerFactory(domain=w.domain, cluster=None, uses_mail_server=True, name=f"mailsa{n:02d}",
                                       host_name=f"mailsa{n:02d}", ssh_address=f"127.0.40.{n}")  # fmt: skip
            node1, node2 = clustered.cluster.nodes.order_by("position")
            for _j in range(runs_each):
                converged = ("c41.nxsrepstat", node1, None, ["トランザクションレコードなし"], HostState.SUCCEEDED)
                run = recorded_run(w, [mhs(node1), converged, mhs(None, standalone, key="b.mhs_nadr_cfg.sa")],
                                   cluster=clustered.cluster)  # fmt: skip
                step = run.steps.get(position=1)
                step.host_results.update(host_label=f"{clustered.name}: node running package pkg")
                host = PACKAGE_VIEW_HOST.format(node=node2.host_name)
                line = f"    {clustered.cluster.package_name}  up  running  enabled  {node2.host_name}"
                store_lines([(run.pk, step.pk, 1, host, 1000, Stream.STDOUT, line, run.created_at)])
                RunEvent.objects.create(run=run, step=step, action="skip", actor=w.approver, reason="by hand")

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            report_of(w, user=w.viewer, **params)
        return len(captured)

    year = {"since": (today_at(w.domain).replace(year=today_at(w.domain).year - 1)).isoformat()}
    grow(1, 1)
    small, small_year = count(), count(**year)
    grow(4, 3)
    report = report_of(w, **year)
    assert report.bucket == "month" and report.runs_total == 13 and sum(r.runs for r in report.summary) == 13
    assert {s.package_node for s in report.servers if s.clustered and s.name != w.cluster.server.name} != {""}
    assert count() == small and count(**year) == small_year == small


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_pdf_bounds_its_tables_and_says_where_the_rest_is(client, state_world, monkeypatch, language):
    """Past its bounds the PDF lists the other servers by name and sends the reader to the CSV for every row."""
    from procedures.reports import pdf
    from procedures.views import reports as report_views

    w = state_world
    extra = [ServerFactory(domain=w.domain, name=f"addsv{i}", cluster=ClusterFactory()) for i in range(3)]
    extra.append(
        ServerFactory(
            domain=w.domain,
            cluster=None,
            name="mailsv09",
            host_name="mailsv09",
            ssh_address="127.0.39.1",
            uses_mail_server=True,
        )
    )  # a third place of the duty
    runs = [recorded_run(w, [mhs(w.node1)]) for _i in range(3)]
    monkeypatch.setattr(pdf, "PDF_ROWS", 2)
    monkeypatch.setattr(report_views, "PDF_RUNS", 1)
    client.force_login(w.viewer)
    response = client.get(reverse("procedures:report-domain-pdf", args=[w.domain.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = " ".join(_pdf_text(b"".join(response.streaming_content)).split())
    for server in (w.cluster.server, *extra):
        assert server.name in text  # in the table or by name after it
    assert "servers.csv" in text and "mail_servers.csv" in text and "runs.csv" in text
    assert f"#{runs[-1].pk}" in text and f"#{runs[0].pk}" not in text  # the newest run only
    if language == "en":
        assert (
            "3 more servers, by name" in text
            and "1 more places: 1 flagged" in text
            and "The newest run of 3 is listed below" in text
        )
        assert "This PDF lists at most 2 servers" in text
    else:
        assert (
            "ほか 3 台のサーバ" in text
            and "ほか 1 か所: 未設定 1 か所" in text
            and "未設定: mailsv09 (standalone)" in text
            and "3 件のうち新しい 1 件の実行" in text
        )
