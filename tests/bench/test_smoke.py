"""The benchmark harness, run with tiny sizes so it does not rot: every figure is produced, every viewer
got every line once and in order. No timing is asserted here (timings belong to benchmarks/README.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.lab import require_sshd
from tests.support import require_binary

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.lab, pytest.mark.browser, pytest.mark.prod, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, postgresql_admin_url, redis_url):
    require_sshd()
    require_binary("chromium")
    out = tmp_path_factory.mktemp("bench")
    servers = {"PORTAL_BENCH_POSTGRES": postgresql_admin_url, "PORTAL_BENCH_REDIS": redis_url}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out-dir", str(out)],
        cwd=ROOT, env={**os.environ, **servers}, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    report = json.loads((out / "latest.json").read_text())
    assert len(list(out.glob("*.json"))) == 2  # latest and a dated copy
    return report


def viewers_of(figure: dict) -> list[dict]:
    """The viewers' summaries (benchmarks.figures.viewers_summary), one per pass."""
    passes = figure.get("passes") or [figure]
    return [p["viewers"] for p in passes]


def test_every_figure_is_measured_with_its_baseline_and_ratio(smoke):
    f = smoke["figures"]
    assert set(f) == {
        "throughput",
        "throughput_production",
        "persistence",
        "latency",
        "concurrency",
        "big_step",
        "reports",
        "pages",
    }
    assert {"nproc", "cpu_model", "python"} <= set(smoke["machine"])
    t = f["throughput"]
    assert t["portal_s"] > 0 and t["fabric_s"] > 0 and t["ssh_s"] > 0
    assert t["ratio_vs_fabric"] and t["ratio_vs_ssh"]
    assert t["portal_1_viewer"]["ratio_vs_fabric"] and t["wire_bytes_per_line"]
    assert f["throughput_production"]["ratio_vs_fabric"] and f["throughput_production"]["wire_bytes_per_line"]
    assert f["persistence"]["sqlite"]["ratio_vs_executemany"]
    assert f["persistence"]["postgresql"]["ratio_vs_copy"]
    for lines in ("sqlite", "postgresql"):
        p = f["persistence"][lines]
        assert p["steplog_stored"] == p["raw_stored"] == p["lines"]
    for profile in ("embedded", "production"):
        for rate in ("slow", "fast"):
            figure = f["latency"][profile][rate]
            assert figure["portal_ms"]["p95"] is not None and figure["ssh_ms"]["p95"] is not None
            assert figure["ratio_vs_ssh"]
    c = f["concurrency"]
    assert c["runs"] == smoke["sizes"]["concurrent_runs"]
    assert c["all_runs_succeeded"] and c["all_lines_stored"] and not c["errors"]
    assert c["run_page_ms"]["p95"] and c["log_api_ms"]["p95"] and c["run_page_ratio_vs_idle"]
    pages = f["pages"]
    assert pages["runs_in_progress"] == smoke["sizes"]["pages_runs"] and not pages["errors"]
    assert set(pages["busy_ms"]) == set(pages["idle_ms"]) >= {"home", "runs_list", "run_page", "plan_page"}
    assert all(v["p95"] is not None for v in pages["busy_ms"].values())


def test_each_viewer_got_every_line_once_and_in_order(smoke):
    f = smoke["figures"]
    t = f["throughput"]
    for figure in (t, f["throughput_production"]):
        viewers = viewers_of(figure)
        assert sum(v["count"] for v in viewers) == figure["viewers"] * figure["repeats"]
        assert all(v["out_lines"] == [figure["lines"]] for v in viewers)
        assert all(v["duplicates"] == 0 and v["holes"] == 0 and v["all_once_in_order"] for v in viewers)
    for profile in ("embedded", "production"):
        for rate in ("slow", "fast"):
            figure = f["latency"][profile][rate]
            assert figure["viewers"]["out_lines"] == [figure["lines"]]
            assert figure["viewers"]["count"] == smoke["sizes"]["viewers"]
            assert figure["viewers_all_lines_once_in_order"]


def test_the_big_step_shows_its_tail_in_chromium_and_downloads_whole(smoke):
    big = smoke["figures"]["big_step"]
    assert big["step_state"] == "succeeded" and big["stored_out_lines"] == big["lines"]
    assert big["browser"]["tail_visible_s"] is not None
    assert big["download"]["complete"], big["download"]


def test_the_report_figure_measures_a_page_a_pdf_and_an_empty_domain(smoke):
    r = smoke["figures"]["reports"]
    assert 0 < r["runs_in_period"] <= smoke["sizes"]["report_runs"] and not r["errors"]
    assert r["page_ms"]["p95"] and r["empty_page_ms"]["p95"] and r["pdf_s"]["max"]
    assert r["queries"]["big"] >= r["queries"]["empty"] > 0
