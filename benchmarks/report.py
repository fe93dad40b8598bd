"""The figures of a results file as a Markdown table: ``python -m benchmarks.report [results.json]``.

A full run (not ``--smoke``) rewrites the part of benchmarks/README.md between the ``figures`` markers with it,
so the README always shows the figures of ``results/latest.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def _ok(flag) -> str:
    return "meets" if flag else "**misses**"


def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def table(report: dict) -> str:
    f = report["figures"]
    m = report["machine"]
    rows = ["| figure | portal | baseline (same run) | ratio | target |", "|---|---|---|---|---|"]
    for key in ("throughput", "throughput_production"):
        t = f.get(key, {})
        profile = "production" if key.endswith("production") else "embedded"
        if "portal_s" not in t:
            if t:
                rows.append(f"| throughput {profile} | not measured: {t.get('not_measured') or t.get('error')} | | | |")
            continue
        target = t.get("target", {})
        rows.append(
            f"| throughput {profile}: {t['lines']:,} lines (~{t['bytes'] / 1e6:.1f} MB), {t['viewers']} viewers, "
            f"median of {t['repeats']} | {t['portal_s']:.2f} s | Fabric {t['fabric_s']:.2f} s; ssh {t['ssh_s']:.2f} s "
            f"| {t['ratio_vs_fabric']} × Fabric; {t['ratio_vs_ssh']} × ssh | ≤ {target.get('ratio_vs_fabric_max')} × "
            f"Fabric: {_ok(t['meets_target'])} (aim ≤ {target.get('aim')}) |"
        )
        rows.append(
            f"| … every viewer got every line once, in order | {t['viewers_all_lines_once_in_order']} "
            f"({', '.join(str(n) for n in t['viewer_out_lines'])} lines each) | | | no line lost: "
            f"{_ok(t['viewers_all_lines_once_in_order'])} |"
        )
        one = t.get("portal_1_viewer")
        if one:
            ot = one.get("target", {})
            rows.append(
                f"| … the same step, 1 viewer | {one['wall_s']:.2f} s (step itself {one['step_seconds']} s) | "
                f"Fabric {t['fabric_s']:.2f} s | {one.get('ratio_vs_fabric')} × Fabric | "
                + (
                    f"≤ {ot['ratio_vs_fabric_max']} × Fabric: {_ok(one.get('meets_target'))} (aim ≤ {ot['aim']}) |"
                    if profile == "embedded" and ot
                    else "(none) |"
                )
            )
        if t.get("wire_bytes_per_line") is not None:
            wt = t.get("wire_target", {"max": 70, "aim": 60})
            rows.append(
                f"| … bytes on the wire per viewer per line (51-byte lines) | {t['wire_bytes_per_line']} | | | "
                f"≤ {wt['max']}: {_ok(t['wire_bytes_per_line'] <= wt['max'])} (aim ≤ {wt['aim']}) |"
            )
        d = t.get("deflate")
        if d and profile == "embedded":
            one_level = d["level_1"]
            rows.append(
                f"| … permessage-deflate (level 1, estimated) | {one_level['ratio']} of the bytes; "
                f"{one_level['cpu_s_all_viewers']} s CPU to compress for {t['viewers']} viewers, "
                f"{d['inflate_cpu_s_per_viewer']} s to inflate per viewer | | | not used (see below) |"
            )
    for db, key in (("sqlite", "ratio_vs_executemany"), ("postgresql", "ratio_vs_copy")):
        p = _get(f, "persistence", db, default={})
        if "store_lines_s" in p:
            rows.append(
                f"| persistence alone, {db}: {p['lines']:,} lines in batches of {p['batch']:,} | store_lines "
                f"{p['store_lines_s']:.2f} s; whole StepLog {p['steplog_s']:.2f} s | {p['raw']} {p['raw_s']:.2f} s | "
                f"{p[key]} ×; StepLog {p['steplog_' + key]} × | (none) |"
            )
        elif p:
            rows.append(f"| persistence alone, {db} | not measured: {p.get('not_measured') or p.get('error')} | | | |")
    for profile in ("embedded", "production"):
        lat = _get(f, "latency", profile, default={})
        for rate in ("slow", "fast"):
            x = lat.get(rate)
            if x:
                pm, sm = x["portal_ms"], x["ssh_ms"]
                rows.append(
                    f"| latency {profile}, {x['rate_lines_per_s']:,} lines/s, {lat['viewers']} viewers: p50/p95/p99 | "
                    f"{pm['p50']}/{pm['p95']}/{pm['p99']} ms | ssh {sm['p50']}/{sm['p95']}/{sm['p99']} ms | "
                    f"{x['ratio_vs_ssh']} × ssh (p95) | p95 ≤ {x['target_p95_ms']} ms: {_ok(x['meets_target'])}"
                    + (" (aim ≤ 50) |" if x["rate_lines_per_s"] >= 5000 else " |")
                )
        if lat and "slow" not in lat:
            rows.append(f"| latency {profile} | not measured: {lat.get('not_measured') or lat.get('error')} | | | |")
    c = f.get("concurrency", {})
    if "run_page_ms" in c:
        rows.append(
            f"| {c['runs']} runs at once: run page p50/p95 | {c['run_page_ms']['p50']}/{c['run_page_ms']['p95']} ms | "
            f"idle {c['idle_run_page_ms']['p50']}/{c['idle_run_page_ms']['p95']} ms | {c['run_page_ratio_vs_idle']} × "
            f"idle (p95) | (none) |"
        )
        rows.append(
            f"| {c['runs']} runs at once: log API p50/p95 | {c['log_api_ms']['p50']}/{c['log_api_ms']['p95']} ms | "
            f"idle {c['idle_log_api_ms']['p50']}/{c['idle_log_api_ms']['p95']} ms | {c['log_api_ratio_vs_idle']} × "
            f"idle (p95) | (none) |"
        )
    pg = f.get("pages", {})
    if "busy_ms" in pg:
        for name, busy in pg["busy_ms"].items():
            idle = pg["idle_ms"][name]
            rows.append(
                f"| pages, {pg['runs_in_progress']} runs in progress: {name.replace('_', ' ')} p50/p95 | "
                f"{busy['p50']}/{busy['p95']} ms | idle {idle['p50']}/{idle['p95']} ms | "
                f"{pg['ratio_vs_idle_p95'][name]} × idle (p95) | p95 ≤ {pg['target_p95_ms']} ms: "
                f"{_ok(busy['p95'] is not None and busy['p95'] <= pg['target_p95_ms'])} |"
            )
    b = f.get("big_step", {})
    if "browser" in b:
        br, dl = b["browser"], b["download"]
        rows.append(
            f"| {b['lines']:,}-line step: stored and finished | {b['step_done_s']:.1f} s | ssh {b['ssh_s']:.1f} s | "
            f"{b['step_ratio_vs_ssh']} × ssh | ≤ 6 × ssh: {_ok(b.get('step_meets_target'))} (aim ≤ 3) |"
        )
        rows.append(
            f"| {b['lines']:,}-line step: tail visible in Chromium | {br.get('tail_visible_s')} s | | | ≤ 2 s: "
            f"{_ok(br.get('meets_target'))} |"
        )
        rows.append(
            f"| … page responsive: evaluate p95, longest task, scroll-up loads earlier lines | "
            f"{_get(br, 'evaluate_round_trip_ms', 'p95')} ms, {br.get('longest_task_ms')} ms, "
            f"{br.get('earlier_lines_on_scroll_s')} s | | | responsive: {_ok(br.get('responsive'))} |"
        )
        rows.append(
            f"| {b['lines']:,}-line step: full download | {dl['seconds']:.1f} s, {dl['lines']:,} lines, "
            f"{dl['bytes'] / 1e6:.0f} MB | ssh {dl['ssh_s']:.1f} s | {dl['ratio_vs_ssh']} × ssh | complete: "
            f"{_ok(dl['complete'])} |"
        )
    r = f.get("reports", {})
    if "page_ms" in r:
        page, empty, pdf = r["page_ms"], r["empty_page_ms"], r["pdf_s"]
        rows.append(
            f"| domain report page, {r['servers']} servers, {r['runs']:,} runs (one year): p50/p95 | "
            f"{page['p50']}/{page['p95']} ms | empty domain {empty['p50']}/{empty['p95']} ms | "
            f"{r['page_ratio_vs_empty']} × empty (p95) | p95 ≤ 500 ms: {_ok(r['meets_page_target'])} |"
        )
        rows.append(
            f"| domain report PDF, same domain: p50/max | {pdf['p50']}/{pdf['max']} s "
            f"({r['pdf_bytes'] / 1e3:.0f} kB) | | | ≤ 10 s: {_ok(r['meets_pdf_target'])} |"
        )
        rows.append(
            f"| … queries per report (the test asserts the count does not grow) | {r['queries']['big']} | "
            f"empty domain {r['queries']['empty']} | | (none) |"
        )
    head = (
        f"Run of {report['generated_at']} ({report['mode']}), {report.get('total_s', '?')} s in all. Machine: "
        f"{m['nproc']} × {m['cpu_model']}, Python {m['python']}, load average at start "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}."
    )
    return head + "\n\n" + "\n".join(rows) + "\n"


def update_readme(readme: Path, report: dict) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        return
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{table(report)}{END}{after}")


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.json"
    print(table(json.loads(path.read_text())))
