"""Files the procedures write, rendered from the inventory and shown to the operator before they are applied.

- ``gmpublicinfo`` records (A-30/A-31, B-26/B-27, C-24/C-25): ``CLUSTERING_LEVEL=1`` and one
  ``<local IP>=<package host>`` per node and LAN. For an address server the IP records go to the
  *master's* file; its own file gets only ``CLUSTERING_LEVEL=1``.
- ``/etc/services`` lines (A-06/A-16, B-06/B-16, and node 2 in (2), which K.5 (2) never sets up).
- The package control script in both phases (docs/CONTRACTS.md §2) and the cluster and package
  configuration files that cmcheckconf/cmapplyconf read, which K.5 assumes but never writes.

Which step writes which file, and with which command, is in ``actions.py``; this module only renders.

Edits are idempotent POSIX sh (HP-UX /usr/bin/sh): a record is appended only when absent, one quoted word
per line; a whole file is written with ``printf '%s'`` and its content as one quoted word, so no value can
end the command.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from django.utils.translation import gettext_noop  # file names in English; pages translate them when shown

from clusters import validators
from procedures.catalog import commands as site_commands
from procedures.catalog.context import Context, from_cluster
from procedures.plan import Artefact

CLUSTER_ASCII = "/etc/cmcluster/cluster.ascii"
ADDRESS_MONITOR = ("addrSV", "/opt/GroupMail/bin/adstatp")
MAIL_MONITOR = ("mailSV", "/opt/GroupMail/bin/mlstatp")
quote = shlex.quote


def _line_safe(target: str, *values, quotes: bool = False, spaces: bool = False, forbidden: str = "") -> None:
    """The guard of every file renderer: each value stays inside its line (and its word, unless ``spaces``).

    The validators refuse these values first; this check stands in the renderer itself, so that a value which
    reached it some other way is refused with a clear error instead of starting a directive of its own.
    """
    for value in values:
        validators.line_safe(value, target=target, quotes=quotes, spaces=spaces, forbidden=forbidden)


def _context(cluster) -> Context:
    """Callers pass a cluster (tests, pages) or the snapshot the renderer already holds."""
    return cluster if isinstance(cluster, Context) else from_cluster(cluster)


def _commands(commands) -> dict[str, str]:
    return commands if commands is not None else site_commands.defaults()


# --- gmpublicinfo -----------------------------------------------------------------------------------------

CLUSTERING_LEVEL = "CLUSTERING_LEVEL=1"


def ip_records(server_or_ctx) -> list[str]:
    """``<local IP>=<package host>`` for every node and LAN: primary LAN first, then the standby LAN."""
    nodes = server_or_ctx.nodes
    host = server_or_ctx.package_host
    _line_safe("gmpublicinfo", host, *[ip for n in nodes for ip in (n.primary_ip, n.standby_ip)], forbidden="=")
    records = [f"{n.primary_ip}={host}" for n in nodes]
    records += [f"{n.standby_ip}={host}" for n in nodes if n.standby_ip]
    return records


def own_gmpublicinfo_records(cluster) -> list[str]:
    """What this server's own gmpublicinfo gets: the master its IP records too (A-31), an address server not."""
    context = _context(cluster)
    return [CLUSTERING_LEVEL, *ip_records(context)] if context.is_master else [CLUSTERING_LEVEL]


def master_gmpublicinfo_records(cluster) -> list[str]:
    """The records an address server's cluster adds to the master's gmpublicinfo (B-27, C-25)."""
    return ip_records(_context(cluster))


def append_lines_command(path: str, lines: list[str]) -> str:
    """Append each line to ``path`` unless an identical line is there; rc 0 only when all are present."""
    _line_safe(path, path, *lines, spaces=True)
    file = quote(path)
    parts = [f'if [ -s {file} ] && [ -n "$(tail -c 1 {file})" ]; then echo >> {file}; fi']
    for line in lines:
        parts.append(f"{{ grep -qxF {quote(line)} {file} || printf '%s\\n' {quote(line)} >> {file}; }}")
    return "; ".join(parts[:1]) + "; " + " && ".join(parts[1:])


# --- /etc/services ----------------------------------------------------------------------------------------

SERVICES_PATH = "/etc/services"


def services_entries(commands=None, *, mail: bool) -> list[tuple[str, str, str]]:
    """(name, port/protocol, comment) for Address Server and, with Mail Server, Mail Server."""
    lines = _commands(commands)
    entries = [(*lines["service_address"].split(), "Groupmax Address Server")]
    if mail:
        entries.append((*lines["service_mail"].split(), "Groupmax Mail Server"))
    return entries


def services_lines(commands=None, *, mail: bool) -> list[str]:
    entries = services_entries(commands, mail=mail)
    _line_safe(SERVICES_PATH, *[word for name, port, _comment in entries for word in (name, port)])
    return [f"{name} {port}  # {comment}" for name, port, comment in entries]


def services_command(commands=None, *, mail: bool) -> str:
    """Add each service unless its name is there already, then prove every name maps to its port."""
    file = quote(SERVICES_PATH)
    adds = []
    for (name, _port, _comment), line in zip(
        services_entries(commands, mail=mail), services_lines(commands, mail=mail), strict=True
    ):
        pattern = quote("^" + _name_re(name) + "[[:space:]]")
        adds.append(f"{{ grep -q {pattern} {file} || printf '%s\\n' {quote(line)} >> {file}; }}")
    return " && ".join([*adds, services_check_command(commands, mail=mail)])


def _name_re(name: str) -> str:
    """A validated service name as a regex that works in grep's BRE and ERE (only "." is special in it)."""
    return re.sub(r"\.", "[.]", name)


def services_check_command(commands=None, *, mail: bool) -> str:
    file = quote(SERVICES_PATH)
    checks = []
    for name, port, _comment in services_entries(commands, mail=mail):
        pattern = quote("^" + _name_re(name) + "[[:space:]]+" + port + "([[:space:]]|$)")
        told = quote(f"{SERVICES_PATH} has no line {name} {port} on")
        checks.append(f"{{ grep -Eq {pattern} {file} || {{ printf '%s %s\\n' {told} \"$(hostname)\" >&2; false; }}; }}")
    return " && ".join(checks)


# --- whole files ------------------------------------------------------------------------------------------


def write_file_command(path: str, content: str, *, mode: str = "644") -> str:
    """Write ``content`` to ``path`` in one go (directory created, then mode set); running it twice is harmless.

    The whole content is one quoted word of ``printf '%s'``: nothing in it can end the command or the file.
    """
    file = quote(path)
    return f"mkdir -p {quote(posixpath.dirname(path))} && printf '%s' {quote(content)} > {file} && chmod {mode} {file}"


def same_file_command(path: str, content: str) -> str:
    """Succeeds when ``path`` holds exactly ``content`` (compares this node's copy with the rendered file)."""
    return f"printf '%s' {quote(content)} | cmp -s - {quote(path)} && echo {quote('identical: ' + path)}"


# --- the package control script ---------------------------------------------------------------------------


def package_conf_path(package: str) -> str:
    return f"/etc/cmcluster/{package}/{package}.conf"


def _comment_safe(value: str) -> str:
    """A value shown in a comment line: control characters (a newline above all) cannot start a new line."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


CONTROL_SCRIPT_COMMANDS = ("objsv_start", "addr_start", "mail_start", "mail_stop", "addr_stop", "objsv_stop")


def _mail_line(text: str, active: bool) -> str:
    return text if active else f"#{text}"


def render_control_script(cluster, *, mail_active: bool, commands=None) -> str:
    """The legacy ServiceGuard control script of docs/CONTRACTS.md §2.

    ``mail_active=False`` is the first phase (A-34, B-30; and C-28 without Mail Server, whose mail lines
    would only start and watch a mail server that is not there): the APSTART/APSTOP lines and the ``mailSV``
    service entry ``[1]`` are comment lines. ``True`` is the second phase (A-46, B-42) or C-28 with Mail
    Server. The array is spelled ``SERVICE_RESTART`` and every quote is ASCII, as ServiceGuard reads them
    (K.5 prints SERVICE_RESTERT and typographic quotes); entry ``[0]``, which K.5 leaves out, monitors the
    address service.
    """
    ctx = _context(cluster)
    site_lines = _commands(commands)
    _line_safe(
        "control.sh",
        ctx.package,
        ctx.cluster_name,
        ctx.vg,
        ctx.package_ip,
        ctx.package_subnet,
        *[path for filesystem in ctx.filesystems for path in filesystem],
    )
    _line_safe("control.sh", *[site_lines[key] for key in CONTROL_SCRIPT_COMMANDS], quotes=True, spaces=True)
    has_mail = ctx.server.uses_mail_server
    if mail_active:
        phase = "mail lines active (K.5 A-46 / B-42 / C-28 with Mail Server)"
    elif has_mail:
        phase = "mail lines commented out until the mail server is registered (K.5 A-34 / B-30)"
    else:
        phase = (
            "mail lines stay commented out: this server does not use Mail Server, and APSTART, APSTOP and mlstatp "
            "only start, stop and watch the mail server (K.5 flaw 5)"
        )
    fs_lines = []
    for i, (lv, mount_point) in enumerate(ctx.filesystems):
        fs_lines += [
            f"LV[{i}]={quote(lv)}",
            f"FS[{i}]={quote(mount_point)}",
            f'FS_TYPE[{i}]="vxfs"',
            f'FS_MOUNT_OPT[{i}]="-o rw"',
        ]
    lines = [
        "#!/usr/bin/sh",
        f"# Package control script of Groupmax package {_comment_safe(ctx.package)} "
        f"(ServiceGuard cluster {_comment_safe(ctx.cluster_name)}).",
        "# Rendered by the Groupmax cluster portal from the inventory; change the inventory, not this file.",
        f"# Phase: {phase}.",
        "",
        "PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin:/etc",
        'VGCHANGE="vgchange -a e"',
        "",
        f"VG[0]={quote(ctx.vg)}",
        "",
        *fs_lines,
        "",
        f"IP[0]={quote(ctx.package_ip)}",
        f"SUBNET[0]={quote(ctx.package_subnet)}",
        "",
        "# Service [0] watches the address service; [1] watches the mail server (Mail Server only).",
        f"SERVICE_NAME[0]={ADDRESS_MONITOR[0]}",
        f'SERVICE_CMD[0]="{ADDRESS_MONITOR[1]}"',
        'SERVICE_RESTART[0]=""',
        _mail_line(f"SERVICE_NAME[1]={MAIL_MONITOR[0]}", mail_active),
        _mail_line(f'SERVICE_CMD[1]="{MAIL_MONITOR[1]}"', mail_active),
        _mail_line('SERVICE_RESTART[1]=""', mail_active),
        "",
        "log_file=${SG_SCRIPT_LOG_FILE:-$0.log}",
        "NODE=$(hostname)",
        "",
        "log()",
        "{",
        '    echo "$(date \'+%b %e %T\') - Node \\"$NODE\\": $*" >> "$log_file"',
        "}",
        "",
        "function customer_defined_run_cmds",
        "{",
        f'    {site_lines["objsv_start"]} >> "$log_file" 2>&1 || return 1',
        f'    {site_lines["addr_start"]} >> "$log_file" 2>&1 || return 1',
        _mail_line(f'    {site_lines["mail_start"]} >> "$log_file" 2>&1 || return 1', mail_active),
        "    return 0",
        "}",
        "",
        "function customer_defined_halt_cmds",
        "{",
        _mail_line(f'    {site_lines["mail_stop"]} >> "$log_file" 2>&1', mail_active),
        f'    {site_lines["addr_stop"]} >> "$log_file" 2>&1',
        f'    {site_lines["objsv_stop"]} >> "$log_file" 2>&1',
        "    return 0",
        "}",
        "",
        "halt_package()",
        "{",
        "    i=$((${#SERVICE_NAME[@]} - 1))",
        "    while [ $i -ge 0 ]; do",
        '        log "Halting service ${SERVICE_NAME[$i]}"',
        '        cmhaltserv "${SERVICE_NAME[$i]}" >> "$log_file" 2>&1',
        "        i=$((i - 1))",
        "    done",
        '    customer_defined_halt_cmds || { log "ERROR:  Failed to HALT customer commands"; rc=1; }',
        '    log "Remove IP address ${IP[0]} from subnet ${SUBNET[0]}"',
        '    cmmodnet -r -i "${IP[0]}" "${SUBNET[0]}" >> "$log_file" 2>&1',
        "    i=$((${#FS[@]} - 1))",
        "    while [ $i -ge 0 ]; do",
        '        log "Unmounting filesystem on ${LV[$i]}"',
        '        umount "${FS[$i]}" >> "$log_file" 2>&1 || rc=1',
        "        i=$((i - 1))",
        "    done",
        '    log "Deactivating volume group ${VG[0]}"',
        '    vgchange -a n "${VG[0]}" >> "$log_file" 2>&1 || rc=1',
        "}",
        "",
        "start_package()",
        "{",
        '    log "########### Node \\"$NODE\\": Starting package at $(date) ###########"',
        '    log "Activating volume group ${VG[0]} with exclusive option."',
        '    if ! $VGCHANGE "${VG[0]}" >> "$log_file" 2>&1; then',
        '        log "ERROR:  Function activate_volume_group"',
        '        log "ERROR:  Failed to activate ${VG[0]}"',
        "        return 1",
        "    fi",
        '    log "Checking filesystems:"',
        "    i=0",
        "    while [ $i -lt ${#FS[@]} ]; do",
        '        log "Mounting ${LV[$i]} at ${FS[$i]}"',
        '        mount "${LV[$i]}" "${FS[$i]}" >> "$log_file" 2>&1 || return 1',
        "        i=$((i + 1))",
        "    done",
        '    log "Adding IP address ${IP[0]} to subnet ${SUBNET[0]}"',
        '    cmmodnet -a -i "${IP[0]}" "${SUBNET[0]}" >> "$log_file" 2>&1 || return 1',
        "    if ! customer_defined_run_cmds; then",
        '        log "ERROR:  Function customer_defined_run_cmds"',
        '        log "ERROR:  Failed to RUN customer commands"',
        "        return 1",
        "    fi",
        "    i=0",
        "    while [ $i -lt ${#SERVICE_NAME[@]} ]; do",
        '        log "Starting service ${SERVICE_NAME[$i]} using \\"${SERVICE_CMD[$i]}\\""',
        '        cmrunserv ${SERVICE_RESTART[$i]} "${SERVICE_NAME[$i]}" "${SERVICE_CMD[$i]}" \\',
        '            >> "$log_file" 2>&1 || return 1',
        "        i=$((i + 1))",
        "    done",
        "    return 0",
        "}",
        "",
        'case "$1" in',
        "start)",
        "    if start_package; then",
        '        log "Package start completed at $(date)"',
        "        exit 0",
        "    fi",
        "    rc=1",
        "    halt_package",
        '    log "Package start failed at $(date)"',
        "    exit 1",
        "    ;;",
        "stop)",
        "    rc=0",
        '    log "########### Node \\"$NODE\\": Halting package at $(date) ###########"',
        "    halt_package",
        "    if [ $rc -eq 0 ]; then",
        '        log "Package halt completed at $(date)"',
        "    else",
        '        log "Package halt failed at $(date)"',
        "    fi",
        "    exit $rc",
        "    ;;",
        "*)",
        '    echo "usage: $0 start|stop" >&2',
        "    exit 1",
        "    ;;",
        "esac",
    ]
    return "\n".join(lines) + "\n"


def render_cluster_ascii(cluster) -> str:
    """The cluster configuration file cmcheckconf/cmapplyconf read (K.5 assumes it). Interfaces are lan0/lan1."""
    ctx = _context(cluster)
    _line_safe(
        CLUSTER_ASCII,
        ctx.cluster_name,
        ctx.vg,
        *[value for node in ctx.nodes for value in (node.host_name, node.primary_ip, node.standby_ip)],
    )
    lines = [
        f"# ServiceGuard cluster configuration of {ctx.cluster_name}, rendered from the inventory.",
        "# Check the network interface names against cmquerycl before applying.",
        f"CLUSTER_NAME                {ctx.cluster_name}",
        f"FIRST_CLUSTER_LOCK_VG       /dev/{ctx.vg}",
        "",
    ]
    for node in ctx.nodes:
        lines += [
            f"NODE_NAME                   {node.host_name}",
            "  NETWORK_INTERFACE         lan0",
            f"    HEARTBEAT_IP            {node.primary_ip}",
        ]
        if node.standby_ip:
            lines += ["  NETWORK_INTERFACE         lan1", f"    HEARTBEAT_IP            {node.standby_ip}"]
        lines.append("")
    lines += [
        "HEARTBEAT_INTERVAL          1000000",
        "NODE_TIMEOUT                2000000",
        "AUTO_START_TIMEOUT          600000000",
        "NETWORK_POLLING_INTERVAL    2000000",
        "MAX_CONFIGURED_PACKAGES     10",
        "",
        f"VOLUME_GROUP                /dev/{ctx.vg}",
    ]
    return "\n".join(lines) + "\n"


def render_package_conf(cluster) -> str:
    """The legacy package configuration file (K.5 assumes it); it lists mailSV only for a server with Mail Server."""
    ctx = _context(cluster)
    _line_safe(
        "package.conf",
        ctx.package,
        ctx.control_script_path,
        ctx.package_subnet,
        *[node.host_name for node in ctx.nodes],
    )
    services = [ADDRESS_MONITOR[0]] + ([MAIL_MONITOR[0]] if ctx.server.uses_mail_server else [])
    lines = [
        f"# ServiceGuard package configuration of {ctx.package}, rendered from the inventory.",
        f"PACKAGE_NAME                {ctx.package}",
        *[f"NODE_NAME                   {n.host_name}" for n in ctx.nodes],
        "AUTO_RUN                    YES",
        "NODE_FAIL_FAST_ENABLED      NO",
        f"RUN_SCRIPT                  {ctx.control_script_path}",
        "RUN_SCRIPT_TIMEOUT          NO_TIMEOUT",
        f"HALT_SCRIPT                 {ctx.control_script_path}",
        "HALT_SCRIPT_TIMEOUT         NO_TIMEOUT",
        "",
    ]
    for name in services:
        lines += [
            f"SERVICE_NAME                {name}",
            "SERVICE_FAIL_FAST_ENABLED   NO",
            "SERVICE_HALT_TIMEOUT        300",
            "",
        ]
    lines.append(f"SUBNET                      {ctx.package_subnet}")
    return "\n".join(lines) + "\n"


# --- artefacts as the plan shows them ---------------------------------------------------------------------


def control_script_artefact(ctx: Context, *, mail_active: bool, commands=None, host_label="") -> Artefact:
    name = (
        gettext_noop("control script (mail lines active)")
        if mail_active
        else gettext_noop("control script (mail lines commented out)")
    )
    return Artefact(
        name,
        ctx.control_script_path,
        render_control_script(ctx, mail_active=mail_active, commands=commands),
        host_label,
    )


def gmpublicinfo_artefact(records: list[str], *, commands=None, host_label="", name="gmpublicinfo") -> Artefact:
    """Records added to the site's gmpublicinfo file, one per line."""
    path = _commands(commands)["gmpublicinfo"]
    _line_safe("gmpublicinfo", path, *records)
    return Artefact(name, path, "\n".join(records) + "\n", host_label)
