"""What every simulated command shares: the registry, the node a command runs on, its output and errors.

The bottom of the package: it imports no other module of it. The product modules register their commands
here with ``@command``; ``program.main`` looks them up by the name it was called by.
"""

import os
import sys
import time
from pathlib import Path

from clusters.lab.spec import LabSpec
from clusters.lab.state import Layout, locked

GM_DIR = "/var/opt/GroupMail"
GMPUBLICINFO = f"{GM_DIR}/nxcdir/gmpublicinfo"
GMSETUP_CONF = f"{GM_DIR}/conf/gmsetup.conf"
XODRC = "/opt/HiOODB/conf/xodrc"


LOCAL_DISKS = {
    "/": "/dev/vg00/lvol3",
    "/tmp": "/dev/vg00/lvol4",  # noqa: S108 - a device name, not a file
    "/home": "/dev/vg00/lvol5",
    "/opt": "/dev/vg00/lvol6",
    "/usr": "/dev/vg00/lvol7",
    "/var": "/dev/vg00/lvol8",
}


COMMANDS: dict = {}
WRAPPED = ("tar",)  # the lab's command checks first, then hands on to this machine's tool (bin/host/<name>)


def command(*names):
    def register(func):
        for name in names:
            COMMANDS[name] = func
        return func

    return register


class Failure(Exception):
    """A command's error message and exit code, as the operator sees them."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Ctx:
    """Who is running a command: the lab, the node, its cluster and Groupmax server."""

    def __init__(self, name: str, args: list[str]):
        self.name, self.args = name, args
        self.layout = Layout(os.environ["LAB_ROOT"])
        self.spec = LabSpec.load(self.layout.spec_file)
        self.host = os.environ["LAB_NODE"]
        self.node = self.spec.node(self.host)
        self.cluster = self.spec.cluster_of(self.host)
        self.server = self.spec.server_of(self.host)

    def locked(self):
        return locked(self.layout, self.spec)

    def need_cluster(self):
        if not self.cluster:
            raise Failure(f"{self.name}: This node ({self.host}) is not configured in a cluster.")
        return self.cluster


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def now() -> str:
    return time.strftime("%a %b %d %H:%M:%S %Y")


def options(args: list[str], with_value: str, flags: str = "") -> tuple[dict, list[str]]:
    """getopt-like: options with a value may repeat; unknown options are errors."""
    found: dict[str, list] = {}
    rest = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) >= 2 and arg[1] in with_value:
            value = arg[2:] or (args[i + 1] if i + 1 < len(args) else None)
            if value is None:
                raise Failure(f"option {arg} needs a value", 2)
            found.setdefault(arg[1], []).append(value)
            i += 1 if arg[2:] else 2
            continue
        if arg.startswith("-") and len(arg) >= 2 and all(c in flags for c in arg[1:]):
            for c in arg[1:]:
                found.setdefault(c, []).append(True)
            i += 1
            continue
        if arg.startswith("-") and len(arg) >= 2:
            raise Failure(f"illegal option -- {arg[1:]}", 2)
        rest.append(arg)
        i += 1
    return found, rest


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []


def mounted_lv(ctx: Ctx, state, path: str) -> str | None:
    """The shared logical volume that holds ``path`` on this node, if any (longest mount point wins)."""
    best = None
    for mount_point, lv in state.node(ctx.host)["mounts"].items():
        if path == mount_point or path.startswith(mount_point.rstrip("/") + "/"):
            if best is None or len(mount_point) > len(best[0]):
                best = (mount_point, lv)
    return best[1] if best else None


def filesystem_of(ctx: Ctx, state, path: str) -> tuple[str, str]:
    """(device, mount point) that ``bdf`` names for a path on this node."""
    lv = mounted_lv(ctx, state, path)
    if lv:
        mount_point = next(mp for mp, dev in state.node(ctx.host)["mounts"].items() if dev == lv)
        return lv, mount_point
    best = "/"
    for mount_point in LOCAL_DISKS:
        if (path == mount_point or path.startswith(mount_point + "/")) and len(mount_point) > len(best):
            best = mount_point
    return LOCAL_DISKS[best], best


def note_shared_write(ctx: Ctx, state, path: str, what: str) -> None:
    """A write to the shared disk while its volume group is active on two nodes corrupts it: record the event."""
    if not ctx.cluster or not mounted_lv(ctx, state, path):
        return
    active = state.cluster(ctx.cluster.name)["vg"]["active"]
    if len(active) > 1:
        state.event(
            ctx.cluster.name,
            "concurrent_write",
            f"{what} wrote to the shared disk of {ctx.cluster.volume_group} on {ctx.host} while the volume group "
            f"was active on {', '.join(sorted(active))}",
        )


def write_lines(path: str, lines: list[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def labcmd(ctx: Ctx) -> str:
    return str(ctx.layout.bin / "labcmd")


def hand_on(ctx: Ctx, name: str, args: list[str]) -> int:
    """Run this machine's own ``name`` with the same arguments (a wrapped tool, after the lab's checks)."""
    real = str(ctx.layout.bin / "host" / name)
    os.execv(real, [name, *args])  # noqa: S606 - the machine's tool, copied into the lab at build time
    return 127  # not reached
