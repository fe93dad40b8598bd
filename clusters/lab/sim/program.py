"""The one program behind every command name of a lab node: ``main`` dispatches on the name it was called by."""

import os
import time

# Importing the product modules registers their commands.
from clusters.lab.sim import groupmax, lvm, rehearsal, sd, serviceguard  # noqa: F401
from clusters.lab.sim.core import COMMANDS, WRAPPED, Ctx, Failure, err

# Tools of this Linux machine that HP-UX 11i does not have (setsid exists there only as a system call): on a lab
# node, as on the real one, the shell does not find them, so nothing the portal sends can come to rely on them.
NOT_ON_HP_UX = ("setsid", "timeout")
PATH_COMMANDS = (
    "vgchange", "mount", "umount", "bdf", "swinstall", "swlist", "swremove",
    "cmruncl", "cmhaltcl", "cmviewcl", "cmrunpkg", "cmhaltpkg", "cmmodpkg", "cmcheckconf", "cmapplyconf",
    "cmmodnet", "cmrunserv", "cmhaltserv", "lab-hang", "lab-slow", "lab-flood",
    *WRAPPED, *NOT_ON_HP_UX,
)  # fmt: skip


def main(argv: list[str]) -> int:
    name = os.path.basename(argv[0])
    if name in NOT_ON_HP_UX:
        err(f"sh: {name}:  not found.")  # HP-UX's POSIX shell, for a command it cannot find
        return 127
    func = COMMANDS.get(name)
    if func is None:
        err(f"{name}: not found")
        return 127
    ctx = Ctx(name, argv[1:])
    fault = ctx.layout.fault_file(ctx.host)
    if not name.startswith("lab-") and fault.exists() and fault.read_text().strip() == "hang":
        while True:  # set_fault("hang"): the node's commands never answer, the shell tools still do
            time.sleep(3600)
    try:
        return func(ctx, list(argv[1:])) or 0
    except Failure as exc:
        if str(exc):
            err(str(exc))
        return exc.code
    except BrokenPipeError:
        return 141
