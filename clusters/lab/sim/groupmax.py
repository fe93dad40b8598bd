"""Groupmax Address/Mail Server and Object Server: set-up, start, stop, monitors and the address records.

Messages marked "invented" in a comment are ours: the Hitachi manuals do not give them.
"""

import os
import signal
import sys
import time
from pathlib import Path

from clusters.lab.sim.core import (
    GM_DIR,
    GMPUBLICINFO,
    GMSETUP_CONF,
    XODRC,
    Ctx,
    Failure,
    command,
    err,
    filesystem_of,
    hand_on,
    mounted_lv,
    note_shared_write,
    options,
    out,
    read_lines,
    write_lines,
)
from clusters.lab.spec import LabSpec
from clusters.lab.state import Layout, snapshot

ROOT_GROUPS = {"sys", "3", "root", "0"}  # HP-UX: root's primary group is sys (gid 3); it is also in root


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


SYSTEM_FILE = "xoddb.sys"


def write_database_files(directory: Path, recorded: str, schema: str | None = None) -> None:
    """A database: the system file records the directory it was made in (Object Server checks it at start)."""
    (directory / SYSTEM_FILE).write_text(f"HiOODB system file\ndbdir {recorded}\n", encoding="utf-8")
    for name in ("xoddb.dat", "xodjnl"):
        (directory / name).write_bytes(b"\0" * 512)
    if schema:
        (directory / f"{schema}.schema").write_text(f"schema {schema}\n", encoding="utf-8")


def recorded_directory(directory: str) -> str | None:
    for line in read_lines(str(Path(directory) / SYSTEM_FILE)):
        words = line.split()
        if len(words) == 2 and words[0] == "dbdir":
            return words[1]
    return None


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
        write_database_files(Path(directory), directory.rstrip("/") or "/")
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
        if not (Path(dbdir) / SYSTEM_FILE).exists():
            raise Failure(f"KFOD00201-E Database files are not found in {dbdir}.")
        recorded = recorded_directory(dbdir)
        if recorded and recorded.rstrip("/") != dbdir.rstrip("/"):  # invented text: the files name their directory
            raise Failure(
                f"KFOD00203-E The database files in {dbdir} belong to database directory {recorded} (recorded in "
                f"{SYSTEM_FILE}); the dbdir of {XODRC} on {ctx.host} must name {recorded}."
            )
        schema, active = resiobj(read_lines(XODRC))
        if active and schema and not _schema_file(schema).exists():
            raise Failure(f"KFOD00310-E Resident object schema {schema} (resiobj) is not found in the database.")
        services["objsv"] = True
        info = os.stat(dbdir)  # its identity, which a rename (C-04) keeps
        state.node(ctx.host).update(objsv_database=dbdir, objsv_database_id=[info.st_dev, info.st_ino])
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
        state.node(ctx.host).pop("objsv_database", None)
        state.node(ctx.host).pop("objsv_database_id", None)
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


def _held_database(ctx: Ctx) -> tuple[str, tuple[int, int]] | None:
    """The directory whose files this node's running Object Server holds open, and its identity (a rename keeps it)."""
    node = snapshot(ctx.layout, ctx.spec).node(ctx.host)
    held = node.get("objsv_database")
    if not node["services"]["objsv"] or not held:
        return None
    if node.get("objsv_database_id"):
        return held, tuple(node["objsv_database_id"])
    try:
        info = os.stat(held)
    except OSError:
        return None
    return held, (info.st_dev, info.st_ino)


def _first_held_file(paths: list[str], held: tuple[int, int]) -> str | None:
    for top in paths:
        for directory, _dirs, files in os.walk(top, followlinks=True):
            try:
                info = os.stat(directory)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) == held:
                names = sorted(files)
                return os.path.join(
                    directory, next((n for n in names if n.endswith(".dat")), names[0] if names else "")
                )
    return None


@command("tar")
def tar(ctx: Ctx, args):
    """tar, except that it cannot read database files a running Object Server holds (the lab's check, then tar).

    Invented message: Object Server keeps its database files open, so a copy taken meanwhile is not a
    database; the lab refuses the read so that the mistake shows when it is made, not at the next start.
    """
    key = args[0].lstrip("-") if args else ""
    if "c" in key and not key.startswith("-"):
        held = _held_database(ctx)
        operands = args[1:]
        if "f" in key and operands:
            operands = operands[1:]  # the archive file
        found = _first_held_file([o for o in operands if not o.startswith("-")], held[1]) if held else None
        if found:
            raise Failure(
                f"tar: {found}: Cannot read: the file is held open by Object Server, which is running on "
                f"{ctx.host} with database directory {held[0]}.\n"
                "tar: Stop Object Server (xodstop) before copying its database files.",
                2,
            )
    return hand_on(ctx, "tar", args)


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
