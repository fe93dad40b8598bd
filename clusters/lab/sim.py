"""The simulated HP-UX, LVM, MC/ServiceGuard and Groupmax commands of a lab node.

One program answers to every command name (``bin/sim/<name>`` and the product files under ``/opt`` are links
to it); ``main`` dispatches on the name it was called by. It runs inside the node's session (see enter.py),
so ``/var/opt/GroupMail`` here is whatever that path is on the node: its shared disk when mounted, else its
own disk. Messages marked "invented" in a comment are ours: the Hitachi manuals do not give them.
Standard library only.
"""

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from clusters.lab.spec import LabSpec
from clusters.lab.state import Layout, locked, node_path, pid_alive, snapshot

GM_DIR = "/var/opt/GroupMail"
GMPUBLICINFO = f"{GM_DIR}/nxcdir/gmpublicinfo"
GMSETUP_CONF = f"{GM_DIR}/conf/gmsetup.conf"
XODRC = "/opt/HiOODB/conf/xodrc"
DEPOT = "/var/spool/sw"
LOCAL_DISKS = {
    "/": "/dev/vg00/lvol3",
    "/tmp": "/dev/vg00/lvol4",  # noqa: S108 - a device name, not a file
    "/home": "/dev/vg00/lvol5",
    "/opt": "/dev/vg00/lvol6",
    "/usr": "/dev/vg00/lvol7",
    "/var": "/dev/vg00/lvol8",
}
ROOT_GROUPS = {"sys", "3", "root", "0"}  # HP-UX: root's primary group is sys (gid 3); it is also in root

PRODUCTS = {
    "HiOODB": ("07-00", "Groupmax Object Server", "/opt/HiOODB/bin", ("xodstart", "xodstop", "xodmkfile"), ()),
    "GMAX-ADDRESS": (
        "07-50",
        "Groupmax Address Server",
        "/opt/GroupMail/bin",
        ("GM_SETUP", "DB_SETUP", "GM_START", "GM_STOP", "adsrvn", "adstatp", "nxsrepstat"),
        ("nxcdir", "conf", "log", "spool"),
    ),
    "GMAX-ADDR-REP": ("07-50", "Groupmax Address Server - Replication Option", "/opt/GroupMail/bin", (), ("rep",)),
    "GMAX-MAIL": (
        "07-50",
        "Groupmax Mail Server",
        "/opt/GroupMail/bin",
        ("APSTART", "APSTOP", "mlstatp", "mhs_nadr_cfg"),
        ("mail", "mail/spool"),
    ),
}
# Tools of this Linux machine that HP-UX 11i does not have (setsid exists there only as a system call): on a lab
# node, as on the real one, the shell does not find them, so nothing the portal sends can come to rely on them.
NOT_ON_HP_UX = ("setsid", "timeout")
PATH_COMMANDS = (
    "vgchange", "mount", "umount", "bdf", "swinstall", "swlist", "swremove",
    "cmruncl", "cmhaltcl", "cmviewcl", "cmrunpkg", "cmhaltpkg", "cmmodpkg", "cmcheckconf", "cmapplyconf",
    "cmmodnet", "cmrunserv", "cmhaltserv", "lab-hang", "lab-slow", "lab-flood",
    *NOT_ON_HP_UX,
)  # fmt: skip
COMMANDS: dict = {}


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


# -- helpers ----------------------------------------------------------------------------------------------------


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


def resiobj(lines: list[str]) -> tuple[str | None, bool]:
    """The ``-s`` schema of the ``resiobj`` line of xodrc and whether that line is active (not a comment)."""
    for line in lines:
        words = line.strip().lstrip("#").split()
        if words and words[0] == "resiobj":
            schema = words[words.index("-s") + 1] if "-s" in words[:-1] else None
            return schema, not line.strip().startswith("#")
    return None, False


def xodrc_value(key: str, default: str) -> str:
    for line in read_lines(XODRC):
        words = line.split()
        if len(words) >= 2 and words[0] == key:
            return words[1]
    return default


def conf_file(path: str) -> dict:
    values: dict[str, str] = {}
    for line in read_lines(path):
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


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
    """A write to the shared disk while its volume group is active on two nodes corrupts it (B3.1)."""
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


# -- LVM and file systems ---------------------------------------------------------------------------------------


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


# -- software distributor -----------------------------------------------------------------------------------------


def install_product(fsroot: Path, product: str, labcmd_path: str, schema: str, database_directory: str) -> None:
    """Put a product's commands under /opt and its data under /var/opt/GroupMail of ``fsroot``."""
    revision, title, bindir, commands, data_dirs = PRODUCTS[product]
    for name in commands:
        link = fsroot / bindir.lstrip("/") / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(labcmd_path)
    for sub in data_dirs:
        (fsroot / GM_DIR.lstrip("/") / sub).mkdir(parents=True, exist_ok=True)
    if product == "GMAX-ADDRESS":
        info = fsroot / GMPUBLICINFO.lstrip("/")
        if not info.exists():
            info.write_text("MAX_LOGIN_USER=128\nDNAMERFC=N\n", encoding="utf-8")
    if product == "HiOODB":
        (fsroot / "opt/HiOODB/conf").mkdir(parents=True, exist_ok=True)
        (fsroot / XODRC.lstrip("/")).write_text(
            "# HiOODB system common definition file (written by xodsetup)\n"
            "set XODDIR=/opt/HiOODB\n"
            f"dbdir {database_directory}\n"
            f"jnl_output_file {database_directory}/xodjnl\n"
            "maxconnect 64\n"
            f"resiobj -s {schema} -m all\n",
            encoding="utf-8",
        )
    record = fsroot / "var/adm/sw/products" / product
    record.mkdir(parents=True, exist_ok=True)
    (record / "INDEX").write_text(f"tag {product}\nrevision {revision}\ntitle {title}\n", encoding="utf-8")


def installed(fsroot: Path = Path("/")) -> dict[str, str]:
    products = {}
    base = fsroot / "var/adm/sw/products"
    for entry in sorted(base.iterdir()) if base.is_dir() else ():
        products[entry.name] = PRODUCTS.get(entry.name, ("?",))[0]
    return products


def _selections(rest: list[str]) -> list[str]:
    return [word.split(",", 1)[0] for word in rest if not word.startswith("@")]


def _session(ctx: Ctx, verb: str, lines: list[str]) -> None:
    out(f"=======  {now()}  BEGIN {verb} SESSION")
    out(f"         (non-interactive) (jobid={ctx.host}-{os.getpid() % 10000:04d})")
    out(f'       * Session started for user "root@{ctx.host}".')
    for line in lines:
        out(f"       * {line}")
    out(f"=======  {now()}  END {verb} SESSION (non-interactive)")


@command("swinstall")
def swinstall(ctx: Ctx, args):
    opts, rest = options(args, "sxfX", "piv")
    depot = (opts.get("s") or [DEPOT])[-1]
    products = _selections(rest)
    if not products:
        raise Failure("ERROR:   No software selections were specified.")
    if not os.path.isdir(depot):
        raise Failure(f'ERROR:   "{ctx.host}:{depot}": This depot does not exist.')
    unknown = [p for p in products if p not in PRODUCTS]
    if unknown:
        raise Failure(
            f'ERROR:   "{unknown[0]}": This software selection cannot be found in the source "{ctx.host}:{depot}".\n'
            'ERROR:   The "Selection" phase had errors.'
        )
    schema = ctx.server.schema_name if ctx.server else "GMAXSCH"
    database_directory = ctx.cluster.database_directory if ctx.cluster else "/OBJSVFILE"
    with ctx.locked() as state:
        for product in products:
            install_product(Path("/"), product, labcmd(ctx), schema, database_directory)
            note_shared_write(ctx, state, GM_DIR, f"swinstall {product}")
            state.node(ctx.host)["products"][product] = PRODUCTS[product][0]
    where = filesystem_of(ctx, snapshot(ctx.layout, ctx.spec), GM_DIR)
    _session(
        ctx,
        "swinstall",
        [
            f"Source:                 {ctx.host}:{depot}",
            f"Targets:                {ctx.host}:/",
            "Software selections:",
            *[f"    {p},r={PRODUCTS[p][0]}" for p in products],
            "Selection succeeded.",
            "Analysis and Execution succeeded.",
            f"{GM_DIR} is on {where[0]} ({where[1]}).",
        ],
    )
    return 0


@command("swremove")
def swremove(ctx: Ctx, args):
    _, rest = options(args, "x", "piv")
    products = _selections(rest)
    have = installed()
    for product in products:
        if product not in have:
            raise Failure(f'ERROR:   "{product}": This software selection cannot be found on "{ctx.host}:/".')
    with ctx.locked() as state:
        for product in products:
            _, _, bindir, commands, _ = PRODUCTS[product]
            for name in commands:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{bindir}/{name}")
            for path in (Path("/var/adm/sw/products") / product).glob("*"):
                path.unlink()
            (Path("/var/adm/sw/products") / product).rmdir()
            state.node(ctx.host)["products"].pop(product, None)
    _session(ctx, "swremove", ["Software selections:", *[f"    {p}" for p in products], "Execution succeeded."])
    return 0


@command("swlist")
def swlist(ctx: Ctx, args):
    _, rest = options(args, "las", "v")
    have = installed()
    wanted = _selections(rest)
    missing = [p for p in wanted if p not in have]
    if missing:
        raise Failure(f'ERROR:   Software "{missing[0]}" was not found on host "{ctx.host}:/".')
    out("# Initializing...")
    out(f'# Contacting target "{ctx.host}"...')
    out("#")
    out(f"# Target:  {ctx.host}:/")
    out("#")
    out()
    for product in wanted or have:
        out(f"  {product:<22}{PRODUCTS[product][0]:<15}{PRODUCTS[product][1]}")
    return 0


# -- Groupmax and Object Server --------------------------------------------------------------------------------


def _ask(prompt: str) -> str:
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise Failure("\nKDGM1010-E 入力が終了しました。GM_SETUP を中止します。")  # invented
    return line.strip()


@command("GM_SETUP")
def gm_setup(ctx: Ctx, args):
    opts, _rest = options(args, "tsug", "")
    answers = {key: (opts.get(key) or [None])[-1] for key in "tsug"}
    if not os.path.isdir(f"{GM_DIR}/nxcdir"):
        raise Failure(f"KDGM1001-E Address Server のデータがありません ({GM_DIR}/nxcdir)。")
    if answers["t"] is None:
        answers["t"] = _ask("サーバ構成を選択してください (1:マスタ管理サーバ 2:アドレスサーバ) : ")
    if answers["s"] is None:
        answers["s"] = _ask("データベースのスキーマ名を入力してください : ")
    if answers["u"] is None:
        answers["u"] = _ask("システム管理者のユーザ ID を入力してください : ")
    if answers["g"] is None:
        answers["g"] = _ask("システム管理者のグループ ID を入力してください : ")
    server_type = {"1": "master", "2": "address"}.get(answers["t"], answers["t"])
    with ctx.locked() as state:
        if ctx.cluster:
            fs = ctx.cluster.filesystem_at(GM_DIR)
            lv = mounted_lv(ctx, state, GM_DIR)
            if fs and lv != fs.logical_volume:  # invented message: K.5 A-05 says to check this by hand
                device = filesystem_of(ctx, state, GM_DIR)[0]
                raise Failure(
                    f"KDGM1002-E {GM_DIR} is not on the shared disk ({fs.logical_volume}); it is on {device}.\n"
                    "KDGM1002-E Mount the package volume group, reinstall Address Server and run GM_SETUP again."
                )
        if server_type not in ("master", "address"):
            raise Failure(f"KDGM1003-E サーバ構成の指定が不正です: {answers['t']}")
        expected_role = ctx.server.role if ctx.server else server_type
        if server_type != expected_role:
            raise Failure(
                f"KDGM1004-E Server configuration {server_type!r} does not match this server ({expected_role})."
            )
        if not os.path.exists(XODRC):
            raise Failure(f"KDGM1005-E Object Server がインストールされていません ({XODRC})。")
        schema, _ = resiobj(read_lines(XODRC))
        if answers["s"] != schema:
            raise Failure(
                f"KDGM1006-E The schema name {answers['s']} differs from the -s value of resiobj in {XODRC} ({schema})."
            )
        if answers["u"] not in ("root", "0"):
            raise Failure(f"KDGM1007-E The system administrator must be root (user ID 0), not {answers['u']}.")
        if answers["g"] not in ROOT_GROUPS:
            raise Failure(f"KDGM1008-E Group {answers['g']} is not a group of root (sys, root).")
        write_lines(
            GMSETUP_CONF,
            [
                f"SERVER_TYPE={server_type}",
                f"SCHEMA={answers['s']}",
                f"ADMIN_USER={answers['u']}",
                f"ADMIN_GROUP={answers['g']}",
                f"SETUP_HOST={ctx.host}",
            ],
        )
        note_shared_write(ctx, state, GM_DIR, "GM_SETUP")
    out("KDGM1000-I GM_SETUP が正常に終了しました。")
    return 0


def _dbdir() -> str:
    return xodrc_value("dbdir", "/OBJSVFILE")


def _schema_file(schema: str) -> Path:
    return Path(_dbdir()) / f"{schema}.schema"


@command("xodmkfile")
def xodmkfile(ctx: Ctx, args):
    opts, _ = options(args, "dsn", "")
    directory = (opts.get("d") or [_dbdir()])[-1]
    if not os.path.isdir(directory):
        raise Failure(f"KFOD00410-E Directory {directory} does not exist.")
    files = [Path(directory) / name for name in ("xoddb.sys", "xoddb.dat", "xodjnl")]
    if any(f.exists() for f in files):
        raise Failure(f"KFOD00411-E Database files already exist in {directory}.")
    with ctx.locked() as state:
        for f in files:
            f.write_bytes(b"\0" * 512)
        note_shared_write(ctx, state, directory, "xodmkfile")
    out(f"KFOD00400-I Database files created in {directory}.")
    return 0


@command("xodstart")
def xodstart(ctx: Ctx, args):
    options(args, "", "n")
    dbdir = _dbdir()
    with ctx.locked() as state:
        services = state.node(ctx.host)["services"]
        if services["objsv"]:
            raise Failure("KFOD00102-E Object Server is already running.")
        if not (Path(dbdir) / "xoddb.sys").exists():
            raise Failure(f"KFOD00201-E Database files are not found in {dbdir}.")
        schema, active = resiobj(read_lines(XODRC))
        if active and schema and not _schema_file(schema).exists():
            raise Failure(f"KFOD00310-E Resident object schema {schema} (resiobj) is not found in the database.")
        services["objsv"] = True
    out("KFOD00101-I Object Server started.")
    return 0


@command("xodstop")
def xodstop(ctx: Ctx, args):
    opts, _ = options(args, "", "fd")
    with ctx.locked() as state:
        services = state.node(ctx.host)["services"]
        if not services["objsv"]:
            out("KFOD00104-I Object Server is not running.")
            return 0
        if (services["addr"] or services["mail"]) and not opts.get("f"):
            raise Failure("KFOD00105-E Applications are connected to Object Server; stop them or use -f.")
        services["objsv"] = False
        if opts.get("f"):
            services["addr"] = services["mail"] = False
    out("KFOD00103-I Object Server stopped.")
    return 0


def _setup(ctx: Ctx) -> dict:
    conf = conf_file(GMSETUP_CONF)
    if not conf:
        raise Failure(f"KDAM0101-E GM_SETUP has not been run ({GMSETUP_CONF} not found).")
    return conf


@command("DB_SETUP")
def db_setup(ctx: Ctx, args):
    conf = _setup(ctx)
    with ctx.locked() as state:
        if not state.node(ctx.host)["services"]["objsv"]:
            raise Failure("KDAM0110-E Object Server is not running.")
        schema_file = _schema_file(conf["SCHEMA"])
        if schema_file.exists():
            raise Failure(f"KDAM0111-E Schema {conf['SCHEMA']} already exists in the database.")
        schema_file.write_text(f"schema {conf['SCHEMA']}\n", encoding="utf-8")
        note_shared_write(ctx, state, str(schema_file.parent), "DB_SETUP")
    out(f"KDAM0100-I DB_SETUP completed: schema {conf['SCHEMA']} created.")
    return 0


def records_of(lines: list[str]) -> set[str]:
    return {line.strip().replace(" ", "") for line in lines if not line.strip().startswith("#")}


def master_gmpublicinfo(layout: Layout, spec: LabSpec) -> Path | None:
    """The master management server's gmpublicinfo, where every cluster's IP records go (A-31, B-27, C-25)."""
    master = spec.master
    if master is None:
        return None
    if master.host:
        return layout.node_root(master.host) / GMPUBLICINFO.lstrip("/")
    fs = spec.cluster(master.cluster).filesystem_at(GM_DIR)
    return layout.disk(master.cluster, fs.lvol) / "nxcdir/gmpublicinfo" if fs else None


def gmpublicinfo_problems(ctx: Ctx, lines: list[str]) -> list[str]:
    """What a clustered address service needs: CLUSTERING_LEVEL=1 here, ``<local IP>=<package host>`` at the master."""
    problems = []
    if "CLUSTERING_LEVEL=1" not in records_of(lines):
        problems.append(f"KDAM0121-E CLUSTERING_LEVEL=1 is not set in {GMPUBLICINFO}.")
    master = ctx.spec.master
    if master and master.cluster == ctx.cluster.name:
        where, master_lines = GMPUBLICINFO, lines
    else:
        path = master_gmpublicinfo(ctx.layout, ctx.spec)
        where, master_lines = f"{GMPUBLICINFO} of the master management server", read_lines(str(path)) if path else []
    for ip in ctx.node.local_ips:
        if f"{ip}={ctx.cluster.package_host}" not in records_of(master_lines):
            problems.append(f"KDAM0122-E {where} has no record {ip}={ctx.cluster.package_host} for this node.")
    return problems


@command("GM_START")
def gm_start(ctx: Ctx, args):
    conf = _setup(ctx)
    with ctx.locked() as state:
        node = state.node(ctx.host)
        if node["services"]["addr"]:
            raise Failure("KDAM0002-E The address service is already running.")
        if not node["services"]["objsv"]:
            raise Failure("KDAM0103-E Object Server is not running; start it first (xodstart).")
        if not _schema_file(conf["SCHEMA"]).exists():
            raise Failure(f"KDAM0104-E The database is not set up (schema {conf['SCHEMA']}); run DB_SETUP.")
        _schema, active = resiobj(read_lines(XODRC))
        if not active:  # invented: K.5 A-23 restores it; without it the schema is not resident
            raise Failure(
                f"KDAM0105-E Schema {conf['SCHEMA']} is not resident: the resiobj line of {XODRC} is a comment."
            )
        if ctx.cluster and ctx.cluster.package_ip in node["ip"]:
            problems = gmpublicinfo_problems(ctx, read_lines(GMPUBLICINFO))
            if problems:
                raise Failure("\n".join(problems))
        node["services"]["addr"] = True
    out("KDAM0001-I Groupmax address service started.")
    return 0


@command("GM_STOP")
def gm_stop(ctx: Ctx, args):
    with ctx.locked() as state:
        services = state.node(ctx.host)["services"]
        if not services["addr"]:
            out("KDAM0003-I The address service is not running.")
            return 0
        services["addr"] = False
    out("KDAM0004-I Groupmax address service stopped.")
    return 0


@command("adsrvn")
def adsrvn(ctx: Ctx, args):
    opts, _ = options(args, "n", "")
    if not opts.get("n"):
        raise Failure("usage: adsrvn -n domain_or_host_name", 2)
    conf = _setup(ctx)
    if not snapshot(ctx.layout, ctx.spec).node(ctx.host)["services"]["addr"]:
        raise Failure("KDAM0130-E アドレスサービスが起動していません。")
    conf["SERVER_HOST"] = opts["n"][-1]
    write_lines(GMSETUP_CONF, [f"{k}={v}" for k, v in conf.items()])
    out(f"ドメイン名/ホスト名を {opts['n'][-1]} に変更しました。")
    out("ドメイン名/ホスト名の配布に失敗しました。")
    return 1


@command("APSTART")
def apstart(ctx: Ctx, args):
    _setup(ctx)
    with ctx.locked() as state:
        services = state.node(ctx.host)["services"]
        if services["mail"]:
            raise Failure("KDMS0002-E The mail server is already running.")
        if not services["objsv"]:
            raise Failure("KDMS0103-E Object Server is not running.")
        services["mail"] = True
    out("KDMS0001-I Groupmax mail server started.")
    return 0


@command("APSTOP")
def apstop(ctx: Ctx, args):
    with ctx.locked() as state:
        services = state.node(ctx.host)["services"]
        if not services["mail"]:
            out("KDMS0003-I The mail server is not running.")
            return 0
        services["mail"] = False
    out("KDMS0004-I Groupmax mail server stopped.")
    return 0


@command("mhs_nadr_cfg")
def mhs_nadr_cfg(ctx: Ctx, args):
    if len(args) != 2 or args[0] != "TCP" or args[1] not in ("ON", "OFF"):
        raise Failure("usage: mhs_nadr_cfg TCP {ON|OFF}", 2)
    name = ctx.server.name if ctx.server else ctx.host
    with ctx.locked() as state:
        state.domain()["mail_servers"].setdefault(name, {})["nadr_tcp"] = args[1]
    out(f"mhs_nadr_cfg: TCP を {args[1]} に設定しました。")
    return 0


def _address_service_up(state, spec: LabSpec, server) -> bool:
    hosts = [server.host] if server.host else list(spec.cluster(server.cluster).nodes)
    return any(state.node(h)["services"]["addr"] for h in hosts if h)


@command("nxsrepstat")
def nxsrepstat(ctx: Ctx, args):
    opts, _ = options(args, "hs", "")
    state = snapshot(ctx.layout, ctx.spec)
    if not state.node(ctx.host)["services"]["addr"]:
        raise Failure("通信開始時にエラーが発生しました")
    servers = [s for s in ctx.spec.servers if s.role == "address"]
    if opts.get("h"):
        names = opts["h"][-1].split(",")
        known = {s.name: s for s in ctx.spec.servers}
        known.update({c.package_host: ctx.spec.server_of_cluster(c.name) for c in ctx.spec.clusters})
        known.update({s.host: s for s in ctx.spec.servers if s.host})
        for name in names:
            if name not in known:
                raise Failure(f"指定したホスト名は存在しません({name})")
        servers = [known[n] for n in names if known[n] and known[n].role == "address"]
    down = [s.name for s in servers if not _address_service_up(state, ctx.spec, s)]
    if down:
        raise Failure(f"通信開始時にエラーが発生しました ({', '.join(down)})")
    pending = state.domain().get("pending_transactions", 0)
    if pending:
        out(f"トランザクションレコードあり ({pending})")
        return 1
    out("トランザクションレコードなし")
    return 0


def _healthy(ctx: Ctx, service: str) -> str | None:
    state = snapshot(ctx.layout, ctx.spec)
    if not state.node(ctx.host)["services"][service]:
        if service == "addr":
            return "KDAM0201-E アドレスサービスが停止しています。"
        return "KDMS0201-E メールサーバが停止しています。"
    return None


def monitor(ctx: Ctx, service: str) -> int:
    """adstatp/mlstatp: run while the service is healthy; exit on failure (how ServiceGuard notices)."""
    problem = _healthy(ctx, service)
    ready = os.environ.pop("LAB_READY_FD", None)
    if problem:
        err(problem)
        return 1
    if ready:
        os.write(int(ready), b"ready\n")
        os.close(int(ready))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(0.5)
        problem = _healthy(ctx, service)
        if problem:
            err(problem)
            return 1


@command("adstatp")
def adstatp(ctx: Ctx, args):
    return monitor(ctx, "addr")


@command("mlstatp")
def mlstatp(ctx: Ctx, args):
    return monitor(ctx, "mail")


# -- ServiceGuard -------------------------------------------------------------------------------------------------


def run_on_node(ctx: Ctx, host: str, command_line: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a shell command in another (or this) node's own session, as cmcld does through cmclconfd."""
    from clusters.lab.enter import enter_host_namespace

    env = {
        "LAB_ROOT": str(ctx.layout.root),
        "LAB_NODE": host,
        "SSH_ORIGINAL_COMMAND": command_line,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(  # noqa: S603 - the lab's own entry program
        [str(ctx.layout.bin / "enter")], env=env, preexec_fn=enter_host_namespace, check=False, **kwargs
    )


def parse_conf(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in read_lines(str(path)):
        words = line.split("#", 1)[0].split(None, 1)
        if len(words) == 2:
            values.setdefault(words[0].upper(), []).append(words[1].strip().strip('"'))
    return values


def check_configuration(ctx: Ctx, state, args) -> tuple[dict, dict, list[str]]:
    """cmcheckconf's checks (MSG: names, nodes, run/halt scripts present and executable on every node)."""
    opts, _ = options(args, "CPpLk", "vfk")
    cluster = ctx.need_cluster()
    lines = []
    cluster_file = (opts.get("C") or [None])[-1]
    cl_conf: dict = {}
    if cluster_file:
        lines.append(f"Checking cluster file: {cluster_file}")
        if not os.path.isfile(cluster_file):
            raise Failure(f"{ctx.name}: Unable to read {cluster_file}: No such file or directory")
        cl_conf = parse_conf(Path(cluster_file))
        name = (cl_conf.get("CLUSTER_NAME") or [None])[0]
        if name != cluster.name:
            raise Failure(f"{ctx.name}: CLUSTER_NAME {name} in {cluster_file} is not this cluster ({cluster.name}).")
        for node in cl_conf.get("NODE_NAME", []):
            if node not in cluster.nodes:
                raise Failure(f"{ctx.name}: Node {node} is not reachable or is not a node of this cluster.")
        lines.append("Checking nodes ... Done")
        lines.append("Checking existing configuration ... Done")
    elif not state.cluster(cluster.name)["configured"]:
        raise Failure(f"{ctx.name}: No cluster configuration file given (-C) and no cluster is configured.")
    pkg_conf: dict = {}
    for package_file in opts.get("P", []):
        lines.append(f"Parsing package file: {package_file}.")
        if not os.path.isfile(package_file):
            raise Failure(f"{ctx.name}: Unable to read {package_file}: No such file or directory")
        pkg_conf = parse_conf(Path(package_file))
        name = (pkg_conf.get("PACKAGE_NAME") or [None])[0]
        if name != cluster.package_name:
            raise Failure(f"{ctx.name}: PACKAGE_NAME {name} in {package_file} is not {cluster.package_name}.")
        for node in pkg_conf.get("NODE_NAME", []):
            if node not in cluster.nodes:
                raise Failure(f"{ctx.name}: Package {name}: node {node} is not a node of the cluster.")
        for key in ("RUN_SCRIPT", "HALT_SCRIPT"):
            script = (pkg_conf.get(key) or [cluster.control_script_path])[0]
            for host in cluster.nodes:
                path = ctx.layout.node_root(host) / script.lstrip("/")
                if not path.is_file() or not os.access(path, os.X_OK):
                    raise Failure(
                        f"{ctx.name}: Package {name}: {key} {script} does not exist or is not executable "
                        f"on node {host}."
                    )
    lines.append("Checking for inconsistencies .. Done")
    return cl_conf, pkg_conf, lines


@command("cmcheckconf")
def cmcheckconf(ctx: Ctx, args):
    with ctx.locked() as state:
        _, _, lines = check_configuration(ctx, state, args)
    for line in lines:
        out(line)
    out("Verification completed with no errors found.")
    out("Use the cmapplyconf command to apply the configuration.")
    return 0


@command("cmapplyconf")
def cmapplyconf(ctx: Ctx, args):
    with ctx.locked() as state:
        _, pkg_conf, lines = check_configuration(ctx, state, args)
    for line in lines:
        out(line)
    if "-f" not in args:
        answer = _ask_plain("Modify the cluster configuration ([y]/n)? ")
        if answer.lower().startswith("n"):
            raise Failure("cmapplyconf: Apply aborted.")
    cluster = ctx.cluster
    with ctx.locked() as state:
        cl = state.cluster(cluster.name)
        cl["configured"] = True
        cl["vg"]["cluster_aware"] = True
        if pkg_conf:
            cl["package"]["run_script"] = (pkg_conf.get("RUN_SCRIPT") or [cluster.control_script_path])[0]
            cl["package"]["node_order"] = pkg_conf.get("NODE_NAME") or list(cluster.nodes)
            cl["package"]["auto_run"] = (pkg_conf.get("AUTO_RUN") or ["YES"])[0].upper() != "NO"
        for host in cluster.nodes:
            binary = ctx.layout.node_root(host) / "etc/cmcluster/cmclconfig"
            binary.parent.mkdir(parents=True, exist_ok=True)
            binary.write_bytes(b"CMCLCONFIG\0" + cluster.name.encode())
    out("Marking/unmarking volume groups for use in the cluster")
    out("Completed the cluster creation")
    return 0


def _ask_plain(prompt: str) -> str:
    sys.stdout.write(prompt)
    sys.stdout.flush()
    return sys.stdin.readline().strip()


def run_control_script(ctx: Ctx, host: str, action: str) -> int:
    """Run that node's copy of the package control script, its output appended to control.sh.log."""
    state = snapshot(ctx.layout, ctx.spec)
    script = state.cluster(ctx.cluster.name)["package"]["run_script"] or ctx.cluster.control_script_path
    q = shlex.quote(script)
    result = run_on_node(ctx, host, f"bash {q} {action} >> {shlex.quote(script + '.log')} 2>&1")
    return result.returncode


def start_package(ctx: Ctx, host: str) -> bool:
    with ctx.locked() as state:
        state.cluster(ctx.cluster.name)["package"].update(state="starting", node=host)
    ok = run_control_script(ctx, host, "start") == 0
    with ctx.locked() as state:
        package = state.cluster(ctx.cluster.name)["package"]
        if ok:
            package.update(state="running", node=host)
        else:
            package.update(state="halted", node=None)
            package["node_switching"][host] = False  # rc 1: failed, switching disabled (cmrunpkg(1M))
    return ok


def halt_package(ctx: Ctx) -> bool:
    state = snapshot(ctx.layout, ctx.spec)
    host = state.cluster(ctx.cluster.name)["package"]["node"]
    with ctx.locked() as state:
        state.cluster(ctx.cluster.name)["package"]["state"] = "halting"
    ok = run_control_script(ctx, host, "stop") == 0
    with ctx.locked() as state:
        package = state.cluster(ctx.cluster.name)["package"]
        for name, service in list(package["services"].items()):
            if pid_alive(service.get("pid")):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(service["pid"], signal.SIGTERM)
            del package["services"][name]
        package.update(state="halted" if ok else "failed", node=None if ok else host)
    return ok


@command("cmruncl")
def cmruncl(ctx: Ctx, args):
    opts, _ = options(args, "nw", "vf")
    cluster = ctx.need_cluster()
    verbose = bool(opts.get("v"))
    nodes = opts.get("n") or list(cluster.nodes)
    with ctx.locked() as state:
        cl = state.cluster(cluster.name)
        if not cl["configured"]:  # invented text: cmruncl needs the binary configuration cmapplyconf writes
            raise Failure("cmruncl: Unable to read the cluster configuration (cmclconfig); run cmapplyconf first.")
        if cl["status"] == "up":
            raise Failure(f"cmruncl: Cluster {cluster.name} is already running.")
        for host in nodes:
            if host not in cluster.nodes:
                raise Failure(f"cmruncl: Node {host} is not in the cluster configuration.")
            if ctx.layout.fault_file(host).exists():
                raise Failure(f"cmruncl: Unable to communicate with node {host}.\ncmruncl: Unable to start the cluster")
        if verbose:
            out("cmruncl: Validating network configuration...")
            out("cmruncl: Network validation complete")
            out("Waiting for cluster to form .... done")
        cl["status"] = "up"
        for host in cluster.nodes:
            cl["nodes"][host] = "running" if host in nodes else "down"
        package = cl["package"]
        package["auto_run"] = True
        package["node_switching"] = {host: True for host in cluster.nodes}
        candidates = [h for h in package["node_order"] if cl["nodes"].get(h) == "running"]
    out("Cluster successfully formed.")
    out("Check the syslog files on all nodes in the cluster to verify that no warnings occurred during startup.")
    if candidates:
        host = candidates[0]
        if verbose:
            out(f"Starting package {cluster.package_name} on node {host}")
        if not start_package(ctx, host):  # invented: the real cmruncl reports this only in syslog
            raise Failure(
                f"cmruncl: Package {cluster.package_name} failed to start on node {host}; "
                f"see {snapshot(ctx.layout, ctx.spec).cluster(cluster.name)['package']['run_script']}.log"
            )
    return 0


@command("cmhaltcl")
def cmhaltcl(ctx: Ctx, args):
    opts, _ = options(args, "", "fvq")
    cluster = ctx.need_cluster()
    state = snapshot(ctx.layout, ctx.spec)
    cl = state.cluster(cluster.name)
    if cl["status"] != "up":
        raise Failure(f"cmhaltcl: Cluster {cluster.name} is not running.")
    package = cl["package"]
    if package["state"] in ("running", "starting", "failed") and package["node"]:
        if not opts.get("f"):
            raise Failure(
                f"cmhaltcl: Unable to halt the cluster: package {cluster.package_name} is running on node "
                f"{package['node']}.\ncmhaltcl: Halt the packages first, or use the -f option."
            )
        out("Disabling all packages from starting on nodes to be halted.")
        out("Warning:  Do not modify or enable packages until the halt operation is completed.")
        out(f"Halting Package {cluster.package_name}")
        if not halt_package(ctx):
            raise Failure(f"cmhaltcl: Unable to halt package {cluster.package_name}.\ncmhaltcl: Halt failed.")
    with ctx.locked() as state:
        cl = state.cluster(cluster.name)
        for host in cluster.nodes:
            if cl["nodes"].get(host) == "running" and opts.get("v"):
                out(f"Halting cluster services on node {host}")
            cl["nodes"][host] = "down"
        cl["status"] = "down"
        for host in cluster.nodes:
            state.node(host)["ip"] = [ip for ip in state.node(host)["ip"] if ip != cluster.package_ip]
    out("Successfully halted all nodes specified.")
    out("Halt operation complete.")
    return 0


def _package_arg(ctx: Ctx, rest: list[str]) -> None:
    if len(rest) != 1:
        raise Failure(f"usage: {ctx.name} [-v] [-n node_name] package_name", 2)
    if rest[0] != ctx.cluster.package_name:
        raise Failure(f"{ctx.name}: Package {rest[0]} does not exist in this cluster.")


@command("cmrunpkg")
def cmrunpkg(ctx: Ctx, args):
    opts, rest = options(args, "n", "v")
    cluster = ctx.need_cluster()
    _package_arg(ctx, rest)
    targets = opts.get("n") or [ctx.host]
    if len(targets) > 1:
        raise Failure("cmrunpkg: Only one node may be specified for a failover package.")
    host = targets[0]
    state = snapshot(ctx.layout, ctx.spec)
    cl = state.cluster(cluster.name)
    package = cl["package"]
    if cl["status"] != "up" or cl["nodes"].get(host) != "running":
        raise Failure(f"cmrunpkg: Node {host} is not running in the cluster.")
    if package["state"] != "halted":
        raise Failure(f"cmrunpkg: Package {cluster.package_name} is already {package['state']} on {package['node']}.")
    if not package["node_switching"].get(host):
        raise Failure(
            f"Unable to run package {cluster.package_name} on node {host}. Node is not eligible.\n"
            "cmrunpkg: Unable to start some package or package instances"
        )
    out(f"Running package {cluster.package_name} on node {host}")
    if not start_package(ctx, host):
        raise Failure(
            f"Unable to start package {cluster.package_name} on node {host}\n"
            "cmrunpkg: Unable to start some package or package instances"
        )
    out(f"Successfully started package {cluster.package_name} on node {host}")
    out("cmrunpkg: All specified packages are running")
    return 0


@command("cmhaltpkg")
def cmhaltpkg(ctx: Ctx, args):
    _opts, rest = options(args, "n", "v")
    cluster = ctx.need_cluster()
    _package_arg(ctx, rest)
    package = snapshot(ctx.layout, ctx.spec).cluster(cluster.name)["package"]
    if package["state"] == "halted" or not package["node"]:
        raise Failure(f"cmhaltpkg: Unable to halt package {cluster.package_name}: it is not running.")
    out(f"Halting package {cluster.package_name}")
    ok = halt_package(ctx)
    with ctx.locked() as state:
        state.cluster(cluster.name)["package"]["auto_run"] = False
    if not ok:
        raise Failure(f"cmhaltpkg: Unable to halt package {cluster.package_name}")
    out(f"cmhaltpkg: Successful halt of package {cluster.package_name}")
    out("cmhaltpkg: Completed successfully on all packages specified")
    return 0


@command("cmmodpkg")
def cmmodpkg(ctx: Ctx, args):
    opts, rest = options(args, "n", "edv")
    cluster = ctx.need_cluster()
    _package_arg(ctx, rest)
    if bool(opts.get("e")) == bool(opts.get("d")):
        raise Failure("usage: cmmodpkg {-e|-d} [-n node_name]... package_name", 2)
    enable = bool(opts.get("e"))
    start_on = None
    with ctx.locked() as state:
        cl = state.cluster(cluster.name)
        package = cl["package"]
        if opts.get("n"):
            for host in opts["n"]:
                if host not in cluster.nodes:
                    raise Failure(f"cmmodpkg: Node {host} is not in the node list of {cluster.package_name}.")
                package["node_switching"][host] = enable
        else:
            package["auto_run"] = enable
            if enable and cl["status"] == "up" and package["state"] == "halted":
                eligible = [
                    h for h in package["node_order"]
                    if cl["nodes"].get(h) == "running" and package["node_switching"].get(h)
                ]  # fmt: skip
                start_on = eligible[0] if eligible else None
    if start_on and not start_package(ctx, start_on):
        raise Failure(f"cmmodpkg: Package {cluster.package_name} failed to start on node {start_on}")
    out("cmmodpkg: Completed successfully on all packages specified")
    return 0


@command("cmviewcl")
def cmviewcl(ctx: Ctx, args):
    opts, _ = options(args, "lpnf", "v")
    cluster = ctx.need_cluster()
    cl = snapshot(ctx.layout, ctx.spec).cluster(cluster.name)
    if not cl["configured"]:
        raise Failure(
            "cmviewcl: Cannot view the cluster configuration: Either this node is not configured in a cluster, "
            "the cluster is down, or there is a network problem."
        )
    package = cl["package"]
    auto = "enabled" if package["auto_run"] else "disabled"
    up = cl["status"] == "up"
    out(f"{'CLUSTER':<21}STATUS")
    out(f"{cluster.name:<21}{cl['status']}")
    for host in cluster.nodes:
        running = up and cl["nodes"].get(host) == "running"
        out(f"  {'NODE':<15}{'STATUS':<13}STATE")
        out(f"  {host:<15}{'up' if running else 'down':<13}{'running' if running else 'halted'}")
        if package["node"] == host and package["state"] != "halted":
            status = "up" if package["state"] == "running" else "down"
            out()
            out(f"    {'PACKAGE':<15}{'STATUS':<17}{'STATE':<17}{'AUTO_RUN':<12}NODE")
            out(f"    {cluster.package_name:<15}{status:<17}{package['state']:<17}{auto:<12}{host}")
            if opts.get("v"):
                for name, service in sorted(package["services"].items()):
                    alive = "up" if pid_alive(service.get("pid")) else "down"
                    out(f"      Service        {alive:<10}{name}")
                out(f"      Subnet         up        {cluster.package_subnet}")
        out()
    if package["state"] == "halted" or not package["node"]:
        out("UNOWNED_PACKAGES")
        out()
        out(f"    {'PACKAGE':<15}{'STATUS':<17}{'STATE':<17}{'AUTO_RUN':<12}NODE")
        out(f"    {cluster.package_name:<15}{'down':<17}{'halted':<17}{auto:<12}unowned")
    return 0


def _cmcld_running(ctx: Ctx, state) -> bool:
    cl = state.cluster(ctx.cluster.name)
    return cl["status"] == "up" and cl["nodes"].get(ctx.host) == "running"


@command("cmmodnet")
def cmmodnet(ctx: Ctx, args):
    opts, rest = options(args, "i", "ar")
    cluster = ctx.need_cluster()
    if not opts.get("i") or len(rest) != 1 or bool(opts.get("a")) == bool(opts.get("r")):
        raise Failure("usage: cmmodnet {-a|-r} -i IP_address subnet", 2)
    ip = opts["i"][-1]
    with ctx.locked() as state:
        if not _cmcld_running(ctx, state):
            raise Failure("cmmodnet: The cluster daemon (cmcld) is not running on this node.")
        mine = state.node(ctx.host)["ip"]
        if opts.get("a"):
            for host in cluster.nodes:
                if host != ctx.host and ip in state.node(host)["ip"]:
                    raise Failure(f"cmmodnet: IP address {ip} is already configured on node {host}.")
            if ip in mine:
                out(f"cmmodnet: IP address {ip} is already configured on subnet {rest[0]}.")
                return 0
            mine.append(ip)
        else:
            if ip not in mine:
                raise Failure(f"cmmodnet: IP address {ip} is not configured on this node.")
            mine.remove(ip)
    return 0


@command("cmrunserv")
def cmrunserv(ctx: Ctx, args):
    _opts, rest = options(args, "r", "R")
    cluster = ctx.need_cluster()
    if len(rest) != 2:
        raise Failure("usage: cmrunserv [-r n|-R] service_name service_command_line", 2)
    name, command_line = rest
    with ctx.locked() as state:
        if not _cmcld_running(ctx, state):
            raise Failure("cmrunserv: The cluster daemon (cmcld) is not running on this node.")
        service = state.cluster(cluster.name)["package"]["services"].get(name)
        if service and pid_alive(service.get("pid")):
            raise Failure(f"cmrunserv: Service {name} is already running.")
    argv = shlex.split(command_line)
    is_lab_monitor = bool(argv) and os.path.realpath(argv[0]) == os.path.realpath(labcmd(ctx))
    read_end, write_end = os.pipe() if is_lab_monitor else (None, None)
    env = dict(os.environ)
    if is_lab_monitor:
        env["LAB_READY_FD"] = str(write_end)
    try:
        proc = subprocess.Popen(  # noqa: S603 - the service command the package names, as cmcld runs it
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            pass_fds=(write_end,) if is_lab_monitor else (),
        )
    except OSError as exc:
        raise Failure(f"cmrunserv: Unable to start service {name}: {argv[0] if argv else ''}: {exc.strerror}") from None
    if is_lab_monitor:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as ready:
            answer = ready.read()  # "ready", or nothing when the monitor exited at once
        if not answer.startswith(b"ready"):
            rc = proc.wait()
            raise Failure(f"cmrunserv: Service {name} ({command_line}) exited with status {rc}.")
    with ctx.locked() as state:
        state.cluster(cluster.name)["package"]["services"][name] = {
            "pid": proc.pid, "node": ctx.host, "command": command_line,
        }  # fmt: skip
    return 0


@command("cmhaltserv")
def cmhaltserv(ctx: Ctx, args):
    _, rest = options(args, "", "v")
    cluster = ctx.need_cluster()
    if len(rest) != 1:
        raise Failure("usage: cmhaltserv service_name", 2)
    with ctx.locked() as state:
        service = state.cluster(cluster.name)["package"]["services"].pop(rest[0], None)
    pid = service and service.get("pid")
    if not pid_alive(pid):
        out(f"cmhaltserv: Service {rest[0]} is not running.")
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return 0


# -- rehearsal helpers ------------------------------------------------------------------------------------------


@command("lab-hang")
def lab_hang(ctx: Ctx, args):
    while True:
        time.sleep(3600)


@command("lab-slow")
def lab_slow(ctx: Ctx, args):
    seconds = float(args[0]) if args else 5.0
    time.sleep(seconds)
    out(f"lab-slow: done after {args[0] if args else '5'} seconds")
    return 0


@command("lab-flood")
def lab_flood(ctx: Ctx, args):
    count = int(args[0]) if args else 100_000
    chunk = 10_000
    for start in range(1, count + 1, chunk):
        sys.stdout.write("".join(f"line {n:06d} of {count}\n" for n in range(start, min(start + chunk, count + 1))))
    sys.stdout.flush()
    return 0


def installed_on(layout: Layout, spec: LabSpec, state, host: str) -> dict:
    return installed(layout.node_root(host)) if (layout.node_root(host) / "var/adm").exists() else {}


def gmpublicinfo_lines(layout: Layout, spec: LabSpec, state, host: str) -> list[str]:
    return read_lines(str(node_path(layout, spec, state, host, GMPUBLICINFO)))
