"""SSH connections with pinned host keys, and a fast command runner on Fabric's connection.

Fabric's ``Connection`` auto-adds any host key and never reads known_hosts; here the inventory's stored key
is loaded into the paramiko client and every other key is refused *before* the first ``open()``. Commands
are read straight from the paramiko channel in large blocks, stdout and stderr apart, and handed on as bytes
(the log writer splits and decodes them, so a UTF-8 character split across blocks stays whole), with a
time-out and an abort checked on every turn of the loop, and an abort that kills the remote command's
processes over a second connection (closing the channel alone leaves them running on the node).
"""

from __future__ import annotations

import base64
import select
import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paramiko
from django.conf import settings
from fabric import Connection

from clusters.validators import fingerprint, parse_host_key
from procedures import exceptions as exc

PGID_MARKER = "__PORTAL_PGID__"
BLOCK = 65536  # bytes per recv
GATHER = 1 << 20  # bytes a window hands on at most; a full window goes on at once and reading goes on
WINDOW_S = 0.01  # output arriving within this time of the last hand-on goes on with the next (PORTAL_LOG_WINDOW_S)


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one machine: built from a Node or a standalone GroupmaxServer."""

    label: str
    address: str
    port: int
    user: str
    key_path: str
    host_key: str  # the pinned known_hosts line ("ssh-ed25519 AAAA…"), or ""

    @classmethod
    def of(cls, target, label: str = "") -> Endpoint:
        credential = getattr(target, "credential", None)
        return cls(
            label=label or getattr(target, "host_name", "") or str(target),
            address=target.ssh_address,
            port=target.ssh_port or 22,
            user=target.ssh_user or "root",
            key_path=credential.key_path if credential else "",
            host_key=target.host_key or "",
        )

    @property
    def known_hosts_name(self) -> str:
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"

    @property
    def expected_fingerprint(self) -> str:
        return fingerprint(parse_host_key(self.host_key)[1]) if self.host_key else ""


def key_fingerprint(key: paramiko.PKey) -> str:
    return fingerprint(key.asbytes())


def key_line(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


_KEYGEN_NAMES = {"ssh-ed25519": "ED25519", "ssh-rsa": "RSA"}


def keygen_line(key_line: str, comment: str) -> str:
    """The line ``ssh-keygen -lf`` prints for this key: bits, SHA256 fingerprint, comment and (TYPE)."""
    key_type, blob = parse_host_key(key_line)
    bits = paramiko.PKey.from_type_string(key_type, blob).get_bits()
    name = _KEYGEN_NAMES.get(key_type, "ECDSA" if key_type.startswith("ecdsa-") else key_type.upper())
    return f"{bits} {fingerprint(blob)} {comment} ({name})"


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    """RejectPolicy that says which key it saw."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def missing_host_key(self, client, hostname, key):
        raise exc.HostKeyUnknown(host=self.endpoint.label, seen=key_fingerprint(key))


def _timeouts() -> dict:
    return {
        "connect": getattr(settings, "PORTAL_SSH_CONNECT_TIMEOUT", 10),
        "banner": getattr(settings, "PORTAL_SSH_BANNER_TIMEOUT", 10),
    }


# AES-GCM first when the server offers it (OpenSSH has since 6.2; any other cipher stays acceptable, in
# paramiko's order): with the CTR ciphers paramiko checks each packet's HMAC in Python, byte by byte
# (``util.constant_time_bytes_eq``), which was 35 % of its transport thread's CPU for a command that flushes
# every line; GCM authenticates inside OpenSSL (benchmarks/README.md, latency).
AEAD_FIRST = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def _transport(sock, **kwargs) -> paramiko.Transport:
    transport = paramiko.Transport(sock, **kwargs)
    options = transport.get_security_options()
    offered = options.ciphers
    options.ciphers = (*(c for c in AEAD_FIRST if c in offered), *(c for c in offered if c not in AEAD_FIRST))
    return transport


def connect(endpoint: Endpoint) -> Connection:
    """An opened Fabric Connection that accepts only the endpoint's pinned host key."""
    if not endpoint.key_path:
        raise exc.NoCredential(host=endpoint.label)
    t = _timeouts()
    conn = Connection(
        host=endpoint.address,
        port=endpoint.port,
        user=endpoint.user,
        connect_timeout=t["connect"],
        connect_kwargs={
            "key_filename": endpoint.key_path,
            "look_for_keys": False,
            "allow_agent": False,
            "banner_timeout": t["banner"],
            "auth_timeout": t["banner"],
            "transport_factory": _transport,
        },
    )
    client = conn.client
    host_keys = client.get_host_keys()
    host_keys.clear()
    if endpoint.host_key:
        key_type, blob = parse_host_key(endpoint.host_key)
        host_keys.add(endpoint.known_hosts_name, key_type, paramiko.PKey.from_type_string(key_type, blob))
    client.set_missing_host_key_policy(_RefuseUnknown(endpoint))  # Fabric's AutoAddPolicy is gone
    try:
        conn.open()
    except paramiko.BadHostKeyException as e:
        conn.close()
        raise exc.HostKeyChanged(
            host=endpoint.label,
            seen=key_fingerprint(e.key),
            expected=key_fingerprint(e.expected_key),
            seen_key=key_line(e.key),  # not in the message: the executor records it as a host key change
        ) from None
    except exc.HostKeyUnknown:
        conn.close()
        raise
    except (OSError, paramiko.SSHException, EOFError) as e:
        conn.close()
        raise _unreachable(endpoint, e) from None
    return conn


def _unreachable(endpoint: Endpoint, error: BaseException) -> exc.ConnectionFailed:
    return exc.ConnectionFailed(host=endpoint.label, address=f"{endpoint.address}:{endpoint.port}", detail=_says(error))


def _says(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer (time-out)"
    return str(error) or error.__class__.__name__


def scan_host_key(endpoint: Endpoint) -> tuple[str, str]:
    """The host key the machine presents now, as (known_hosts line, fingerprint); no log-in, nothing sent."""
    t = _timeouts()
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=t["connect"])
    except OSError as e:
        raise _unreachable(endpoint, e) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = t["banner"]
    try:
        transport.start_client(timeout=t["connect"])
        key = transport.get_remote_server_key()
        return key_line(key), key_fingerprint(key)
    except (OSError, paramiko.SSHException, EOFError) as e:
        raise _unreachable(endpoint, e) from None
    finally:
        transport.close()


def wrap_for_abort(command: str) -> str:
    """Print the id of the shell that becomes ``command`` first, then run it.

    sshd makes the shell it starts for a command the leader of a new session and process group, so ``$$`` is
    also the command's process group id. HP-UX has no setsid(1) (only the system call), so nothing more is
    needed or possible from the shell; the abort signals that group and every descendant of the shell.
    """
    return f'echo "{PGID_MARKER} $$"; exec sh -c {shlex.quote(command)}'


# POSIX sh, awk and ps as HP-UX 11i has them: ``ps -o`` needs UNIX95 there (Linux ignores it); ``sleep`` takes
# whole seconds. ``tree`` adds every process of the command's group (background jobs stay in it) and every
# process whose parent is in the set (a child that moved to a group of its own); ``living`` keeps those not yet
# gone (a zombie is gone). They are frozen with SIGSTOP until the set stops growing, so nothing escapes by
# forking or by its parent dying between the listing and the signal.
_KILL_TREE = r"""UNIX95=1; export UNIX95
tree() { ps -e -o pid= -o ppid= -o pgid= | awk -v ids="$ids" -v group="$group" '
  BEGIN { n = split(ids, s, " "); for (i = 1; i <= n; i++) keep[s[i]] = 1 }
  { pid[++m] = $1; parent[$1] = $2; if ($3 == group) keep[$1] = 1 }
  END { do { grew = 0
             for (i = 1; i <= m; i++)
               if (!(pid[i] in keep) && (parent[pid[i]] in keep)) { keep[pid[i]] = 1; grew = 1 } } while (grew)
        for (p in keep) printf "%s ", p }'; }
living() { ps -e -o pid= -o state= | awk -v ids="$ids" '
  BEGIN { n = split(ids, s, " "); for (i = 1; i <= n; i++) keep[s[i]] = 1 }
  ($1 in keep) && $2 !~ /^Z/ { printf "%s ", $1 }'; }
count() { echo $#; }
freeze() { r=0; while [ $r -lt 20 ]; do l=$(living); [ -n "$l" ] && kill -STOP $l 2>/dev/null; grown=$(tree)
  [ "$(count $grown)" -eq "$(count $ids)" ] && break; ids=$grown; r=$((r + 1)); done; }
"""


def kill_group_script(pgid: int, grace_s: int) -> str:
    """TERM the command's processes, wait up to ``grace_s``, KILL what is left; print TERMINATED, KILLED or ALIVE.

    ``pgid`` is the id ``wrap_for_abort`` printed: the shell that became the command, leader of its group.
    """
    g = int(pgid)
    grace = max(1, int(grace_s + 0.999))
    return (
        f"group={g}; ids={g}\n{_KILL_TREE}"
        "freeze; l=$(living)\n"
        'if [ -z "$l" ]; then echo TERMINATED; exit 0; fi\n'
        "kill -TERM $l 2>/dev/null; kill -CONT $l 2>/dev/null; i=0\n"
        f'while [ -n "$(living)" ] && [ $i -lt {grace} ]; do sleep 1; ids=$(tree); i=$((i + 1)); done\n'
        'if [ -z "$(living)" ]; then echo TERMINATED; exit 0; fi\n'
        "freeze; kill -KILL $(living) 2>/dev/null; sleep 1\n"
        'if [ -n "$(living)" ]; then echo ALIVE; else echo KILLED; fi\n'
    )


def kill_process_group(endpoint: Endpoint, pgid: int, grace_s: int | None = None) -> str:
    """Over a second connection: stop the remote process group, verify it is gone, say how it ended."""
    grace = getattr(settings, "PORTAL_ABORT_GRACE_S", 5) if grace_s is None else grace_s
    conn = connect(endpoint)
    try:
        result = conn.run(kill_group_script(pgid, grace), hide=True, warn=True, in_stream=False, timeout=grace + 30)
        return (result.stdout.strip().splitlines() or ["UNKNOWN"])[-1]
    finally:
        conn.close()


@dataclass
class Outcome:
    exit_code: int | None = None
    pgid: int | None = None
    timed_out: bool = False
    aborted: bool = False
    stdout_tail: list[str] = field(default_factory=list)


def execute(
    conn: Connection,
    command: str,
    *,
    on_block: Callable[[str, bytes], None],
    on_pgid: Callable[[int], None],
    timeout_s: float,
    should_abort: Callable[[], bool],
    room: Callable[[float], bool] | None = None,
    poll_s: float = 0.2,
    pgid_wait_s: float | None = None,
    window_s: float | None = None,
) -> Outcome:
    """Run ``command`` wrapped for abort; hand its output on in blocks: ``on_block(stream, data)`` ("out"/"err").

    The channel is read directly, in blocks of up to 64 KiB (invoke's reader threads read 1,000 bytes at a
    time and took 4 × as long), stdout and stderr apart, the bytes handed on as they came. Output is gathered
    in time: what arrives within ``window_s`` (``PORTAL_LOG_WINDOW_S``, 10 ms) of the last hand-on waits in the
    channel and goes on as one block, so a command that flushes every line (5,000 a second) costs a block a
    window, not a block a line (benchmarks/README.md, latency). Output after a quiet spell goes on at once (the
    window opens with a hand-on, it never waits for more), and a window that gathered ``GATHER`` bytes goes on
    without waiting. Every turn of the loop looks at the clock and the abort flag, sleeping at most a window, so
    a command that never stops printing (``yes``) still times out and can be aborted. ``room(wait)`` says
    whether the log writer takes more; while it does not, nothing is read (SSH's window then holds the command
    back).

    An abort seen before the line naming the remote process group has arrived waits for that line (up to
    ``pgid_wait_s``) so there is a group to kill. Returns when the command exits, or after the time-out / an
    abort request (the caller then kills the process group with ``kill_process_group`` and reads the rest with
    ``drain``).
    """
    pgid_wait = getattr(settings, "PORTAL_PGID_WAIT_S", 10) if pgid_wait_s is None else pgid_wait_s
    window = getattr(settings, "PORTAL_LOG_WINDOW_S", WINDOW_S) if window_s is None else window_s
    transport = conn.client.get_transport()
    channel = transport.open_session()
    channel.set_combine_stderr(False)
    channel.exec_command(wrap_for_abort(command))
    outcome = Outcome()
    marker_buf = b""
    deadline = time.monotonic() + timeout_s
    abort_seen: float | None = None
    fd = channel.fileno()
    handed = -window  # when output was last handed on (the clock of time.monotonic)
    full = False  # the last window gathered all it may: read on without waiting

    def stdout_block(data: bytes) -> bool:
        """Hand on a block of stdout (after the marker line); whether anything went on."""
        nonlocal marker_buf
        if outcome.pgid is None:
            marker_buf += data
            if b"\n" not in marker_buf:
                if len(marker_buf) > 4096:  # no marker line (the login shell did not run the wrapper)
                    data, marker_buf, outcome.pgid = marker_buf, b"", 0
                    on_block("out", data)
                    return True
                return False
            first, _, data = marker_buf.partition(b"\n")
            marker_buf = b""
            words = first.decode("ascii", "replace").split()
            if len(words) == 2 and words[0] == PGID_MARKER and words[1].isdigit():
                outcome.pgid = int(words[1])
                on_pgid(outcome.pgid)
            else:  # no marker: keep the text
                data = first + b"\n" + data
                outcome.pgid = 0
        if data:
            on_block("out", data)
        return bool(data)

    try:
        while True:
            now = time.monotonic()
            if now > deadline:
                outcome.timed_out = True
                break
            if should_abort():
                abort_seen = abort_seen or now
                if outcome.pgid is not None or now - abort_seen > pgid_wait:
                    outcome.aborted = True
                    break
            if room is not None and outcome.pgid is not None and not room(poll_s / 4):
                continue  # the writer is behind: leave the output in the channel, look at the clock again
            out_ready, err_ready = channel.recv_ready(), channel.recv_stderr_ready()
            if out_ready or err_ready:
                if not full and now < handed + window:
                    time.sleep(handed + window - now)  # let the window gather; then the clock and abort again
                    continue
                went, full = False, False
                if out_ready:
                    data, full = _gather(channel.recv, channel.recv_ready)
                    went = stdout_block(data)  # the marker line alone opens no window
                if err_ready:
                    data, more = _gather(channel.recv_stderr, channel.recv_stderr_ready)
                    on_block("err", data)
                    went, full = True, full or more
                if went:
                    handed = now
                continue
            if channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
                if channel.eof_received or channel.closed:
                    break
            select.select([fd], [], [], poll_s)
            if channel.closed and not channel.recv_ready() and not channel.recv_stderr_ready():
                break
        if not (outcome.timed_out or outcome.aborted):
            outcome.exit_code = channel.recv_exit_status()
        if marker_buf:
            on_block("out", marker_buf)
        outcome.channel = channel  # the caller drains after a kill
        return outcome
    except (OSError, paramiko.SSHException, EOFError) as e:
        raise exc.ConnectionFailed(host=str(conn.host), address=f"{conn.host}:{conn.port}", detail=_says(e)) from None


def _gather(recv: Callable[[int], bytes], ready: Callable[[], bool]) -> tuple[bytes, bool]:
    """What the channel holds for one stream, up to ``GATHER`` bytes: (the bytes, whether more is waiting)."""
    parts, size = [], 0
    while True:
        part = recv(BLOCK)
        parts.append(part)
        size += len(part)
        if not part or not ready():
            return (parts[0] if len(parts) == 1 else b"".join(parts)), False
        if size >= GATHER:
            return b"".join(parts), True


def drain(outcome: Outcome, on_block: Callable[[str, bytes], None], wait_s: float = 5.0) -> None:
    """After a kill: read what the command printed until its channel closes (or ``wait_s``)."""
    channel = getattr(outcome, "channel", None)
    if channel is None:
        return
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        got = False
        if channel.recv_ready():
            got = True
            on_block("out", channel.recv(BLOCK))
        if channel.recv_stderr_ready():
            got = True
            on_block("err", channel.recv_stderr(BLOCK))
        if channel.exit_status_ready() and not got:
            outcome.exit_code = channel.recv_exit_status()
            break
        if not got:
            time.sleep(0.05)


def private_key_lines(key_path: str) -> frozenset[str]:
    """The body lines of the credential's key file, so an echoed key can be masked (never stored)."""
    try:
        with open(key_path, encoding="ascii", errors="ignore") as fh:
            return frozenset(line.strip() for line in fh if len(line.strip()) >= 16 and not line.startswith("-----"))
    except OSError:
        return frozenset()


def b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode()
