"""LVM and file systems: ``vgchange`` of the cluster's volume group, ``mount``/``umount`` of its shared disk, bdf."""

import contextlib
import os
from pathlib import Path

from clusters.lab.sim.core import (
    GM_DIR,
    LOCAL_DISKS,
    Ctx,
    Failure,
    command,
    err,
    filesystem_of,
    now,
    options,
    out,
)
from clusters.lab.state import snapshot


def vg_name(value: str) -> str:
    return value.removeprefix("/dev/").strip("/")


@command("vgchange")
def vgchange(ctx: Ctx, args):
    opts, rest = options(args, "acqsPx", "")
    if len(rest) != 1 or not (opts.get("a") or opts.get("c")):
        raise Failure("usage: vgchange -a {y|e|s|n} [-q n] vg_name\n       vgchange -c {y|n} vg_name", 2)
    vg = vg_name(rest[0])
    if vg == "vg00":
        out('Volume group "/dev/vg00" has been successfully changed.')
        return 0
    if not ctx.cluster or vg != ctx.cluster.volume_group:
        raise Failure(f'vgchange: Volume group "/dev/{vg}" does not exist in the "/etc/lvmtab" file.')
    with ctx.locked() as state:
        cl = state.cluster(ctx.cluster.name)
        node_running = cl["status"] == "up" and cl["nodes"].get(ctx.host) == "running"
        if opts.get("c"):
            if not node_running:
                raise Failure(
                    f'vgchange: Unable to change the cluster attribute of "/dev/{vg}": '
                    "the HA cluster software (cmcld) is not running on this node."
                )
            cl["vg"]["cluster_aware"] = opts["c"][-1] == "y"
        mode = (opts.get("a") or [None])[-1]
        if mode is None:
            out(f'Volume group "/dev/{vg}" has been successfully changed.')
            return 0
        active = cl["vg"]["active"]
        mine = active.get(ctx.host)
        others = sorted(h for h in active if h != ctx.host)
        if mode == "n":
            busy = [mp for mp, lv in state.node(ctx.host)["mounts"].items() if lv.startswith(f"/dev/{vg}/")]
            if busy:
                raise Failure(f'vgchange: Couldn\'t deactivate volume group "/dev/{vg}":\nDevice busy')
            active.pop(ctx.host, None)
            out(f'Volume group "/dev/{vg}" has been successfully changed.')
            return 0
        if mode in ("y", "e", "s") and cl["vg"]["cluster_aware"] and mode == "y":
            mode = "e"  # vgchange(1M): -a y on a cluster volume group means exclusive
        if mode == "e":
            if not cl["vg"]["cluster_aware"]:
                raise Failure(
                    f'vgchange: Activation mode requested for the volume group "/dev/{vg}" conflicts with '
                    "configured mode."
                )
            if not node_running:
                raise Failure(
                    f'vgchange: Unable to activate "/dev/{vg}" in exclusive mode: '
                    "the HA cluster software (cmcld) is not running on this node."
                )
            if others:
                raise Failure(
                    f'vgchange: Activation of volume group "/dev/{vg}" denied by another node in the cluster.\n'
                    "Request on this system conflicts with Activation Mode on remote system."
                )
            if mine and mine != "e":
                raise Failure(
                    f'vgchange: Volume group "/dev/{vg}" is already active on this system in non-exclusive mode.\n'
                    "Request on this system conflicts with the Activation Mode."
                )
        if mode == "s":
            raise Failure(f'vgchange: Shared activation of "/dev/{vg}" needs Serviceguard Extension for RAC.')
        if mode not in ("y", "e"):
            raise Failure(f"vgchange: Invalid activation mode -a {mode}", 2)
        if mine:
            out(f'Volume group "/dev/{vg}" is already active.')
            return 0
        active[ctx.host] = mode
        if others:  # no LVM guard without the cluster: both nodes now write to one disk (vgchange(1M))
            state.event(
                ctx.cluster.name,
                "vg_dual_active",
                f"{vg} was activated on {ctx.host} while it was active on {', '.join(others)}",
            )
    out("Activated volume group.")
    out(f'Volume group "/dev/{vg}" has been successfully changed.')
    return 0


def _shared_fs(ctx: Ctx, target: str):
    """The shared file system named by a logical volume or a mount point, if the node's cluster has it."""
    if not ctx.cluster:
        return None
    return ctx.cluster.filesystem_of(target) or ctx.cluster.filesystem_at(target.rstrip("/") or "/")


@command("mount")
def mount(ctx: Ctx, args):
    _opts, rest = options(args, "Fo", "evlpraQ")
    with ctx.locked() as state:
        mounts = state.node(ctx.host)["mounts"]
        if not rest:
            for mount_point, dev in sorted(LOCAL_DISKS.items(), key=lambda item: item[1]):
                out(f"{mount_point} on {dev} ioerror=mwdisable,delaylog,dev=40000003 on {now()}")
            for mount_point, dev in sorted(mounts.items()):
                out(f"{mount_point} on {dev} ioerror=mwdisable,delaylog,dev=80000001 on {now()}")
            return 0
        if len(rest) == 1:
            fs = _shared_fs(ctx, rest[0])
            if not fs:
                raise Failure(f"mount: {rest[0]} not found in /etc/fstab")
            special, mount_point = fs.logical_volume, fs.mount_point
        elif len(rest) == 2:
            special, mount_point = rest[0], rest[1].rstrip("/") or "/"
        else:
            raise Failure("usage: mount [-F FStype] [-eQ] [-o specific_options] {special | directory}", 2)
        fs = ctx.cluster.filesystem_of(special) if ctx.cluster else None
        if fs is None:
            raise Failure(f"vxfs mount: Cannot open {special}: No such file or directory", 32)
        vg = ctx.cluster.volume_group
        if ctx.host not in state.cluster(ctx.cluster.name)["vg"]["active"]:
            raise Failure(f"vxfs mount: Cannot open {special}: No such device or address", 32)
        if special in mounts.values() or mount_point in mounts:
            raise Failure(
                f"vxfs mount: {special} is already mounted, {mount_point} is busy,\n"
                "                allowable number of mount points exceeded",
                32,
            )
        if not os.path.isdir(mount_point):
            raise Failure(f"vxfs mount: {mount_point} does not exist", 32)
        # loaded only when needed: enter.py finds libc (ctypes.util runs ldconfig) at import, costly per command
        from clusters.lab.enter import bind

        bind(str(ctx.layout.disk(ctx.cluster.name, fs.lvol)), mount_point)
        mounts[mount_point] = special
        for other in ctx.cluster.nodes:
            if other != ctx.host and special in state.node(other)["mounts"].values():
                state.event(
                    ctx.cluster.name, "fs_dual_mount", f"{special} ({vg}) was mounted on {ctx.host} and {other}"
                )
    return 0


@command("umount")
def umount(ctx: Ctx, args):
    _opts, rest = options(args, "F", "vfa")
    if len(rest) != 1:
        raise Failure("usage: umount [-v] {special | directory}", 2)
    with ctx.locked() as state:
        mounts = state.node(ctx.host)["mounts"]
        target = rest[0].rstrip("/") or "/"
        mount_point = target if target in mounts else next((mp for mp, lv in mounts.items() if lv == target), None)
        if mount_point is None:
            raise Failure(f"umount: cannot find {target} in /etc/mnttab\numount: cannot unmount {target}")
        running = [name for name, up in state.node(ctx.host)["services"].items() if up]
        if running and ctx.cluster and mount_point in (GM_DIR, ctx.cluster.database_directory):
            raise Failure(f"umount: cannot unmount {mount_point} : Device busy")
        # loaded only when needed: enter.py finds libc (ctypes.util runs ldconfig) at import, costly per command
        from clusters.lab.enter import unmount

        with contextlib.suppress(OSError):  # bound in an older session's namespace, not this one
            unmount(mount_point)
        del mounts[mount_point]
    return 0


@command("bdf")
def bdf(ctx: Ctx, args):
    _, rest = options(args, "t", "ilbs")
    state = snapshot(ctx.layout, ctx.spec)
    rows, rc = [], 0
    if rest:
        for path in rest:
            if not os.path.exists(path):
                err(f"bdf: {path}: No such file or directory")
                rc = 1
                continue
            rows.append(filesystem_of(ctx, state, os.path.abspath(path)))
    else:
        rows = [(dev, mp) for mp, dev in LOCAL_DISKS.items()]
        rows += [(dev, mp) for mp, dev in state.node(ctx.host)["mounts"].items()]
    if rows:
        out(f"{'Filesystem':<20}{'kbytes':>9}{'used':>9}{'avail':>9} %used Mounted on")
    for dev, mount_point in rows:
        total = 4194304 if "vg00" not in dev else 8388608
        used = (
            20480 + sum(f.stat().st_size for f in Path(mount_point).rglob("*") if f.is_file()) // 1024
            if mount_point not in ("/", "/usr")
            else 2097152
        )
        out(f"{dev:<20}{total:>9}{used:>9}{total - used:>9} {used * 100 // total:>4}% {mount_point}")
    return rc
