"""``nxsrepstat`` output parsed into rows: did the master's changes reach every address server?

Groupmax's ``nxsrepstat`` prints one of: ``トランザクションレコードなし`` (nothing waits: converged),
``トランザクションレコードあり (N)`` (N changes wait), ``通信開始時にエラーが発生しました (server, …)`` (it could not
reach those servers, or the master's own address service), ``指定したホスト名は存在しません(name)`` (unknown name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ReplicationState(StrEnum):
    CONVERGED = "converged"
    PENDING = "pending"
    UNREACHABLE = "unreachable"
    ERROR = "error"
    UNKNOWN = "unknown"


NO_RECORDS = re.compile(r"トランザクションレコードなし")
PENDING = re.compile(r"トランザクションレコードあり\s*[(（]\s*(\d+)\s*[)）]")
COMM_ERROR = re.compile(r"通信開始時にエラーが発生しました\s*(?:[(（]([^)）]*)[)）])?")
UNKNOWN_HOST = re.compile(r"指定したホスト名は存在しません\s*[(（]([^)）]*)[)）]")


@dataclass(frozen=True)
class Parsed:
    state: ReplicationState
    pending: int | None = None
    servers: tuple[str, ...] = ()  # the servers the output names (an error about them); () = all of them
    detail: str = ""


def parse_nxsrepstat(output: str) -> Parsed:
    """What one ``nxsrepstat`` run said; the last telling line wins (a retry prints again)."""
    found = Parsed(ReplicationState.UNKNOWN, detail=(output.strip().splitlines() or [""])[-1][:200])
    for line in output.splitlines():
        line = line.strip()
        if NO_RECORDS.search(line):
            found = Parsed(ReplicationState.CONVERGED, pending=0, detail=line)
        elif m := PENDING.search(line):
            found = Parsed(ReplicationState.PENDING, pending=int(m.group(1)), detail=line)
        elif m := COMM_ERROR.search(line):
            names = tuple(n.strip() for n in (m.group(1) or "").split(",") if n.strip())
            found = Parsed(
                ReplicationState.UNREACHABLE if names else ReplicationState.ERROR, servers=names, detail=line
            )
        elif m := UNKNOWN_HOST.search(line):
            found = Parsed(ReplicationState.ERROR, servers=(m.group(1).strip(),), detail=line)
    return found


def last_state_per_server(rows, address_servers: list[str]) -> dict[str, object]:
    """For each address server, the newest row that concerns it (``rows`` newest first); None if no row does."""
    last: dict[str, object] = dict.fromkeys(address_servers)
    for row in rows:
        concerned = row.servers or address_servers
        for name in concerned:
            if name in last and last[name] is None:
                last[name] = row
        if all(v is not None for v in last.values()):
            break
    return last
