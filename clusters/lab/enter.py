"""The way into a lab node: every command, local or over SSH, runs through ``main()`` here.

It puts the command in private mount and UTS namespaces (what ``unshare --mount --uts --propagation
private`` does), binds the machine's ``/usr`` and friends read-only into the node's own root folder, binds the
shared-disk volumes this node has mounted, and ``chroot``s there. So ``/etc/services``, ``/etc/cmcluster``,
``/opt``, ``/var/opt``, ``/OBJSVFILE`` and any new top-level path are the node's own files, and the machine's
never change. Standard library only (``ctypes`` for the system calls): it runs for every SSH command.
"""

import ctypes
import ctypes.util
import json
import os
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS = 0x00020000, 0x04000000
MS_RDONLY, MS_NOSUID, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
HOST_NS_FD = 19  # a handle on the machine's mount namespace, so a node can run something on another node

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def bind(source: str, target: str, *, read_only: bool = False) -> None:
    _check(_libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None), f"bind {source}")
    if read_only:
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC
        _check(_libc.mount(b"none", target.encode(), None, flags, None), f"read-only {target}")


def unmount(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


def enter_host_namespace() -> None:
    """Leave the node's view for the machine's (in a child, before it runs another node's ``enter``)."""
    fd = int(os.environ.get("LAB_HOST_NS_FD", HOST_NS_FD))
    try:
        os.fstat(fd)
    except OSError:
        fd = os.open("/proc/1/ns/mnt", os.O_RDONLY)
    _check(_libc.setns(fd, CLONE_NEWNS), "setns")


def node_environment(root: Path, host: str, incoming: dict) -> dict:
    """The same environment for a command over SSH and one run locally: built here, never inherited."""
    env = {
        "HOME": "/root",
        "USER": "root",
        "LOGNAME": "root",
        "SHELL": "/bin/bash",
        "LANG": "C.UTF-8",
        "PATH": f"{root / 'bin' / 'sim'}:/usr/sbin:/usr/bin:/sbin:/bin",
        "LAB_ROOT": str(root),
        "LAB_NODE": host,
        "LAB_HOST_NS_FD": str(HOST_NS_FD),
    }
    for key in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "TERM", "SSH_ORIGINAL_COMMAND"):
        if key in incoming:
            env[key] = incoming[key]
    return env


def prepare(root: Path, host: str) -> None:
    """In a fresh namespace: bind what the node borrows from the machine and its mounted shared volumes."""
    node_root = root / "nodes" / host / "root"
    host_ns = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    os.dup2(host_ns, HOST_NS_FD)
    os.close(host_ns)
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    name = host.encode()
    _check(_libc.sethostname(name, len(name)), "sethostname")
    for entry in json.loads((root / "bin" / "binds.json").read_text()):
        target = str(node_root) + entry["target"]
        if os.path.isdir(entry["source"]) and os.path.isdir(target):
            bind(entry["source"], target, read_only=entry["read_only"])
    for name in json.loads((root / "bin" / "shadowed.json").read_text()):
        bind(str(root / "bin" / "labcmd"), str(node_root) + name)  # a script's PATH=/usr/bin:… finds ours too
    state = json.loads((root / "nodes" / host / "state.json").read_text())
    spec = json.loads((root / "lab.json").read_text())
    node = next(n for n in spec["nodes"] if n["host_name"] == host)
    cluster = next((c for c in spec["clusters"] if c["name"] == node["cluster"]), None)
    for mount_point, lv in sorted(state.get("mounts", {}).items()):
        lvol = lv.rsplit("/", 1)[-1]
        target = str(node_root) + mount_point
        if cluster and os.path.isdir(target):
            bind(str(root / "clusters" / cluster["name"] / "disk" / lvol), target)
    os.chroot(node_root)
    os.chdir("/root" if os.path.isdir("/root") else "/")


def main() -> int:
    root, host = Path(os.environ["LAB_ROOT"]), os.environ["LAB_NODE"]
    fault = root / "nodes" / host / "fault"
    if fault.exists() and fault.read_text().strip() == "down":
        sys.stderr.write(f"ssh: connect to host {host}: Connection timed out\n")
        return 255
    env = node_environment(root, host, os.environ)
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    with open(root / "nodes" / host / "commands.log", "a", encoding="utf-8") as log:  # what reached the node
        log.write(json.dumps(command if command is not None else "(login shell)", ensure_ascii=False) + "\n")
    try:
        prepare(root, host)
    except OSError as exc:
        sys.stderr.write(f"lab: cannot enter node {host}: {exc}\n")
        return 255
    if command is None:
        os.execve("/bin/bash", ["-bash"], env)  # noqa: S606 - the node's login shell
    os.execve("/bin/bash", ["bash", "-c", command], env)  # noqa: S606 - as sshd runs a command
    return 255  # not reached


if __name__ == "__main__":
    sys.exit(main())
