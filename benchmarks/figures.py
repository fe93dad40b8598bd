"""The figures. Each returns a JSON-able dict holding its measurement, its baseline from the same run and the ratio.

Every figure runs against the portal served by Daphne in its own process (``harness.Portal``), with runs
started by the operator's POST and watched through real websockets. Baselines run the same command on the
same lab node, just before or after, so load from other work on the machine hits both alike.
"""

from __future__ import annotations

import asyncio
import os
import time

from benchmarks.harness import (
    Viewer,
    cpu_seconds,
    fabric_timed,
    flood_command,
    median,
    paced_command,
    percentiles,
    ratio,
    request,
    start_run,
    stream_lines,
    watch_run,
)


def viewers_summary(reports: list[dict]) -> dict:
    """What every viewer saw, in a few numbers (the results file stays small): the distinct values, and the verdict."""
    lines = sum(r["log_lines"] for r in reports)
    return {
        "count": len(reports),
        "all_once_in_order": all(r["all_once_in_order"] for r in reports),
        "out_lines": sorted({r["out_lines"] for r in reports}),
        "duplicates": sum(r["duplicates"] for r in reports),
        "holes": sum(r["holes"] for r in reports),
        "frame_chars": sorted({r["frame_chars"] for r in reports}),
        "frame_chars_per_line": round(sum(r["frame_chars"] for r in reports) / lines, 1) if lines else None,
        "final_states": sorted({r["final_state"] for r in reports}),
    }


def _node(ctx, cluster):
    return ctx.world.lab.node(ctx.world.node1(cluster).host_name)


def _stored(run_id: int) -> dict:
    from django.db.models import Max, Min

    from procedures.models import RunLogLine, StepRun

    step = StepRun.objects.filter(run_id=run_id).first()
    out = RunLogLine.objects.filter(run_id=run_id, stream="out").aggregate(first=Min("at"), last=Max("at"))
    timed = bool(step and step.finished_at and step.started_at)
    phases = None
    if timed and out["first"] and out["last"]:
        # Where the step's time went: until its first output line was read, reading, and after the last line
        # was read until the verdict (the writer's last batches, the host's and the step's records).
        phases = {
            "to_first_line_s": round((out["first"] - step.started_at).total_seconds(), 3),
            "reading_s": round((out["last"] - out["first"]).total_seconds(), 3),
            "after_last_line_s": round((step.finished_at - out["last"]).total_seconds(), 3),
        }
    return {
        "stored_lines": RunLogLine.objects.filter(run_id=run_id).count(),
        "stored_out_lines": RunLogLine.objects.filter(run_id=run_id, stream="out").count(),
        "step_state": step.state if step else None,
        "step_seconds": round((step.finished_at - step.started_at).total_seconds(), 3) if timed else None,
        "step_phases": phases,
    }


def _portal_pass(ctx, cluster, command: str, kind: str, viewers: int, timeout: float):
    """Plan+approve a run (not timed), connect the viewers, start it, wait until every viewer saw it finish."""
    world, portal = ctx.world, ctx.portal
    run, step = world.new_run(cluster, command)
    watchers = [Viewer(portal, world.sessions["viewer"], run.pk, step.pk, kind) for _ in range(viewers)]
    cpu_before = portal.cpu()
    me_before = cpu_seconds(os.getpid())
    t0 = asyncio.run(watch_run(watchers, lambda: start_run(portal, world.sessions["operator"], run.pk), timeout))
    cpu_after = portal.cpu()
    cpu = {k: round(cpu_after[k] - cpu_before.get(k, 0), 2) for k in cpu_after}
    cpu["viewers_process"] = round(cpu_seconds(os.getpid()) - me_before, 2)
    return run, step, watchers, t0, cpu


# ---------------------------------------------------------------- throughput


def throughput(ctx) -> dict:
    """The 100,000-line step through the portal (stored, pushed to 20 viewers) vs bare Fabric vs ``ssh``."""
    s = ctx.sizes
    lines, viewers = s["throughput_lines"], s["viewers"]
    cluster = ctx.world.clusters[0]
    node = _node(ctx, cluster)
    command = flood_command(lines)
    fabric, ssh, portal_wall, portal_last_line, per_pass = [], [], [], [], []
    for _ in range(s["repeats"]):
        fabric.append(fabric_timed(node, str(ctx.world.lab.client_key_path), command))
        ssh.append(ctx.ssh.timed(node.host_name, command))
        run, _step, watchers, t0, cpu = _portal_pass(ctx, cluster, command, "flood", viewers, s["timeout"])
        portal_wall.append(max(v.done_at for v in watchers) - t0)
        portal_last_line.append(max(v.last_line_at or v.done_at for v in watchers) - t0)
        per_pass.append(
            {
                "run": run.pk,
                "wall_s": round(portal_wall[-1], 3),
                "all_viewers_last_line_s": round(portal_last_line[-1], 3),
                "first_viewer_done_s": round(min(v.done_at for v in watchers) - t0, 3),
                "first_line_s": round(min(v.first_line_at or v.done_at for v in watchers) - t0, 3),
                "cpu_seconds": cpu,
                **_stored(run.pk),
                "viewers": viewers_summary([v.report(lines) for v in watchers]),
            }
        )
    # Diagnosis, not the figure: the same step with one viewer and with none, to tell the fan-out's cost
    # (20 viewers share this machine's 2 cores with the portal) from the executor's and the writer's.
    run, _step, watchers, t0, cpu = _portal_pass(ctx, cluster, command, "flood", 1, s["timeout"])
    one_wall = watchers[0].done_at - t0
    one_viewer = {"wall_s": round(one_wall, 3), "cpu_seconds": cpu, **_stored(run.pk),
                  "all_once_in_order": watchers[0].report(lines)["all_once_in_order"],
                  "ratio_vs_fabric": ratio(one_wall, median(fabric)),
                  "target": {"ratio_vs_fabric_max": 1.0, "aim": 0.6}}  # fmt: skip
    one_viewer["meets_target"] = one_viewer["ratio_vs_fabric"] is not None and one_viewer["ratio_vs_fabric"] <= 1.0
    wall = median(portal_wall)
    per_line = [p["viewers"]["frame_chars_per_line"] for p in per_pass if p["viewers"]["frame_chars_per_line"]]
    must, aim = (1.5, 0.8) if ctx.profile == "embedded" else (2.0, 1.0)
    return {
        "profile": ctx.profile,
        "portal_1_viewer": one_viewer,
        "wire_bytes_per_line": round(median(per_line), 1) if per_line else None,
        "wire_target": {"max": 70, "aim": 60},
        "deflate": _deflate_estimate(run.pk, viewers),
        "command": command,
        "lines": lines,
        "bytes": lines * 51,
        "viewers": viewers,
        "repeats": s["repeats"],
        "portal_s": wall,
        "portal_last_line_s": median(portal_last_line),
        "fabric_s": median(fabric),
        "ssh_s": median(ssh),
        "ratio_vs_fabric": ratio(wall, median(fabric)),
        "ratio_vs_ssh": ratio(wall, median(ssh)),
        "samples": {
            "portal_s": [round(x, 3) for x in portal_wall],
            "fabric_s": [round(x, 3) for x in fabric],
            "ssh_s": [round(x, 3) for x in ssh],
        },
        "viewers_all_lines_once_in_order": all(p["viewers"]["all_once_in_order"] for p in per_pass),
        "viewer_out_lines": sorted({n for p in per_pass for n in p["viewers"]["out_lines"]}),
        "passes": per_pass,
        "target": {"ratio_vs_fabric_max": must, "aim": aim},
        "meets_target": ratio(wall, median(fabric)) is not None and ratio(wall, median(fabric)) <= must,
        "measured": "portal_s: from the operator's POST to start until every viewer has the step's final state "
        "(all lines before it); fabric_s: Connection open + run(hide=True) + close; ssh_s: the ssh client, "
        "stdout to /dev/null. Medians of the repeats.",
    }


def _deflate_estimate(run_id: int, viewers: int) -> dict:
    """What permessage-deflate would cost and save: the step's frames compressed as a socket would (raw deflate,
    one context per viewer, level 1 and 6), measured here on one context and multiplied by the viewers."""
    import zlib

    from procedures.live import logstream

    frames, after = [], 0
    while True:
        text, after, n = logstream.frame_after(run_id, after)
        if not n:
            break
        frames.append(text.encode())
    raw = sum(map(len, frames))
    out = {"frames": len(frames), "bytes": raw}
    for level in (1, 6):
        context = zlib.compressobj(level, zlib.DEFLATED, -15)
        started = time.perf_counter()
        size = sum(len(context.compress(f) + context.flush(zlib.Z_SYNC_FLUSH)) for f in frames)
        seconds = time.perf_counter() - started
        out[f"level_{level}"] = {"bytes": size, "ratio": ratio(size, raw), "cpu_s_per_viewer": round(seconds, 3),
                                 "cpu_s_all_viewers": round(seconds * viewers, 3)}  # fmt: skip
    inflate = zlib.decompressobj(-15)
    context = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = [context.compress(f) + context.flush(zlib.Z_SYNC_FLUSH) for f in frames]
    started = time.perf_counter()
    for f in packed:
        inflate.decompress(f)
    out["inflate_cpu_s_per_viewer"] = round(time.perf_counter() - started, 3)
    return out


# ---------------------------------------------------------------- persistence alone


def _rows(run_id: int, step_id: int, lines: int, first_seq: int) -> list[tuple]:
    from django.utils import timezone

    now = timezone.now()
    return [
        (run_id, step_id, 1, "bench01a (node 1)", first_seq + i, "out",
         f"line {i + 1:07d} of {lines:07d} abcdefghijklmnopqrstuvwxyz", now)
        for i in range(lines)
    ]  # fmt: skip


def persistence(ctx) -> dict:
    """The portal's log writer vs raw inserts of the same rows, in the same batches, into the same table."""
    from django.db import connection, transaction

    from procedures.execution.logwriter import StepLog
    from procedures.models import RunLogLine
    from procedures.models.logs import store_lines

    lines, batch = ctx.sizes["persist_lines"], 1000
    cluster = ctx.world.clusters[-1]
    results = {"lines": lines, "batch": batch, "database": connection.vendor}

    # 1. store_lines (rows one by one, as system lines are stored), one transaction per batch of 1,000.
    run, step = ctx.world.new_run(cluster, "true", key="persist-a")
    rows = _rows(run.pk, step.pk, lines, 1)
    started = time.perf_counter()
    for i in range(0, lines, batch):
        with transaction.atomic():
            store_lines(rows[i : i + batch])
    results["store_lines_s"] = round(time.perf_counter() - started, 4)
    _forget(run.pk)  # each variant starts from the same table

    # 2. The whole writer: StepLog splitting 64 KiB chunks, numbering, masking, flushing on its thread.
    run2, step2 = ctx.world.new_run(cluster, "true", key="persist-b")
    data = "".join(r[6] + "\n" for r in rows).encode()
    step2.attempt = 1
    started = time.perf_counter()
    with StepLog(step2) as steplog:
        for i in range(0, len(data), 65536):
            steplog.add_block("bench01a (node 1)", "out", data[i : i + 65536])
    results["steplog_s"] = round(time.perf_counter() - started, 4)
    results["steplog_stored"] = RunLogLine.objects.filter(run_id=run2.pk).count()
    _forget(run2.pk)

    # 3. The raw baseline, without Django: sqlite3 executemany / psycopg COPY, same batches, same table.
    run3, step3 = ctx.world.new_run(cluster, "true", key="persist-c")
    raw_rows = _rows(run3.pk, step3.pk, lines, 1)
    table = RunLogLine._meta.db_table
    columns = "run_id, step_id, attempt, host, seq, stream, text, at"
    if connection.vendor == "sqlite":
        import sqlite3

        db = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None)
        sql = f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
        values = [(*r[:7], r[7].isoformat(sep=" ").replace("+00:00", "")) for r in raw_rows]
        started = time.perf_counter()
        for i in range(0, lines, batch):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(sql, values[i : i + batch])
            db.execute("COMMIT")
        results["raw_s"] = round(time.perf_counter() - started, 4)
        results["raw"] = "sqlite3 executemany"
        db.close()
        key = "ratio_vs_executemany"
    else:
        import psycopg

        params = connection.get_connection_params()
        with psycopg.connect(**params, autocommit=False) as pg:
            started = time.perf_counter()
            for i in range(0, lines, batch):
                with pg.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for r in raw_rows[i : i + batch]:
                        copy.write_row(r)
                pg.commit()
            results["raw_s"] = round(time.perf_counter() - started, 4)
        results["raw"] = "psycopg COPY"
        key = "ratio_vs_copy"
    results["raw_stored"] = RunLogLine.objects.filter(run_id=run3.pk).count()
    results[key] = ratio(results["store_lines_s"], results["raw_s"])
    results["steplog_" + key] = ratio(results["steplog_s"], results["raw_s"])
    _forget(run3.pk)
    return results


def _forget(run_id: int) -> None:
    """Bench rows only: log lines are append-only in the portal, so this bypasses the model on purpose."""
    from procedures.models import RunLogLine

    RunLogLine.objects.filter(run_id=run_id)._raw_delete(RunLogLine.objects.db)


# ---------------------------------------------------------------- latency


def latency(ctx) -> dict:
    """Printed on the node → arrived at a websocket client, at a slow and a fast rate, vs the ``ssh`` client."""
    s = ctx.sizes
    cluster = ctx.world.clusters[0]
    node = _node(ctx, cluster)
    out = {"profile": ctx.profile, "viewers": s["viewers"]}
    for name, rate, seconds, target in (
        ("slow", 10, s["latency_slow_s"], 100),
        ("fast", 5000, s["latency_fast_s"], 100),
    ):
        n = max(5, int(rate * seconds))
        command = paced_command(rate, n)
        baseline = percentiles(ctx.ssh.latencies(node.host_name, command))
        run, _step, watchers, _t0, cpu = _portal_pass(ctx, cluster, command, "paced", s["viewers"], s["timeout"])
        measured = percentiles([x for v in watchers for x in v.latencies])
        out[name] = {
            "rate_lines_per_s": rate,
            "lines": n,
            "portal_ms": measured,
            "ssh_ms": baseline,
            "ratio_vs_ssh": ratio(measured["p95"], baseline["p95"]),
            "target_p95_ms": target,
            "meets_target": measured["p95"] is not None and measured["p95"] <= target,
            "cpu_seconds": cpu,
            "viewers": viewers_summary([v.report(n) for v in watchers]),
            "viewers_all_lines_once_in_order": all(v.report(n)["all_once_in_order"] for v in watchers),
            **_stored(run.pk),
        }
    out["measured"] = (
        "each line carries the node's clock when printed (flushed per line); arrival is the client's clock when "
        "the frame holding it arrives; ratio_vs_ssh compares p95 with the ssh client reading the same command"
    )
    return out


# ---------------------------------------------------------------- concurrency


def concurrency(ctx) -> dict:
    """N runs at once (one per cluster) while one client keeps reading run pages and the log API."""
    from django.urls import reverse

    from procedures.models import StepRun

    s = ctx.sizes
    world, portal = ctx.world, ctx.portal
    n_runs = min(s["concurrent_runs"], len(world.clusters))
    rate, seconds = s["concurrent_rate"], s["concurrent_s"]
    lines = int(rate * seconds)
    runs = [world.new_run(c, paced_command(rate, lines)) for c in world.clusters[:n_runs]]
    viewer = world.sessions["viewer"]

    def paths(i: int) -> tuple[str, str]:
        run, step = runs[i % len(runs)]
        api = reverse("procedures:run-log", args=[run.pk])
        return reverse("procedures:run-detail", args=[run.pk]), f"{api}?step={step.pk}&before=0&limit=500"

    def sample(page_times, api_times, i, errors):
        page, api = paths(i)
        for path, into in ((page, page_times), (api, api_times)):
            status, _body, elapsed = request(portal, viewer, "GET", path)
            if status != 200:
                errors.append(f"{path}: HTTP {status}")
            into.append(elapsed)

    started = time.perf_counter()
    for run, _step in runs:
        start_run(portal, world.sessions["operator"], run.pk)
    page_busy, api_busy, errors = [], [], []
    i = 0
    run_ids = [r.pk for r, _s in runs]
    deadline = time.monotonic() + s["timeout"]
    while time.monotonic() < deadline:
        sample(page_busy, api_busy, i, errors)
        i += 1
        if i % 5 == 0 and not StepRun.objects.filter(run_id__in=run_ids, state__in=("pending", "running")).exists():
            break
    all_done_s = time.perf_counter() - started
    page_idle, api_idle = [], []
    for j in range(max(10, min(i, 50))):
        sample(page_idle, api_idle, j, errors)
    stored = [_stored(r) for r in run_ids]
    busy_page, busy_api = percentiles(page_busy), percentiles(api_busy)
    idle_page, idle_api = percentiles(page_idle), percentiles(api_idle)
    return {
        "runs": n_runs,
        "lines_per_run": lines,
        "rate_per_run": rate,
        "wall_s": round(all_done_s, 3),
        "run_page_ms": busy_page,
        "log_api_ms": busy_api,
        "idle_run_page_ms": idle_page,
        "idle_log_api_ms": idle_api,
        "run_page_ratio_vs_idle": ratio(busy_page["p95"], idle_page["p95"]),
        "log_api_ratio_vs_idle": ratio(busy_api["p95"], idle_api["p95"]),
        "errors": errors[:20],
        "all_runs_succeeded": all(x["step_state"] == "succeeded" for x in stored),
        "all_lines_stored": all(x["stored_out_lines"] == lines for x in stored),
        "runs_detail": stored,
        "measured": "one client alternates GET run page / GET log API (the tail the page asks for) over the "
        "runs while they execute; the idle figures are the same requests right after they all finished",
    }


# ---------------------------------------------------------------- the million-line step


def big_step(ctx) -> dict:
    """A 1,000,000-line step: the run page's tail in Chromium, its responsiveness, the full download."""
    from django.urls import reverse

    from procedures.models import StepRun

    s = ctx.sizes
    world, portal = ctx.world, ctx.portal
    lines = s["big_lines"]
    cluster = world.clusters[0]
    node = _node(ctx, cluster)
    command = flood_command(lines)
    ssh_s = ctx.ssh.timed(node.host_name, command)
    run, step = world.new_run(cluster, command)
    started = time.perf_counter()
    start_run(portal, world.sessions["operator"], run.pk)
    deadline = time.monotonic() + s["timeout"] * 4
    while StepRun.objects.filter(pk=step.pk, state__in=("pending", "running")).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the million-line step did not finish")
        time.sleep(0.25)
    step_done_s = time.perf_counter() - started
    stored = _stored(run.pk)
    out = {"lines": lines, "bytes": lines * 51, "command": command, "step_done_s": round(step_done_s, 3), **stored,
           "ssh_s": round(ssh_s, 3), "step_ratio_vs_ssh": ratio(step_done_s, ssh_s),
           "step_target": {"ratio_vs_ssh_max": 6, "aim": 3}}  # fmt: skip
    out["step_meets_target"] = out["step_ratio_vs_ssh"] is not None and out["step_ratio_vs_ssh"] <= 6
    out["browser"] = _browser(ctx, run, step, lines)
    tail_s = out["browser"].get("tail_visible_s")
    out["browser"]["target_tail_s"] = 2.0
    out["browser"]["meets_target"] = tail_s is not None and tail_s <= 2.0
    download = reverse("procedures:run-log-download", args=[run.pk])
    status, size, got, seconds, last = stream_lines(portal, world.sessions["viewer"], download)
    out["download"] = {
        "url": download,
        "status": status,
        "bytes": size,
        "lines": got,
        "seconds": round(seconds, 3),
        "complete": status == 200 and got == stored["stored_lines"],
        "last_line": last[-80:],
        "ssh_s": round(ssh_s, 3),
        "ratio_vs_ssh": ratio(seconds, ssh_s),
    }
    from benchmarks.urls import BENCH_ADDED

    out["log_urls_added_by_bench"] = BENCH_ADDED
    return out


LONG_TASKS = """
window.__longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: "longtask", buffered: true });
} catch (e) { window.__longTasks = null; }
"""


def _browser(ctx, run, step, lines: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.base import CHROMIUM_ARGS

    portal, session = ctx.portal, ctx.world.sessions["viewer"]
    tail = f"line {lines:07d} of {lines:07d}"
    result: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
            context.add_cookies([{"name": "sessionid", "value": session.sessionid, "url": portal.base}])
            context.add_init_script(LONG_TASKS)
            page = context.new_page()
            selector = f'[data-step-log="{step.pk}"]'
            check = (
                "([sel, tail]) => { const el = document.querySelector(sel); if (!el) return false;"
                " const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 60;"
                " return el.textContent.includes(tail) && atEnd; }"
            )
            started = time.perf_counter()
            page.goto(f"{portal.base}/procedures/runs/{run.pk}/", wait_until="commit")
            try:
                page.wait_for_function(check, arg=[selector, tail], timeout=60_000, polling=20)
            except Exception:  # say what the page showed instead
                result["tail_visible_s"] = None
                result["page_showed"] = page.evaluate(
                    "(sel) => { const el = document.querySelector(sel); return el ? {text: el.textContent.slice(-300),"
                    " scrollTop: el.scrollTop, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight}"
                    " : document.body.innerText.slice(0, 300); }",
                    selector,
                )
                page.screenshot(path=str(ctx.folder / "big-step-page.png"))
                return result
            result["tail_visible_s"] = round(time.perf_counter() - started, 3)
            page.wait_for_load_state("load")
            result["load_event_s"] = round(time.perf_counter() - started, 3)
            result["live_script"] = page.evaluate("() => !!document.querySelector('script[src*=\"run_live\"]')")
            rtts = []
            for _ in range(20):
                t = time.perf_counter()
                page.evaluate("() => 1")
                rtts.append(time.perf_counter() - t)
                time.sleep(0.05)
            result["evaluate_round_trip_ms"] = percentiles(rtts)
            # Scrolling up must bring earlier lines (no cut-off): wait for a line before the first one shown.
            first_shown = page.evaluate(
                "(sel) => { const el = document.querySelector(sel);"
                " const m = el.textContent.match(/line (\\d{7}) of/); return m ? parseInt(m[1], 10) : null; }",
                selector,
            )
            result["first_line_shown"] = first_shown
            t = time.perf_counter()
            page.evaluate("(sel) => { const el = document.querySelector(sel); el.scrollTop = 0; "
                          "el.dispatchEvent(new Event('scroll')); }", selector)  # fmt: skip
            try:
                page.wait_for_function(
                    "([sel, first]) => { const el = document.querySelector(sel);"
                    " const m = el.textContent.match(/line (\\d{7}) of/); return m && parseInt(m[1], 10) < first; }",
                    arg=[selector, first_shown or 0],
                    timeout=10_000,
                )
                result["earlier_lines_on_scroll_s"] = round(time.perf_counter() - t, 3)
            except Exception:  # the page did not load earlier lines: recorded, not fatal
                result["earlier_lines_on_scroll_s"] = None
            tasks = page.evaluate("() => window.__longTasks")
            if tasks is not None:
                result["long_tasks"] = len(tasks)
                result["longest_task_ms"] = round(max(tasks), 1) if tasks else 0
                result["total_blocking_ms"] = round(sum(max(0.0, x - 50) for x in tasks), 1)
            result["responsive"] = (
                result["evaluate_round_trip_ms"]["p95"] is not None
                and result["evaluate_round_trip_ms"]["p95"] < 200
                and result.get("longest_task_ms", 0) < 1000
            )
        finally:
            browser.close()
    return result


# ---------------------------------------------------------------- the domain report


def reports(ctx) -> dict:
    """The domain report of a generated domain (200 servers, 20,000 runs over a year) next to an empty domain's.

    Page: one viewer GETs the report page over the whole year (every run counted and summarised, the newest 50 rows
    built), ``report_requests`` times, then the same page of an empty domain as often. PDF: the same report,
    ``report_pdf_repeats`` times. The query count of one page is measured in the bench process.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from benchmarks.harness import Session
    from benchmarks.report_world import build
    from procedures.reports.domain import ReportQuery, build_domain_report, today_at

    s = ctx.sizes
    world, portal = ctx.world, ctx.portal
    started = time.perf_counter()
    big, empty = build(s["report_servers"], s["report_runs"], operator=world.operator, approver=world.approver,
                       viewer=world.viewer)  # fmt: skip
    generate_s = time.perf_counter() - started
    viewer: Session = world.sessions["viewer"]
    until = today_at(big)
    params = f"?since={(until.replace(year=until.year - 1)).isoformat()}&until={until.isoformat()}"

    def sample(domain, path_name: str, n: int) -> tuple[list[float], list[str], int]:
        times, errors, size = [], [], 0
        path = reverse(path_name, args=[domain.pk]) + params
        request(portal, viewer, "GET", path)  # warm the process (templates, translations)
        for _ in range(n):
            status, body, elapsed = request(portal, viewer, "GET", path)
            if status != 200:
                errors.append(f"{path}: HTTP {status}")
            times.append(elapsed)
            size = len(body)
        return times, errors, size

    page_big, errors_big, page_bytes = sample(big, "procedures:report-domain", s["report_requests"])
    page_empty, errors_empty, _ = sample(empty, "procedures:report-domain", s["report_requests"])
    pdf_times, errors_pdf, pdf_bytes = sample(big, "procedures:report-domain-pdf", s["report_pdf_repeats"])
    in_process = _report_cpu(world.viewer, big, params, s["report_requests"], s["report_pdf_repeats"])
    query = ReportQuery.from_params(dict(p.split("=") for p in params[1:].split("&")), today=until)
    with CaptureQueriesContext(connection) as big_queries:
        report = build_domain_report(big, world.viewer, query)
    with CaptureQueriesContext(connection) as empty_queries:
        build_domain_report(empty, world.viewer, query)
    big_p, empty_p, pdf_p = percentiles(page_big), percentiles(page_empty), percentiles(pdf_times, scale=1.0)
    return {
        "servers": s["report_servers"],
        "runs": s["report_runs"],
        "runs_in_period": report.runs_total,
        "generate_s": round(generate_s, 1),
        "page_ms": big_p,
        "empty_page_ms": empty_p,
        "page_ratio_vs_empty": ratio(big_p["p95"], empty_p["p95"]),
        "page_bytes": page_bytes,
        "pdf_s": pdf_p,
        "pdf_bytes": pdf_bytes,
        "queries": {"big": len(big_queries), "empty": len(empty_queries)},
        "cpu_s": in_process,
        "meets_page_target": big_p["p95"] is not None and big_p["p95"] <= 500,
        "meets_pdf_target": pdf_p["max"] is not None and pdf_p["max"] <= 10,
        "errors": (errors_big + errors_empty + errors_pdf)[:20],
        "measured": "GET of the whole page (Daphne, embedded profile) on a fresh connection, one at a time; the "
        "empty domain's page is the same view with nothing in it, measured right after; cpu_s: CPU seconds of the "
        "same views called in the bench process (Django's test client, same database), less sensitive to the load",
    }


def _report_cpu(user, domain, params: str, pages: int, pdfs: int) -> dict:
    """CPU seconds (``time.process_time``) of the report page and PDF views called in this process: min/median."""
    import statistics

    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)

    def cpu(name: str, n: int) -> dict:
        path = reverse(name, args=[domain.pk]) + params
        times = []
        for i in range(n + 1):
            started = time.process_time()
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
            b"".join(response.streaming_content) if response.streaming else response.content
            if i:  # the first call warms templates and translations
                times.append(time.process_time() - started)
        return {"n": n, "min": round(min(times), 3), "median": round(statistics.median(times), 3)}

    return {"page": cpu("procedures:report-domain", pages), "pdf": cpu("procedures:report-domain-pdf", pdfs)}


# ---------------------------------------------------------------- pages


PAGE_TARGET_MS = 300  # every page of the portal, p95, with 20 runs in progress on 2 cores


def _pages_world(ctx, n_runs: int):
    """``n_runs`` domains of their own, each with a master cluster (inventory only: no command of theirs is ever
    sent) and a real K.5 (1)(a) plan snapshot planned and approved; returned with the paths of the pages to read.

    One domain each: a run of a domain holds that domain's master while it is active, so twenty runs in progress
    at once are twenty domains, as a team with many domains would have."""
    from django.urls import reverse

    from clusters.choices import DomainRoleName
    from clusters.models import DomainMembership
    from procedures import services
    from procedures.catalog import render_plan
    from tests.factories import DomainFactory, MasterFactory

    world = ctx.world
    people = ((world.operator, DomainRoleName.OPERATOR), (world.approver, DomainRoleName.APPROVER))
    runs = []
    for _i in range(n_runs):
        domain = DomainFactory(site=world.domain.site)
        for user, role in people:
            DomainMembership.objects.create(domain=domain, user=user, role=role)
        cluster = MasterFactory(domain=domain).cluster
        run = services.create_run(cluster, render_plan(cluster, "k5-1a", {}), user=world.operator)
        services.approve_run(run.pk, user=world.approver)
        runs.append(run)
    address = runs[0].cluster
    pages = {
        "home": [reverse("home")],
        "home_panels": [reverse("procedures:home-panels")],
        "runs_list": [reverse("procedures:run-list")],
        "runs_list_filtered": [f"{reverse('procedures:run-list')}?state=running&sort=-cluster"],
        "run_page": [r.get_absolute_url() for r in runs],
        "cluster_page": [r.cluster.get_absolute_url() for r in runs],
        "domain_page": [r.cluster.server.domain.get_absolute_url() for r in runs],
        "plan_page": [f"{reverse('procedures:plan', args=[address.pk])}?procedure=k5-1a"],
        "sign_off_queue": [reverse("procedures:queue")],
    }
    return runs, pages


def _log_writer(run_ids: list[int], rate: float, stop):
    """Stores log lines for every run's running step at ``rate`` lines/s each and keeps the steps' heartbeats
    fresh, as the workers executing them would (the reaper leaves them running)."""
    import threading

    from django.db import IntegrityError, connection, transaction
    from django.utils import timezone

    from procedures.models import RunLogLine, StepRun
    from procedures.models.logs import store_lines

    def write():
        steps = dict(StepRun.objects.filter(run_id__in=run_ids, state="running").values_list("run_id", "pk"))
        seq = {r: RunLogLine.objects.last_seq(r) for r in run_ids}
        thread.written = 0
        while not stop.is_set():
            now = timezone.now()
            rows = []
            for run_id in run_ids:
                seq[run_id] += 1
                text = f"bench line {seq[run_id]} of run {run_id}"
                rows.append((run_id, steps.get(run_id), 1, "benchhost", seq[run_id], "out", text, now))
            try:
                with transaction.atomic():
                    store_lines(rows)
                    StepRun.objects.filter(pk__in=steps.values()).update(heartbeat_at=now)
                thread.written += len(rows)
            except IntegrityError:  # the portal wrote a line of its own meanwhile: carry on after it
                seq = {r: RunLogLine.objects.last_seq(r) for r in run_ids}
            stop.wait(1.0 / rate)
        connection.close()

    thread = threading.Thread(target=write, name="bench-pages-log", daemon=True)
    thread.written = 0
    thread.start()
    return thread


def pages(ctx) -> dict:
    """Every page the portal's people open, p95, idle and then with N runs in progress (the issue's 20)."""
    import threading

    from django.test import override_settings

    from procedures import services

    s = ctx.sizes
    n_runs, samples = s["pages_runs"], s["pages_samples"]
    portal, viewer = ctx.portal, ctx.world.sessions["approver"]
    runs, paths = _pages_world(ctx, n_runs)

    def measure() -> tuple[dict, list[str]]:
        times, errors = {name: [] for name in paths}, []
        for i in range(samples):
            for name, options in paths.items():
                path = options[i % len(options)]
                status, _body, elapsed = request(portal, viewer, "GET", path)
                if status != 200:
                    errors.append(f"{path}: HTTP {status}")
                times[name].append(elapsed)
        return {name: percentiles(t) for name, t in times.items()}, errors

    idle, idle_errors = measure()  # planned and approved, none started: an idle portal
    with override_settings(PORTAL_DISPATCH="none"):  # started, step 1 running; its command is never sent
        for run in runs:
            services.start_run(run.pk, user=ctx.world.operator)
    stop = threading.Event()
    writer = _log_writer([r.pk for r in runs], s["pages_log_rate"], stop)
    try:
        busy, busy_errors = measure()
    finally:
        stop.set()
        writer.join(timeout=30)
    worst = max((v["p95"] for v in busy.values() if v["p95"] is not None), default=None)
    return {
        "runs_in_progress": n_runs,
        "samples_per_page": samples,
        "log_lines_per_s": s["pages_log_rate"] * n_runs,
        "log_lines_written": getattr(writer, "written", 0),
        "idle_ms": idle,
        "busy_ms": busy,
        "ratio_vs_idle_p95": {name: ratio(busy[name]["p95"], idle[name]["p95"]) for name in busy},
        "worst_p95_ms": worst,
        "target_p95_ms": PAGE_TARGET_MS,
        "meets": worst is not None and worst <= PAGE_TARGET_MS and not busy_errors,
        "errors": (idle_errors + busy_errors)[:20],
        "measured": "one logged-in approver reads each page in turn (a fresh HTTP connection each), first with the "
        "runs planned and approved but none started (idle), then with every run started (step 1 running; its "
        "command is never sent: these clusters are inventory only) while a writer stores log lines for each; "
        "every run is a real K.5 (1)(a) plan snapshot, each in a domain of its own",
    }


FIGURES = {
    "throughput": throughput,
    "persistence": persistence,
    "latency": latency,
    "concurrency": concurrency,
    "big_step": big_step,
    "reports": reports,
    "pages": pages,
}
