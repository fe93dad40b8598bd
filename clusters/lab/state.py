"""Where a lab keeps things, and its shared state: JSON files changed only under one file lock.

Commands on two nodes run at once (a ``cmruncl`` on node 1 starts the package while node 2 answers a
``cmviewcl``), so every change reads, edits and writes the files while holding ``state.lock`` (fcntl).
Writes go through a temporary file and ``rename`` so that a reader without the lock never sees half a file.
Standard library only: this runs inside a node's session.
"""

import contextlib
import fcntl
import json
import os
from pathlib import Path

from clusters.lab.spec import LabSpec

FAULTS = ("down", "hang")


class Layout:
    """The folders of one lab under its root."""

    def __init__(self, root):
        self.root = Path(root).absolute()

    spec_file = property(lambda self: self.root / "lab.json")
    lock_file = property(lambda self: self.root / "state.lock")
    domain_file = property(lambda self: self.root / "domain.json")
    keys = property(lambda self: self.root / "keys")
    client_key = property(lambda self: self.root / "keys" / "portal_ed25519")
    authorized_keys = property(lambda self: self.root / "keys" / "authorized_keys")
    bin = property(lambda self: self.root / "bin")
    sim_bin = property(lambda self: self.root / "bin" / "sim")

    def node_dir(self, host: str) -> Path:
        return self.root / "nodes" / host

    def node_root(self, host: str) -> Path:
        """The node's own file system: what ``/`` is inside its sessions (``/usr`` and friends bound in)."""
        return self.node_dir(host) / "root"

    def node_state(self, host: str) -> Path:
        return self.node_dir(host) / "state.json"

    def sshd_dir(self, host: str) -> Path:
        return self.node_dir(host) / "sshd"

    def fault_file(self, host: str) -> Path:
        return self.node_dir(host) / "fault"

    def command_log(self, host: str) -> Path:
        """Every command the node was asked to run, one JSON string a line (outside the node's own root)."""
        return self.node_dir(host) / "commands.log"

    def cluster_dir(self, name: str) -> Path:
        return self.root / "clusters" / name

    def cluster_state(self, name: str) -> Path:
        return self.cluster_dir(name) / "state.json"

    def disk(self, cluster: str, lvol: str) -> Path:
        """One logical volume of a cluster's shared disk."""
        return self.cluster_dir(cluster) / "disk" / lvol


def read_json(path: Path, default):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def write_json(path: Path, data) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def fresh_node_state() -> dict:
    return {"services": {"objsv": False, "addr": False, "mail": False}, "mounts": {}, "ip": [], "products": {}}


def fresh_cluster_state(cluster) -> dict:
    return {
        "configured": False,
        "status": "down",
        "nodes": {host: "down" for host in cluster.nodes},
        "vg": {"cluster_aware": False, "active": {}},
        "package": {
            "state": "halted",
            "node": None,
            "auto_run": True,
            "node_switching": {host: True for host in cluster.nodes},
            "services": {},
            "run_script": cluster.control_script_path,
            "node_order": list(cluster.nodes),
        },
        "events": [],  # sticky findings: mistakes that happened, even if undone since
    }


class State:
    """All state files of a lab, loaded on demand inside one lock and written back on exit."""

    def __init__(self, layout: Layout, spec: LabSpec):
        self.layout, self.spec = layout, spec
        self._loaded: dict[Path, object] = {}

    def _get(self, path: Path, default):
        if path not in self._loaded:
            self._loaded[path] = read_json(path, default)
        return self._loaded[path]

    def node(self, host: str) -> dict:
        data = self._get(self.layout.node_state(host), fresh_node_state())
        for key, value in fresh_node_state().items():
            data.setdefault(key, value)
        return data

    def cluster(self, name: str) -> dict:
        return self._get(self.layout.cluster_state(name), fresh_cluster_state(self.spec.cluster(name)))

    def domain(self) -> dict:
        return self._get(self.layout.domain_file, {"mail_servers": {}, "pending_transactions": 0})

    def event(self, cluster: str, code: str, text: str) -> None:
        events = self.cluster(cluster)["events"]
        if not any(e["code"] == code and e["text"] == text for e in events):
            events.append({"code": code, "text": text})

    def save(self) -> None:
        for path, data in self._loaded.items():
            write_json(path, data)


@contextlib.contextmanager
def locked(layout: Layout, spec: LabSpec | None = None):
    """Hold the lab's lock; yield a State whose files are written back when the block ends without error."""
    spec = spec or LabSpec.load(layout.spec_file)
    with open(layout.lock_file, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = State(layout, spec)
            yield state
            state.save()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def snapshot(layout: Layout, spec: LabSpec | None = None) -> State:
    """A read-only look without the lock (files are replaced atomically, so each one is whole)."""
    return State(layout, spec or LabSpec.load(layout.spec_file))


def node_path(layout: Layout, spec: LabSpec, state: State, host: str, path: str) -> Path:
    """Where ``path`` on ``host`` is, seen from outside the node's session: its shared disk or its own root."""
    mounts = state.node(host)["mounts"]
    cluster = spec.cluster_of(host)
    best = None
    for mount_point, lv in mounts.items():
        if (path == mount_point or path.startswith(mount_point.rstrip("/") + "/")) and (
            best is None or len(mount_point) > len(best[0])
        ):
            best = (mount_point, lv)
    if best and cluster:
        fs = cluster.filesystem_of(best[1])
        if fs:
            rest = path[len(best[0]) :].lstrip("/")
            return layout.disk(cluster.name, fs.lvol) / rest
    return layout.node_root(host) / path.lstrip("/")


def pid_alive(pid: int | None) -> bool:
    """A process that exists and is not a zombie (read from /proc, as ``ps`` would show it)."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
