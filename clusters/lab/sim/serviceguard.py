"""MC/ServiceGuard: configuration, the cluster, its package and its services, and the package IP address.

Messages marked "invented" in a comment are ours: the HP manuals do not give them.
"""

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from clusters.lab.sim.core import (
    Ctx,
    Failure,
    command,
    labcmd,
    options,
    out,
    read_lines,
)
from clusters.lab.state import pid_alive, snapshot


def run_on_node(ctx: Ctx, host: str, command_line: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a shell command in another (or this) node's own session, as cmcld does through cmclconfd."""
    # loaded only when needed: enter.py finds libc (ctypes.util runs ldconfig) at import, costly per command
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


def start_errors(ctx: Ctx, host: str) -> str:
    """The error lines of the package's last start on ``host`` (its control script's log), indented.

    Invented: the real commands say only "see the package log"; the lab shows its error lines at once.
    """
    script = snapshot(ctx.layout, ctx.spec).cluster(ctx.cluster.name)["package"]["run_script"]
    log = read_lines(
        str(ctx.layout.node_root(host) / ((script or ctx.cluster.control_script_path) + ".log").lstrip("/"))
    )
    starts = [i for i, line in enumerate(log) if "Starting package at" in line]
    last = log[starts[-1] :] if starts else log
    errors = [line.strip() for line in last if "-E " in line or "ERROR" in line]
    return "".join(f"\n  {line}" for line in errors[:8])


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
                + start_errors(ctx, host)
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
            "cmrunpkg: Unable to start some package or package instances" + start_errors(ctx, host)
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
