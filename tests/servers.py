"""A PostgreSQL and a Redis of the test session's own for the production-profile suite (tests/prod).

A pytest plugin, loaded with ``-p tests.servers``: ``make test`` runs
``.venv/bin/python -m pytest -p tests.servers tests/prod`` (``-m`` puts the checkout on ``sys.path``, which
``-p`` needs). When tests/prod is among the paths and ``DATABASE_URL`` or ``REDIS_URL`` is not set, it starts
what is missing in a new temporary folder, on free ports of 127.0.0.1: PostgreSQL from Debian's package
(through ``bin/pg_ctl``, with pytest-postgresql's executor) and ``redis-server`` (with pytest-redis's). It
sets the URLs for this process and every process it starts, and when pytest ends it stops both and removes
the folder. Whatever servers the machine runs on its standard ports are never touched; a URL the user set
is used as it is.

It has to run in ``pytest_load_initial_conftests``, ahead of pytest-django: the settings choose the profile
from these variables when Django starts, before any conftest or fixture could start a server.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROD_SUITE = ROOT / "tests" / "prod"
PG_CTL = ROOT / "bin" / "pg_ctl"
HOST = "127.0.0.1"
# A throw-away cluster: no crash safety needed, and the suite's many small transactions go faster.
PG_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def prod_suite_named(invocation_dir: Path, args) -> bool:
    """Whether the command line names tests/prod or a path inside it (a plain ``pytest`` leaves it out)."""
    named = [(Path(invocation_dir) / str(arg).split("::")[0]).resolve() for arg in args]
    return any(p == PROD_SUITE or PROD_SUITE in p.parents for p in named)


@dataclass
class PrivateServers:
    """What this session started: the folder, the executors and the URLs handed to the settings."""

    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    executors: list = field(default_factory=list)
    described: list[str] = field(default_factory=list)

    def start_postgresql(self, options: str = PG_OPTIONS) -> None:
        """``options``: the server's command-line settings (the benchmarks pass "" to measure real commits)."""
        from port_for import get_port
        from pytest_postgresql.executors import PostgreSQLExecutor

        pg_dir = self.folder / "postgresql"
        pg_dir.mkdir()
        if os.geteuid() == 0:  # bin/pg_ctl runs PostgreSQL as `postgres`: the folder must be that user's
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise pytest.UsageError(
                    "tests/prod: PostgreSQL cannot run as root and the user postgres is missing: "
                    "run bin/system-deps --test (Debian package postgresql)"
                ) from None
            self.folder.chmod(0o711)
            os.chown(pg_dir, account.pw_uid, account.pw_gid)
        port = get_port(None)
        executor = PostgreSQLExecutor(
            executable=str(PG_CTL),
            host=HOST,
            port=port,
            datadir=str(pg_dir / "data"),
            unixsocketdir=str(pg_dir),
            logfile=str(pg_dir / "postgresql.log"),
            startparams="-w",
            dbname="portal",
            user="postgres",
            postgres_options=options,
        )
        self.executors.append(executor)
        executor.start()
        self.env["DATABASE_URL"] = f"postgres://postgres@{HOST}:{port}/portal"
        self.described.append(f"PostgreSQL {executor.version} on {HOST}:{port}")

    def start_redis(self) -> None:
        from port_for import get_port
        from pytest_redis.executor import RedisExecutor

        executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.access(executable, os.X_OK):
            raise pytest.UsageError("tests/prod: redis-server is missing: run bin/system-deps --test")
        redis_dir = self.folder / "redis"
        redis_dir.mkdir()
        port = get_port(None)
        executor = RedisExecutor(
            executable=executable,
            databases=16,
            redis_timeout=0,
            loglevel="notice",
            host=HOST,
            port=port,
            datadir=redis_dir,
        )
        self.executors.append(executor)
        executor.start()
        self.env["REDIS_URL"] = f"redis://{HOST}:{port}/0"
        self.described.append(f"Redis {executor.version} on {HOST}:{port}")

    def stop(self) -> None:
        """Stops what started, newest first, then removes the folder with the data and the logs."""
        while self.executors:
            executor = self.executors.pop()
            try:
                executor.stop()
            except Exception as e:  # the other server must still be stopped
                print(f"tests/prod: stopping {executor.command} failed: {e}")
        shutil.rmtree(self.folder, ignore_errors=True)


SERVERS = pytest.StashKey[PrivateServers]()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    namespace = early_config.known_args_namespace
    if not prod_suite_named(early_config.invocation_params.dir, namespace.file_or_dir or []):
        return
    wanted = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if not wanted:
        return
    servers = PrivateServers(folder=Path(tempfile.mkdtemp(prefix="portal-test-servers-")))
    early_config.add_cleanup(servers.stop)
    try:
        if "DATABASE_URL" in wanted:
            servers.start_postgresql()
        if "REDIS_URL" in wanted:
            servers.start_redis()
    except pytest.UsageError:
        servers.stop()
        raise
    except Exception as e:
        log = servers.folder / "postgresql" / "postgresql.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        servers.stop()
        raise pytest.UsageError(f"tests/prod: a private server did not start: {e!r}\n{tail}") from e
    os.environ.update(servers.env)
    early_config.stash[SERVERS] = servers


def pytest_report_header(config):
    servers = config.stash.get(SERVERS, None)
    if servers is None:
        return None
    return f"tests/prod on servers of its own in {servers.folder}: " + ", ".join(servers.described)


def private_servers(config) -> PrivateServers | None:
    """The servers this session started, or None when the user's DATABASE_URL and REDIS_URL are used."""
    return config.stash.get(SERVERS, None)
