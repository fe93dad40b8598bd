"""The lab's Python API: build it, start and stop its OpenSSH servers, run commands on its nodes, break them.

Used by ``manage.py lab``, the demo and the tests; never by production targets (``from_inventory`` accepts
lab sites only).
"""

import base64
import hashlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from clusters.lab import build
from clusters.lab.findings import Finding, cluster_findings, domain_findings
from clusters.lab.spec import LabSpec, spec_from_inventory
from clusters.lab.state import FAULTS, Layout, locked, pid_alive, snapshot


class LabError(Exception):
    """Something the person starting the lab must fix (shown as it is, exit status 1)."""


class SshdMissing(LabError):
    def __init__(self):
        super().__init__(
            f"{build.SSHD} is missing: the lab's nodes are real OpenSSH servers. "
            "Install it with `apt-get install openssh-server` (as root) and run `lab up` again."
        )


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (read from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class NodeStatus:
    host_name: str
    cluster: str | None
    ssh_address: str
    ssh_port: int
    running: bool
    pid: int | None
    fault: str | None
    fingerprint: str


class LabNode:
    """One lab machine: run a command in its environment, reach it over SSH, or make it misbehave."""

    def __init__(self, lab: "Lab", host_name: str):
        self.lab, self.host_name = lab, host_name
        self.spec = lab.spec.node(host_name)

    def __repr__(self):
        return f"<LabNode {self.host_name} {self.ssh_address}:{self.ssh_port}>"

    ssh_address = property(lambda self: self.spec.ssh_address)
    ssh_port = property(lambda self: self.spec.ssh_port)
    cluster = property(lambda self: self.spec.cluster)

    @property
    def host_key(self) -> str:
        """The node's public host key as the inventory pins it: ``ssh-ed25519 AAAA…``."""
        key = (self.lab.layout.sshd_dir(self.host_name) / "ssh_host_ed25519_key.pub").read_text().split()
        return f"{key[0]} {key[1]}"

    @property
    def host_key_line(self) -> str:
        """A known_hosts line for this node's address and port."""
        host = self.ssh_address if self.ssh_port == 22 else f"[{self.ssh_address}]:{self.ssh_port}"
        return f"{host} {self.host_key}"

    @property
    def host_key_fingerprint(self) -> str:
        blob = base64.b64decode(self.host_key.split()[1])
        return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")

    @property
    def pid(self) -> int | None:
        try:
            pid = int((self.lab.layout.sshd_dir(self.host_name) / "sshd.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    @property
    def fault(self) -> str | None:
        path = self.lab.layout.fault_file(self.host_name)
        return path.read_text().strip() if path.exists() else None

    def run(self, command: str, input: str | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run a shell command on the node as root, in the same environment as over SSH (text in, text out)."""
        env = {
            "LAB_ROOT": str(self.lab.layout.root),
            "LAB_NODE": self.host_name,
            "SSH_ORIGINAL_COMMAND": command,
            "PATH": "/usr/bin:/bin",
        }
        return subprocess.run(  # noqa: S603 - the lab's own entry program
            [str(self.lab.layout.bin / "enter")],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )

    def commands(self) -> list[str]:
        """Every command that reached this node (over SSH or ``run``), oldest first."""
        path = self.lab.layout.command_log(self.host_name)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    def set_fault(self, fault: str | None) -> None:
        """``"down"``: its sshd (and its sessions) stop answering; ``"hang"``: its commands never return."""
        if fault not in (*FAULTS, None):
            raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS} or None")
        path = self.lab.layout.fault_file(self.host_name)
        pid = self.pid
        if fault is None:
            path.unlink(missing_ok=True)
            if pid:
                for each in [pid, *_children(pid)]:
                    _signal(each, signal.SIGCONT)
            return
        path.write_text(fault + "\n")
        if fault == "down" and pid:
            for each in [pid, *_children(pid)]:
                _signal(each, signal.SIGSTOP)

    def start(self) -> None:
        if self.pid:
            return
        sshd_dir = self.lab.layout.sshd_dir(self.host_name)
        config = sshd_dir / "sshd_config"
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LAB_ROOT": str(self.lab.layout.root)}
        result = subprocess.run(  # noqa: S603
            [build.SSHD, "-f", str(config), "-E", str(sshd_dir / "sshd.log")], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            log = (sshd_dir / "sshd.log").read_text() if (sshd_dir / "sshd.log").exists() else ""
            raise LabError(
                f"sshd for {self.host_name} on {self.ssh_address}:{self.ssh_port} did not start: "
                f"{result.stderr.strip() or log.strip()[-500:]}"
            )
        for _ in range(200):  # sshd writes its pid file once it listens
            if self.pid:
                return
            time.sleep(0.01)
        raise LabError(f"sshd for {self.host_name} did not write its pid file")

    def status(self) -> NodeStatus:
        return NodeStatus(
            self.host_name,
            self.cluster,
            self.ssh_address,
            self.ssh_port,
            self.pid is not None,
            self.pid,
            self.fault,
            self.host_key_fingerprint,
        )


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Lab:
    """A lab folder: ``Lab(root)`` opens one that was built; ``from_spec``/``from_inventory`` build one."""

    def __init__(self, root):
        self.layout = Layout(root)
        if not self.layout.spec_file.exists():
            raise LabError(f"No lab in {self.layout.root}; build one with Lab.from_spec() or Lab.from_inventory().")
        self.spec = LabSpec.load(self.layout.spec_file)
        if not (self.layout.bin / "enter").exists():
            build.build(self.layout, self.spec)

    @classmethod
    def from_spec(cls, spec: LabSpec, root) -> "Lab":
        build.build(Layout(root), spec)
        return cls(root)

    @classmethod
    def from_inventory(cls, site, root=None) -> "Lab":
        if root is None:
            # only here: Lab(root) needs no Django settings; only a lab without a root reads LAB_DIR
            from django.conf import settings

            root = settings.LAB_DIR
        spec = spec_from_inventory(site)
        earlier = Layout(root).spec_file
        if earlier.exists():  # the existing environments prepared in this lab folder stay prepared
            spec = spec.keeping_existing(LabSpec.load(earlier))
        return cls.from_spec(spec, root)

    def __repr__(self):
        return f"<Lab {self.spec.name} at {self.layout.root}>"

    @property
    def root(self) -> Path:
        return self.layout.root

    @property
    def client_key_path(self) -> Path:
        return self.layout.client_key

    def node(self, host_name: str) -> LabNode:
        return LabNode(self, host_name)

    @property
    def nodes(self) -> list[LabNode]:
        return [LabNode(self, n.host_name) for n in self.spec.nodes]

    def known_hosts(self) -> str:
        return "".join(node.host_key_line + "\n" for node in self.nodes)

    # -- life cycle ---------------------------------------------------------------------------------------------
    def up(self) -> list[NodeStatus]:
        if not os.path.exists(build.SSHD):
            raise SshdMissing()
        build.build(self.layout, self.spec)
        for node in self.nodes:
            node.start()
        return self.status()

    def processes(self) -> list[int]:
        """Every process started under this lab: sshds, sessions, services (they carry LAB_ROOT)."""
        marker = f"LAB_ROOT={self.layout.root}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as environ:
                        if marker in environ.read().split(b"\0"):
                            found.append(int(entry))
                except OSError:
                    continue
        return [pid for pid in found if pid_alive(pid)]

    def down(self) -> None:
        """Stop the sshds and everything started under the lab; nothing is left running."""
        for node in self.nodes:
            pid = node.pid
            if pid:
                _signal(pid, signal.SIGCONT)
                _signal(pid, signal.SIGTERM)
            (self.layout.sshd_dir(node.host_name) / "sshd.pid").unlink(missing_ok=True)
            self.layout.fault_file(node.host_name).unlink(missing_ok=True)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.processes()
            for pid in pids:
                _signal(pid, signal.SIGCONT)
                _signal(pid, sig)
            for _ in range(100):
                if not self.processes():
                    break
                time.sleep(0.02)
        with locked(self.layout, self.spec) as state:  # the service monitors are gone; the rest of the state stays
            for cluster in self.spec.clusters:
                state.cluster(cluster.name)["package"]["services"] = {}

    def reset(self) -> None:
        """Back to freshly built nodes and empty shared disks; keys stay, running sshds are restarted."""
        was_up = any(node.pid for node in self.nodes)
        self.down()
        build.wipe_node_files(self.layout, self.spec)
        build.build(self.layout, self.spec)
        if was_up:
            self.up()

    def make_existing(self, cluster: str, *, previous_directory: str = "", admin: str = "root") -> None:
        """Rebuild ``cluster`` with node 1 an existing stand-alone Groupmax environment (K.5 (2)'s starting point).

        Its nodes' files and shared disks start over (keys stay); the choice is kept in the lab's spec, so a
        reset prepares it again. ``previous_directory`` empty: the cluster's database directory.
        """
        spec = self.spec.cluster(cluster)
        if previous_directory and (not previous_directory.startswith("/") or previous_directory.rstrip("/") == ""):
            raise LabError(f"--previous-directory {previous_directory!r} is not an absolute directory.")
        existing = {"previous_directory": previous_directory or spec.database_directory, "admin": admin or "root"}
        self._rebuild_cluster(cluster, existing)

    def make_bare(self, cluster: str) -> None:
        """Rebuild ``cluster`` with bare nodes again (no existing environment)."""
        self._rebuild_cluster(cluster, None)

    def _rebuild_cluster(self, cluster: str, existing: dict | None) -> None:
        """Each command enters its node's files anew, so running sshds need no restart."""
        self.spec = self.spec.with_existing(cluster, existing)
        build.wipe_cluster_files(self.layout, self.spec, cluster)
        build.build(self.layout, self.spec)

    def status(self) -> list[NodeStatus]:
        return [node.status() for node in self.nodes]

    def cluster_state(self, name: str) -> dict:
        return snapshot(self.layout, self.spec).cluster(name)

    def node_state(self, host_name: str) -> dict:
        return snapshot(self.layout, self.spec).node(host_name)

    # -- checks -------------------------------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Everything the lab flags: cluster-level mistakes and domain-level ones."""
        state = snapshot(self.layout, self.spec)
        return cluster_findings(self.layout, self.spec, state) + domain_findings(self.layout, self.spec, state)

    def domain_findings(self) -> list[Finding]:
        return domain_findings(self.layout, self.spec, snapshot(self.layout, self.spec))
