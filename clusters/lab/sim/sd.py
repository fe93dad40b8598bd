"""Software Distributor: ``swinstall``, ``swremove`` and ``swlist`` of the Groupmax and Object Server products."""

import contextlib
import os
from pathlib import Path

from clusters.lab.sim.core import (
    GM_DIR,
    GMPUBLICINFO,
    XODRC,
    Ctx,
    Failure,
    command,
    filesystem_of,
    labcmd,
    note_shared_write,
    now,
    options,
    out,
)
from clusters.lab.state import snapshot

DEPOT = "/var/spool/sw"


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
