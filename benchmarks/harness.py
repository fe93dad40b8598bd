"""The parts every figure uses: the lab, the inventory and people, a real Daphne (and Celery), HTTP and viewers.

Everything here is the real thing: OpenSSH lab nodes, the portal's ASGI app served by Daphne in its own
process, websocket clients from the ``websockets`` package with a logged-in session cookie, runs started
by an operator's POST like the run page's button. Nothing on the measured path is replaced.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SSH_PORT = 2222
FINAL_STEP_STATES = {"succeeded", "failed", "interrupted", "awaiting_signoff", "confirmed", "skipped"}


# ---------------------------------------------------------------- numbers


def percentiles(values: list[float], scale: float = 1000.0) -> dict:
    """p50/p95/p99/max (in ms by default) of a sample; an empty sample gives nulls."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * scale, 2)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1] * scale, 2)}


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return round(value / baseline, 2)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children so far (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12)) / ticks


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "load_average_at_start": [round(x, 2) for x in load],
    }


# ---------------------------------------------------------------- remote commands


def flood_command(lines: int) -> str:
    """``lines`` numbered lines of 51 bytes each (100,000 lines ≈ 5.1 MB), printed as fast as awk can."""
    program = f'BEGIN{{for(i=1;i<={lines};i++)printf "line %07d of %07d abcdefghijklmnopqrstuvwxyz\\n",i,{lines}}}'
    return f"awk {shlex.quote(program)}"


def flood_number(text: str) -> int:
    return int(text[5:12])


PACED = r"""
import sys, time
rate, n = float(sys.argv[1]), int(sys.argv[2])
out, flush, clock, sleep = sys.stdout.write, sys.stdout.flush, time.time, time.sleep
start = clock()
for i in range(n):
    ahead = start + i / rate - clock()
    if ahead > 0:
        sleep(ahead)
    out("lat %d %.6f pad-pad-pad-pad-pad\n" % (i, clock()))
    flush()
"""


def paced_command(rate: float, lines: int) -> str:
    """``lines`` lines at ``rate`` lines/s, each carrying the node's clock when it was printed (flushed per line)."""
    return f"python3 -c {shlex.quote(PACED)} {rate} {lines}"


def printed_at(text: str) -> float:
    return float(text.split()[2])


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


class Service:
    """A child process (Daphne, a Celery worker) in its own process group, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None):
        self.name, self.log_path = name, log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(  # noqa: S603 - the venv's own programs
            argv,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env or os.environ.copy(),
            cwd=ROOT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        """CPU seconds of the process and of its live children (Celery's pool processes, if any)."""
        total = cpu_seconds(self.pid)
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            children = []
        return total + sum(cpu_seconds(int(c)) for c in children)

    def stop(self, first: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None and first != signal.SIGTERM:
            os.kill(self.proc.pid, first)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


class Portal:
    """Daphne serving ``portal.asgi`` (and, in the production profile, a Celery worker), all in the bench env."""

    def __init__(self, folder: Path, *, celery: bool, profile_to: Path | None = None):
        self.folder, self.with_celery, self.profile_to = folder, celery, profile_to
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.daphne = self.worker = None

    def __enter__(self) -> Portal:
        daphne = ["-b", "127.0.0.1", "-p", str(self.port), "portal.asgi:application"]
        if self.profile_to:  # Daphne's event loop (the consumers) under pyinstrument; it writes on SIGINT
            # --show-all: what Daphne's time goes to is mostly library code (channels, autobahn, twisted, redis)
            argv = [sys.executable, "-m", "pyinstrument", "-i", "0.002", "-r", "text", "--show-all",
                    "-o", str(self.profile_to), "-m", "daphne", *daphne]  # fmt: skip
        else:
            argv = [str(BIN / "daphne"), *daphne]
        self.daphne = Service("daphne", argv, self.folder / "daphne.log")
        if self.with_celery:
            self.worker = Service(
                "celery",
                [str(BIN / "celery"), "-A", "portal", "worker", "-P", "threads", "-c", "12", "-l", "info",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                self.folder / "celery.log",
            )  # fmt: skip
        wait_for_port(self.port, self.daphne.proc, "daphne")
        if self.worker is not None:
            self._wait_for_celery()
        return self

    def _wait_for_celery(self, timeout: float = 90) -> None:
        """The worker logs "ready" once it consumes from the broker (``-l info``)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.worker.proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {self.worker.log_path}")
            if b" ready." in self.worker.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"the Celery worker did not get ready; see {self.worker.log_path}")

    def __exit__(self, *exc_info) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.daphne.stop(signal.SIGINT if self.profile_to else signal.SIGTERM)

    def cpu(self) -> dict:
        out = {"daphne": self.daphne.cpu()}
        if self.worker is not None:
            out["celery"] = self.worker.cpu()
        return out


# ---------------------------------------------------------------- HTTP as a logged-in person


@dataclass
class Session:
    """A person logged in to the portal: the session cookie (made by Django's own login) and a CSRF pair."""

    username: str
    sessionid: str
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def cookie(self) -> str:
        return f"sessionid={self.sessionid}; csrftoken={self.csrf}"


def request(portal: Portal, session: Session, method: str, path: str, body: bytes | None = None):
    """One HTTP request on a fresh connection: (status, body, seconds until the whole body was read)."""
    headers = {"Cookie": session.cookie, "Accept-Language": "en", "Host": f"127.0.0.1:{portal.port}"}
    if method == "POST":
        headers.update({"X-CSRFToken": session.csrf, "Content-Type": "application/x-www-form-urlencoded"})
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started
    finally:
        conn.close()


def stream_lines(portal: Portal, session: Session, path: str) -> tuple[int, int, int, float, str]:
    """GET a (large) text body in blocks without keeping it: (status, bytes, lines, seconds, last line)."""
    headers = {"Cookie": session.cookie, "Host": f"127.0.0.1:{portal.port}"}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=600)
    size = lines = 0
    tail = b""
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        while block := response.read(1 << 20):
            size += len(block)
            lines += block.count(b"\n")
            tail = (tail + block)[-4096:]
        last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
        return response.status, size, lines, time.perf_counter() - started, last
    finally:
        conn.close()


def start_run(portal: Portal, operator: Session, run_id: int) -> None:
    """The operator presses Start on the run page (POST, CSRF and all); the portal dispatches step 1."""
    status, _body, _t = request(portal, operator, "POST", f"/procedures/runs/{run_id}/start/", b"")
    if status != 302:
        raise RuntimeError(f"starting run {run_id} answered HTTP {status}")


# ---------------------------------------------------------------- websocket viewers


class Viewer:
    """One browser's worth of websocket: checks every log line arrives once and in order, notes arrival times."""

    def __init__(self, portal: Portal, session: Session, run_id: int, step_id: int, kind: str):
        self.url = f"ws://127.0.0.1:{portal.port}/ws/runs/{run_id}/"
        self.origin = portal.base
        self.cookie = session.cookie
        self.step_id, self.kind = step_id, kind  # kind: "flood" (numbered lines) or "paced" (timestamped)
        self.last_seq = 0
        self.lines = self.duplicates = self.holes = self.bytes = 0
        self.out_lines = 0
        self.out_in_order = True
        self.latencies: list[float] = []
        self.first_line_at: float | None = None
        self.last_line_at: float | None = None
        self.done_at: float | None = None
        self.final_state = ""
        self.connected = asyncio.Event()

    async def watch(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url, origin=self.origin, additional_headers={"Cookie": self.cookie}, max_size=None,
            open_timeout=30, ping_interval=None,
        ) as ws:  # fmt: skip
            self.connected.set()
            async for raw in ws:
                now = time.time()
                self.bytes += len(raw)
                for m in json.loads(raw):
                    if m["type"] == "lines":
                        self._lines(m, now)
                    elif m["type"] == "step" and m["step"] == self.step_id and m["state"] in FINAL_STEP_STATES:
                        self.done_at, self.final_state = now, m["state"]
                        return

    def _lines(self, m: dict, now: float) -> None:
        """One ``lines`` message (procedures.live.emitter): the lines numbered ``seq``, ``seq + 1``, …"""
        first, texts = m["seq"], m["text"]
        if first <= self.last_seq:  # lines already seen
            skip = min(len(texts), self.last_seq - first + 1)
            self.duplicates += skip
            texts, first = texts[skip:], first + skip
            if not texts:
                return
        if first != self.last_seq + 1:
            self.holes += 1
        self.last_seq = first + len(texts) - 1
        self.lines += len(texts)
        if m["stream"] != "out" or m["step"] != self.step_id:
            return
        if self.first_line_at is None:
            self.first_line_at = now
        self.last_line_at = now
        done = self.out_lines
        self.out_lines += len(texts)
        if self.kind == "flood":
            if any(flood_number(text) != done + i for i, text in enumerate(texts, start=1)):
                self.out_in_order = False
        else:
            for i, text in enumerate(texts):
                self.latencies.append(now - printed_at(text))
                if int(text.split()[1]) != done + i:
                    self.out_in_order = False

    def report(self, expected_out: int) -> dict:
        return {
            "log_lines": self.lines,
            "frame_chars": self.bytes,
            "out_lines": self.out_lines,
            "duplicates": self.duplicates,
            "holes": self.holes,
            "in_order": self.out_in_order and self.holes == 0,
            "all_once_in_order": self.out_lines == expected_out
            and self.duplicates == 0
            and self.holes == 0
            and self.out_in_order,
            "final_state": self.final_state,
        }


async def watch_run(viewers: list[Viewer], start, timeout: float) -> float:
    """Connect every viewer, then call ``start()`` (in a thread); returns the wall clock just before the start."""
    tasks = [asyncio.create_task(v.watch()) for v in viewers]
    await asyncio.wait_for(asyncio.gather(*(v.connected.wait() for v in viewers)), 60)
    await asyncio.sleep(0.3)  # every consumer has joined the group and read its (empty) backlog
    t0 = time.time()
    await asyncio.to_thread(start)
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            raise task.exception()
    if pending:
        raise RuntimeError(f"{len(pending)} viewer(s) did not see the step finish within {timeout} s")
    return t0


# ---------------------------------------------------------------- the baselines


class SshClient:
    """The machine's ``ssh`` client against a lab node, with the lab's pinned host keys and the portal's key."""

    def __init__(self, lab, folder: Path):
        from tests.fixtures.lab import LabSsh

        self.ssh = LabSsh(lab, folder)

    def timed(self, host: str, command: str) -> float:
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603
            [*self.ssh.argv(host), command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"ssh {host}: {result.stderr.decode()[-300:]}")
        return time.perf_counter() - started

    def latencies(self, host: str, command: str) -> list[float]:
        proc = subprocess.Popen(  # noqa: S603
            [*self.ssh.argv(host), command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        found = []
        for raw in proc.stdout:
            found.append(time.time() - printed_at(raw.decode()))
        proc.wait()
        return found


def fabric_timed(node, key_path: str, command: str) -> float:
    """Bare Fabric 3: connect with the key, run with output hidden (Fabric's defaults otherwise), close."""
    from fabric import Connection

    started = time.perf_counter()
    conn = Connection(
        host=node.ssh_address, port=node.ssh_port, user="root",
        connect_kwargs={"key_filename": key_path, "look_for_keys": False, "allow_agent": False},
    )  # fmt: skip
    try:
        conn.run(command, hide=True, in_stream=False)
    finally:
        conn.close()
    return time.perf_counter() - started
