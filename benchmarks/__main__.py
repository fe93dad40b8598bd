"""``python -m benchmarks [--smoke] [--figures a,b] [--out-dir DIR] [--no-production]``.

Brings up a lab on a free 127.x octet, then runs one process per profile (``benchmarks.worker``):
embedded (temporary SQLite file, in-memory channel layer, executor threads inside Daphne) and production
(a fresh PostgreSQL database, Redis, a Celery worker: servers of the bench's own, started as the test suite
starts them, unless PORTAL_BENCH_POSTGRES and PORTAL_BENCH_REDIS name others). Writes ``latest.json`` and a dated
copy into the output folder (``benchmarks/results/`` for a full run; a temporary folder for ``--smoke``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.harness import ROOT, machine

FULL = {
    "clusters": 10,
    "viewers": 20,
    "repeats": 3,
    "throughput_lines": 100_000,
    "persist_lines": 100_000,
    "latency_slow_s": 30,
    "latency_fast_s": 10,
    "concurrent_runs": 10,
    "concurrent_rate": 500,
    "concurrent_s": 20,
    "big_lines": 1_000_000,
    "report_servers": 200,
    "report_runs": 20_000,
    "report_requests": 20,
    "report_pdf_repeats": 3,
    "pages_runs": 20,
    "pages_samples": 30,
    "pages_log_rate": 5,
    "timeout": 300,
}
SMOKE = {
    "clusters": 2,
    "viewers": 20,
    "repeats": 1,
    "throughput_lines": 2_000,
    "persist_lines": 2_000,
    "latency_slow_s": 0.5,
    "latency_fast_s": 0.2,
    "concurrent_runs": 2,
    "concurrent_rate": 50,
    "concurrent_s": 1,
    "big_lines": 5_000,
    "report_servers": 4,
    "report_runs": 40,
    "report_requests": 2,
    "report_pdf_repeats": 1,
    "pages_runs": 2,
    "pages_samples": 2,
    "pages_log_rate": 5,
    "timeout": 60,
}
EMBEDDED_FIGURES = ("throughput", "persistence", "latency", "concurrency", "big_step", "reports", "pages")
PRODUCTION_FIGURES = ("throughput", "persistence", "latency")
# The production variant's servers: PORTAL_BENCH_POSTGRES (a superuser's URL) and PORTAL_BENCH_REDIS, else a
# PostgreSQL and a Redis of the bench's own, started on free ports by the test suite's code (tests/servers.py)
# and removed afterwards: the machine's own servers on the standard ports are never written to. The test
# suite's smoke run (tests/bench) passes servers it started itself.
PG_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "")
REDIS = os.environ.get("PORTAL_BENCH_REDIS", "")


def _env(folder: Path, profile: str, database_url: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "PORTAL_VAR_DIR": str(folder / "var"),
            "PORTAL_PROFILE": profile,
            "PORTAL_LOG_LEVEL": "ERROR",
            "PORTAL_LAB_DIR": str(folder / "var" / "lab"),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("PORTAL_DISPATCH", None)
    if profile == "production":
        env.update({"DATABASE_URL": database_url, "REDIS_URL": REDIS, "CELERY_BROKER_URL": REDIS})
    return env


def _private_servers():
    """Start what PORTAL_BENCH_POSTGRES / PORTAL_BENCH_REDIS do not name; the servers object (to stop) or None."""
    global PG_ADMIN, REDIS
    if PG_ADMIN and REDIS:
        return None
    from tests.servers import PrivateServers

    servers = PrivateServers(folder=Path(tempfile.mkdtemp(prefix="portal-bench-servers-")))
    try:
        if not PG_ADMIN:
            # Durable settings, unlike the test suite's throw-away cluster: commits cost what they cost in production.
            servers.start_postgresql(options="")
            PG_ADMIN = servers.env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        if not REDIS:
            servers.start_redis()
            REDIS = servers.env["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    except BaseException:
        servers.stop()
        raise
    print("production profile on servers of the bench's own: " + ", ".join(servers.described), flush=True)
    return servers


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _worker(
    profile: str, figures, sizes: dict, lab_root: Path, folder: Path, env: dict, out_dir: Path, profiling: bool
) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "result.json"
    argv = [sys.executable, "-m", "benchmarks.worker", "--profile-name", profile, "--lab", str(lab_root), "--folder",
            str(folder), "--sizes", json.dumps(sizes), "--figures", ",".join(figures), "--out", str(out),
            "--out-dir", str(out_dir), *(["--profile"] if profiling else [])]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=ROOT, check=False)  # noqa: S603
    result = json.loads(out.read_text()) if out.exists() else {}
    result["worker_exit"] = proc.returncode
    result["worker_s"] = round(time.perf_counter() - started, 1)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="every figure with tiny sizes (seconds, not minutes)")
    parser.add_argument("--figures", default="", help="comma-separated subset of: " + ", ".join(EMBEDDED_FIGURES))
    parser.add_argument("--out-dir", default="", help="where latest.json goes (default benchmarks/results)")
    parser.add_argument("--no-production", action="store_true", help="skip the PostgreSQL + Redis + Celery variant")
    parser.add_argument("--size", action="append", default=[], metavar="KEY=N", help="override a size: repeats=1")
    parser.add_argument(
        "--parallel",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the two profiles at the same time (default: only with --smoke, where timings do not matter)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write pyinstrument profiles (the portal's parts, Daphne's event loop) to OUT_DIR/profiles",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs of Daphne, Celery)")
    args = parser.parse_args(argv)

    sizes = dict(SMOKE if args.smoke else FULL)
    for item in args.size:
        key, _, value = item.partition("=")
        if key not in sizes:
            parser.error(f"unknown size {key!r}; known: {', '.join(sizes)}")
        sizes[key] = type(sizes[key])(float(value)) if isinstance(sizes[key], int) else float(value)
    wanted = [f for f in args.figures.split(",") if f] or list(EMBEDDED_FIGURES)
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if args.out_dir:
        out_dir = Path(args.out_dir)
    elif args.smoke:  # a smoke run's figures mean nothing: never over the committed results
        out_dir = Path(tempfile.mkdtemp(prefix="portal-bench-smoke-results-"))
    else:
        out_dir = ROOT / "benchmarks/results"
    os.environ.update(_env(tmp / "setup", "embedded"))  # the lab builds its folders; no database is touched here
    from benchmarks.world import bench_spec
    from clusters.lab import Lab

    started = time.perf_counter()
    report = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "smoke" if args.smoke else "full",
        "sizes": sizes,
        "machine": machine(),
        "note": "measured on a shared 2-core machine while other agents were working on it; "
        "every ratio compares two figures taken minutes apart in the same run",
    }
    lab = Lab.from_spec(bench_spec(sizes["clusters"]), tmp / "lab")
    database = f"portal_bench_{os.getpid()}"
    servers = None
    try:
        lab.up()
        jobs = {"embedded": ([*wanted, *(["profiles"] if args.profile else [])], _env(tmp / "embedded", "embedded"))}
        production_figures = [f for f in PRODUCTION_FIGURES if f in wanted]
        reason = ""
        if args.no_production:
            reason = "skipped by --no-production"
        elif production_figures or args.profile:
            try:
                servers = _private_servers()
                _pg(f'CREATE DATABASE "{database}"')
                url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
                figs = [*production_figures, *(["profiles"] if args.profile else [])]
                jobs["production"] = (figs, _env(tmp / "production", "production", url))
            except Exception as e:
                reason = f"PostgreSQL at {PG_ADMIN} could not be used: {e.__class__.__name__}: {e}"
        parallel = args.smoke if args.parallel is None else args.parallel
        with ThreadPoolExecutor(max_workers=len(jobs) if parallel else 1) as pool:
            futures = {
                name: pool.submit(_worker, name, figs, sizes, lab.root, tmp / name, env, out_dir, args.profile)
                for name, (figs, env) in jobs.items()
            }
            results = {name: future.result() for name, future in futures.items()}
        embedded, production = results["embedded"], results.get("production", {})
    finally:
        lab.down()
        if servers is not None:
            servers.stop()  # and its folder with the data
        elif PG_ADMIN:
            try:
                _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            except Exception as e:
                print(f"could not drop {database}: {e}", file=sys.stderr)

    def part(profile_result: dict, name: str):
        if name in profile_result:
            return profile_result[name]
        return {"not_measured": reason or f"the {profile_result.get('profile', 'profile')} run ended early"}

    figures: dict = {}
    if "throughput" in wanted:
        figures["throughput"] = part(embedded, "throughput")
        figures["throughput_production"] = part(production, "throughput")
    if "persistence" in wanted:
        figures["persistence"] = {
            "sqlite": part(embedded, "persistence"),
            "postgresql": part(production, "persistence"),
        }
    if "latency" in wanted:
        figures["latency"] = {"embedded": part(embedded, "latency"), "production": part(production, "latency")}
    if "concurrency" in wanted:
        figures["concurrency"] = part(embedded, "concurrency")
    if "big_step" in wanted:
        figures["big_step"] = part(embedded, "big_step")
    if "reports" in wanted:
        figures["reports"] = part(embedded, "reports")
    if "pages" in wanted:
        figures["pages"] = part(embedded, "pages")
    if args.profile:
        figures["profiles"] = {"embedded": part(embedded, "profiles"), "production": part(production, "profiles")}
    report["figures"] = figures
    report["workers"] = {
        name: {k: r.get(k) for k in ("worker_exit", "worker_s", "setup_migrate_s")}
        for name, r in (("embedded", embedded), ("production", production))
        if r
    }
    report["total_s"] = round(time.perf_counter() - started, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "latest.json").write_text(text)
    (out_dir / f"{dt.date.today().isoformat()}{'-smoke' if args.smoke else ''}.json").write_text(text)
    print(f"wrote {out_dir / 'latest.json'}")
    if not args.smoke and not args.figures and out_dir == ROOT / "benchmarks/results":
        from benchmarks.report import update_readme

        update_readme(ROOT / "benchmarks/README.md", report)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    failed = [n for n, r in (("embedded", embedded), ("production", production)) if r and r.get("worker_exit")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
