"""Building a lab folder: keys, the generated entry programs, each node's own root and sshd configuration.

Everything that names a path of this machine (the interpreter, the project, the lab root) is generated
here, at build time, into the lab folder; nothing of it is committed.
"""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import clusters
from clusters.lab import sim
from clusters.lab.spec import LabSpec
from clusters.lab.state import Layout, fresh_cluster_state, fresh_node_state, read_json, write_json
from clusters.validators import line_safe

SSHD = "/usr/sbin/sshd"
BORROWED_READ_ONLY = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
BORROWED_LIVE = ("proc", "dev", "sys")
ETC_SKIP = ("shadow", "gshadow", "shadow-", "gshadow-", "ssh")
PROJECT_DIR = Path(clusters.__file__).resolve().parent.parent


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)  # noqa: S603 - fixed tools of this machine


def keygen(path: Path, comment: str) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!{sys.executable} -IS\n{body}", encoding="utf-8")
    path.chmod(0o755)


def bind_plan(layout: Layout) -> list[dict]:
    """What each node borrows from this machine, parents before children; the lab root itself read-write."""
    plan = []
    for entry in sorted(os.scandir("/"), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False) and entry.name in BORROWED_READ_ONLY:
            plan.append({"source": entry.path, "target": entry.path, "read_only": True})
        elif entry.name in BORROWED_LIVE and entry.is_dir(follow_symlinks=False):
            plan.append({"source": entry.path, "target": entry.path, "read_only": False})
    runtime = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), PROJECT_DIR}
    for path in sorted(runtime, key=lambda p: len(p.parts)):
        covered = any(str(path).startswith(p["source"].rstrip("/") + "/") or p["source"] == str(path) for p in plan)
        if not covered:
            plan.append({"source": str(path), "target": str(path), "read_only": True})
    plan.append({"source": str(layout.root), "target": str(layout.root), "read_only": False})
    return plan


def build_bin(layout: Layout) -> None:
    layout.sim_bin.mkdir(parents=True, exist_ok=True)
    head = f"import sys\nsys.path.insert(0, {str(PROJECT_DIR)!r})\n"
    _script(layout.bin / "labcmd", head + "from clusters.lab.sim import main\nsys.exit(main(sys.argv))\n")
    _script(layout.bin / "enter", head + "from clusters.lab.enter import main\nsys.exit(main())\n")
    for name in sim.PATH_COMMANDS:
        link = layout.sim_bin / name
        if not link.is_symlink():
            link.symlink_to("../labcmd")
    write_json(layout.bin / "binds.json", bind_plan(layout))
    shadowed = [
        f"{directory}/{name}"
        for name in sim.PATH_COMMANDS
        for directory in ("/usr/bin", "/usr/sbin", "/sbin", "/bin")
        if os.path.isfile(f"{directory}/{name}") and not os.path.islink(directory)
    ]
    write_json(layout.bin / "shadowed.json", shadowed)
    for name in sim.WRAPPED:  # the machine's own tool, for the lab's command of that name to hand on to
        real = layout.bin / "host" / name
        if not real.exists():
            real.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(shutil.which(name, path="/usr/bin:/bin"), real)


def _copy_etc(target: Path) -> None:
    def ignore(directory, names):
        return [n for n in names if directory == "/etc" and n in ETC_SKIP]

    shutil.copytree("/etc", target, symlinks=True, ignore=ignore, ignore_dangling_symlinks=True, dirs_exist_ok=True)


def build_node_root(layout: Layout, spec: LabSpec, host: str, plan: list[dict]) -> None:
    """The node's own ``/``: a copy of /etc, its own /opt, /var, /tmp and top-level folders."""
    root = layout.node_root(host)
    root.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir("/"):
        target = root / entry.name
        if target.exists() or target.is_symlink():
            continue
        if entry.is_symlink():
            target.symlink_to(os.readlink(entry.path))
        elif entry.name == "etc":
            _copy_etc(target)
        elif entry.is_dir(follow_symlinks=False) and entry.name not in ("lost+found",):
            target.mkdir()
    for sub in ("opt", "var/opt", "var/tmp", "var/adm/sw/products", "var/spool/sw", "etc/cmcluster", "root", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "var/tmp"):
        (root / sub).chmod(0o1777 | stat.S_ISVTX)
    (root / "var/spool/sw/catalog").write_text("\n".join(sim.PRODUCTS) + "\n", encoding="utf-8")
    for entry in plan:
        (root / entry["target"].lstrip("/")).mkdir(parents=True, exist_ok=True)
    (root / "etc/hostname").write_text(host + "\n", encoding="utf-8")
    hosts = ["127.0.0.1\tlocalhost", f"127.0.0.1\t{host}"]
    for node in spec.nodes:
        hosts += [f"{ip}\t{node.host_name}" for ip in node.local_ips[:1]]
    hosts += [f"{c.package_ip}\t{c.package_host}" for c in spec.clusters]
    (root / "etc/hosts").write_text("\n".join(hosts) + "\n", encoding="utf-8")
    profile = root / "etc/profile.d"
    profile.mkdir(exist_ok=True)
    (profile / "zz-lab.sh").write_text(f'PATH="{layout.sim_bin}:$PATH"\nexport PATH\n', encoding="utf-8")
    cluster = spec.cluster_of(host)
    if cluster:
        for fs in cluster.filesystems:
            (root / fs.mount_point.lstrip("/")).mkdir(parents=True, exist_ok=True)


def preinstall_standalone(layout: Layout, spec: LabSpec, host: str) -> None:
    """A standalone server in the lab is an existing Groupmax server: installed, set up and running."""
    server = spec.server_of(host)
    root = layout.node_root(host)
    products = ["HiOODB", "GMAX-ADDRESS"] + (["GMAX-MAIL"] if server.uses_mail_server else [])
    for product in products:
        sim.install_product(root, product, str(layout.bin / "labcmd"), server.schema_name, "/OBJSVFILE")
    (root / "OBJSVFILE").mkdir(exist_ok=True)
    sim.write_database_files(root / "OBJSVFILE", "/OBJSVFILE", server.schema_name)
    conf = root / sim.GMSETUP_CONF.lstrip("/")
    conf.write_text(
        f"SERVER_TYPE={server.role}\nSCHEMA={server.schema_name}\nADMIN_USER=root\nADMIN_GROUP=sys\n"
        f"SETUP_HOST={host}\nSERVER_HOST={host}\n",
        encoding="utf-8",
    )
    state = fresh_node_state()
    state["products"] = {p: sim.PRODUCTS[p][0] for p in products}
    state["services"] = {"objsv": True, "addr": True, "mail": server.uses_mail_server}
    write_json(layout.node_state(host), state)


EXISTING_USERS = ("tanaka", "suzuki", "sato")  # the users whose data an existing environment holds
EXISTING_SERVICES = (  # as the portal writes them with the default command lines, so both nodes end up alike
    "gmaxaddr 20010/tcp  # Groupmax Address Server",
    "gmaxmail 20011/tcp  # Groupmax Mail Server",
)
OTHER_ADMIN_UID, OTHER_ADMIN_GID = 1001, 20  # an administrator account that is not root (C-00's other path)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    for directory, _dirs, files in os.walk(path):
        os.chown(directory, uid, gid)
        for name in files:
            os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)


def prepare_existing(layout: Layout, spec: LabSpec, cluster) -> None:
    """Node 1 of ``cluster`` as K.5 (2) finds it: Groupmax serving users stand-alone from the node's own disks.

    Installed and set up, its database in the previous directory (``existing["previous_directory"]``), its
    gmpublicinfo, its /etc/services lines and its users' address and mail data, every service running. With
    ``existing["admin"]`` other than root the files belong to that account, so the C-00 gate refuses them.
    """
    existing = cluster.existing or {}
    host = cluster.nodes[0]
    server = spec.server_of_cluster(cluster.name)
    previous = existing.get("previous_directory") or cluster.database_directory
    admin = existing.get("admin") or "root"
    root = layout.node_root(host)
    products = ["HiOODB", "GMAX-ADDRESS"]
    products += ["GMAX-ADDR-REP"] if server and server.replication_option else []
    products += ["GMAX-MAIL"] if server and server.uses_mail_server else []
    schema = server.schema_name if server else "GMAXSCH"
    for product in products:
        sim.install_product(root, product, str(layout.bin / "labcmd"), schema, previous)
    database = root / previous.lstrip("/")
    database.mkdir(parents=True, exist_ok=True)
    sim.write_database_files(database, previous, schema)
    gm = root / sim.GM_DIR.lstrip("/")
    (gm / "conf/gmsetup.conf").write_text(
        f"SERVER_TYPE={server.role if server else 'address'}\nSCHEMA={schema}\nADMIN_USER={admin}\n"
        f"ADMIN_GROUP=sys\nSETUP_HOST={host}\nSERVER_HOST={host}\n",
        encoding="utf-8",
    )
    (gm / "nxcdir/gmpublicinfo").write_text("MAX_LOGIN_USER=128\nDNAMERFC=N\nADDRESS_CACHE=ON\n", encoding="utf-8")
    for user in EXISTING_USERS:
        (gm / "nxcdir/users").mkdir(parents=True, exist_ok=True)
        (gm / f"nxcdir/users/{user}.adr").write_text(f"user {user}\nmail {user}@{host}\n", encoding="utf-8")
        if server and server.uses_mail_server:
            (gm / f"mail/spool/{user}").mkdir(parents=True, exist_ok=True)
            (gm / f"mail/spool/{user}/inbox").write_text(f"From: admin\nTo: {user}\n\nWelcome.\n", encoding="utf-8")
    services = root / "etc/services"
    lines = list(EXISTING_SERVICES if server and server.uses_mail_server else EXISTING_SERVICES[:1])
    services.write_text(services.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    if admin != "root":
        _chown_tree(gm, OTHER_ADMIN_UID, OTHER_ADMIN_GID)
        _chown_tree(database, OTHER_ADMIN_UID, OTHER_ADMIN_GID)
    state = fresh_node_state()
    state["products"] = {p: sim.PRODUCTS[p][0] for p in products}
    state["services"] = {"objsv": True, "addr": True, "mail": bool(server and server.uses_mail_server)}
    info = os.stat(database)
    state.update(objsv_database=previous, objsv_database_id=[info.st_dev, info.st_ino])
    write_json(layout.node_state(host), state)


def sshd_config(layout: Layout, spec: LabSpec, host: str) -> str:
    node = spec.node(host)
    sshd = layout.sshd_dir(host)
    for value in (host, node.ssh_address, node.ssh_port):  # from the inventory: each must stay one word of its line
        line_safe(value, target="sshd_config", spaces=False)
    return "\n".join(
        [
            f"# Lab node {host}: generated by clusters/lab; every command goes through the lab's enter program.",
            f"ListenAddress {node.ssh_address}:{node.ssh_port}",
            f"HostKey {sshd / 'ssh_host_ed25519_key'}",
            f"PidFile {sshd / 'sshd.pid'}",
            f"AuthorizedKeysFile {layout.authorized_keys}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PermitUserEnvironment no",
            "AllowTcpForwarding no",
            "AllowAgentForwarding no",
            "X11Forwarding no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "MaxStartups 64:30:128",
            "MaxSessions 64",
            "LogLevel ERROR",
            # HOME: the shell that runs ForceCommand must not read this machine's ~/.bashrc (enter sets /root)
            f"SetEnv LAB_ROOT={layout.root} LAB_NODE={host} HOME={sshd}",
            f"ForceCommand {layout.bin / 'enter'}",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "",
        ]
    )


def build(layout: Layout, spec: LabSpec) -> None:
    """Create whatever is missing; keys and node files already there stay (so pinned host keys stay valid)."""
    layout.root.mkdir(parents=True, exist_ok=True)
    spec.save(layout.spec_file)
    layout.lock_file.touch()
    keygen(layout.client_key, "portal@lab")
    layout.authorized_keys.write_text((layout.client_key.with_suffix(".pub")).read_text(), encoding="utf-8")
    build_bin(layout)
    plan = read_json(layout.bin / "binds.json", [])
    for node in spec.nodes:
        fresh = not layout.node_root(node.host_name).exists()
        build_node_root(layout, spec, node.host_name, plan)
        keygen(layout.sshd_dir(node.host_name) / "ssh_host_ed25519_key", f"root@{node.host_name}")
        (layout.sshd_dir(node.host_name) / "sshd_config").write_text(sshd_config(layout, spec, node.host_name))
        if fresh and not node.cluster and spec.server_of(node.host_name):
            preinstall_standalone(layout, spec, node.host_name)
        cluster = spec.cluster_of(node.host_name)
        if fresh and cluster and cluster.existing and node.host_name == cluster.nodes[0]:
            prepare_existing(layout, spec, cluster)
        if not layout.node_state(node.host_name).exists():
            write_json(layout.node_state(node.host_name), fresh_node_state())
    for cluster in spec.clusters:
        for fs in cluster.filesystems:
            layout.disk(cluster.name, fs.lvol).mkdir(parents=True, exist_ok=True)
        if not layout.cluster_state(cluster.name).exists():
            write_json(layout.cluster_state(cluster.name), fresh_cluster_state(cluster))
    domain = read_json(layout.domain_file, {"mail_servers": {}, "pending_transactions": 0})
    for server in spec.servers:
        if server.uses_mail_server:
            domain["mail_servers"].setdefault(server.name, {"nadr_tcp": "ON"})
    write_json(layout.domain_file, domain)


def wipe_cluster_files(layout: Layout, spec: LabSpec, name: str) -> None:
    """Forget one cluster's node files, node states and shared disks (keys and host keys stay)."""
    cluster = spec.cluster(name)
    for host in cluster.nodes:
        shutil.rmtree(layout.node_root(host), ignore_errors=True)
        for entry in ("state.json", "fault"):
            (layout.node_dir(host) / entry).unlink(missing_ok=True)
    shutil.rmtree(layout.cluster_dir(name), ignore_errors=True)


def wipe_node_files(layout: Layout, spec: LabSpec) -> None:
    """Forget every node's files and state and the shared disks; keep keys, host keys and the spec."""
    for node in spec.nodes:
        shutil.rmtree(layout.node_root(node.host_name), ignore_errors=True)
        for name in ("state.json", "fault"):
            (layout.node_dir(node.host_name) / name).unlink(missing_ok=True)
    shutil.rmtree(layout.root / "clusters", ignore_errors=True)
    layout.domain_file.unlink(missing_ok=True)
