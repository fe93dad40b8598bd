"""K.5 (1)(a) by hand for the lab tests: the default command lines the portal sends, and files written by hand.

The control script here is written in the test, a legacy ServiceGuard control script as the portal renders it,
so that the lab is proven without the catalog's renderer.
"""

import shlex
from dataclasses import dataclass

from clusters.lab import ClusterSpec, LabSpec

DEPOT = "/var/spool/sw"
GM = "/opt/GroupMail/bin"
OD = "/opt/HiOODB/bin"
XODRC = "/opt/HiOODB/conf/xodrc"
GMPUBLICINFO = "/var/opt/GroupMail/nxcdir/gmpublicinfo"
DISTRIBUTION_FAILED = "ドメイン名/ホスト名の配布に失敗しました。"  # K.5 A-27: to be ignored
SERVICES = "gmaxaddr        20010/tcp   # Groupmax Address Server\ngmaxmail        20011/tcp   # Groupmax Mail Server\n"


@dataclass(frozen=True)
class Step:
    id: str
    host: str
    command: str
    input: str = ""
    rc: int = 0
    expect: str = ""  # a text the output must contain

    def check(self, result) -> None:
        output = result.stdout + result.stderr
        assert result.returncode == self.rc, (
            f"{self.id} on {self.host}: rc {result.returncode}\n$ {self.command}\n{output}"
        )
        assert self.expect in output, f"{self.id} on {self.host}: no {self.expect!r} in\n{output}"


def control_script(cluster: ClusterSpec, *, mail_active: bool) -> str:
    """A legacy ServiceGuard control script: run/halt functions and ksh arrays (bash reads them)."""
    m = "" if mail_active else "#"
    fs = "".join(
        f'LV[{i}]={f.logical_volume}\nFS[{i}]={f.mount_point}\nFS_TYPE[{i}]="vxfs"\nFS_MOUNT_OPT[{i}]="-o rw"\n'
        for i, f in enumerate(cluster.filesystems)
    )
    return f"""#!/usr/bin/sh
# Package control script of {cluster.package_name} (written by hand for the lab tests)
VGCHANGE="vgchange -a e"
VG[0]={cluster.volume_group}
{fs}IP[0]={cluster.package_ip}
SUBNET[0]={cluster.package_subnet}
SERVICE_NAME[0]=addrSV
SERVICE_CMD[0]="{GM}/adstatp"
SERVICE_RESTART[0]=""
{m}SERVICE_NAME[1]=mailSV
{m}SERVICE_CMD[1]="{GM}/mlstatp"
{m}SERVICE_RESTART[1]=""

log_file=${{SG_SCRIPT_LOG_FILE:-$0.log}}
log() {{ echo "$(date '+%b %e %T') - Node \\"$(hostname)\\": $*" >> "$log_file"; }}

function customer_defined_run_cmds
{{
    {OD}/xodstart || return 1
    {GM}/GM_START || return 1
{m}    {GM}/APSTART || return 1
    return 0
}}

function customer_defined_halt_cmds
{{
{m}    {GM}/APSTOP
    {GM}/GM_STOP
    {OD}/xodstop
    return 0
}}

halt_all() {{
    rc=0
    i=$((${{#SERVICE_NAME[@]}} - 1))
    while [ $i -ge 0 ]; do
        log "Halting service ${{SERVICE_NAME[$i]}}"; cmhaltserv "${{SERVICE_NAME[$i]}}"; i=$((i - 1))
    done
    customer_defined_halt_cmds || {{ log "ERROR:  Failed to HALT customer commands"; rc=1; }}
    log "Remove IP address ${{IP[0]}} from subnet ${{SUBNET[0]}}"
    cmmodnet -r -i "${{IP[0]}}" "${{SUBNET[0]}}"
    i=$((${{#FS[@]}} - 1))
    while [ $i -ge 0 ]; do log "Unmounting filesystem on ${{LV[$i]}}"; umount "${{FS[$i]}}" || rc=1; i=$((i - 1)); done
    log "Deactivating volume group ${{VG[0]}}"
    vgchange -a n "${{VG[0]}}" || rc=1
    return $rc
}}

start_all() {{
    log "########### Node \\"$(hostname)\\": Starting package at $(date) ###########"
    log "Activating volume group ${{VG[0]}} with exclusive option."
    if ! $VGCHANGE "${{VG[0]}}"; then
        log "ERROR:  Function activate_volume_group"; log "ERROR:  Failed to activate ${{VG[0]}}"; return 2
    fi
    log "Checking filesystems:"
    i=0
    while [ $i -lt ${{#FS[@]}} ]; do
        if mount | grep -q "^${{FS[$i]}} on "; then
            log "WARNING:  File system \\"${{FS[$i]}}\\" was already mounted."
        else
            log "Mounting ${{LV[$i]}} at ${{FS[$i]}}"
            mount -F "${{FS_TYPE[$i]}}" ${{FS_MOUNT_OPT[$i]}} "${{LV[$i]}}" "${{FS[$i]}}" || return 1
        fi
        i=$((i + 1))
    done
    log "Adding IP address ${{IP[0]}} to subnet ${{SUBNET[0]}}"
    cmmodnet -a -i "${{IP[0]}}" "${{SUBNET[0]}}" || return 1
    if ! customer_defined_run_cmds; then
        log "ERROR:  Function customer_defined_run_cmds"; log "ERROR:  Failed to RUN customer commands"; return 1
    fi
    i=0
    while [ $i -lt ${{#SERVICE_NAME[@]}} ]; do
        log "Starting service ${{SERVICE_NAME[$i]}} using \\"${{SERVICE_CMD[$i]}}\\""
        cmrunserv ${{SERVICE_RESTART[$i]}} "${{SERVICE_NAME[$i]}}" "${{SERVICE_CMD[$i]}}" || {{
            log "ERROR:  Failed to start service ${{SERVICE_NAME[$i]}}"; return 1; }}
        i=$((i + 1))
    done
}}

case "$1" in
start)
    start_all; rc=$?
    if [ $rc -eq 0 ]; then log "Package start completed at $(date)"; exit 0; fi
    [ $rc -eq 2 ] || halt_all
    log "Package start failed at $(date)"; exit 1 ;;
stop)
    log "########### Node \\"$(hostname)\\": Halting package at $(date) ###########"
    if halt_all; then log "Package halt completed at $(date)"; exit 0; fi
    log "Package halt failed at $(date)"; exit 1 ;;
*)  echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
"""


def cluster_ascii(cluster: ClusterSpec) -> str:
    nodes = "".join(f"NODE_NAME {n}\n  NETWORK_INTERFACE lan0\n" for n in cluster.nodes)
    return (
        f"CLUSTER_NAME {cluster.name}\nFIRST_CLUSTER_LOCK_VG /dev/{cluster.volume_group}\n{nodes}"
        f"VOLUME_GROUP /dev/{cluster.volume_group}\n"
    )


def package_conf(cluster: ClusterSpec) -> str:
    nodes = "".join(f"NODE_NAME {n}\n" for n in cluster.nodes)
    script = cluster.control_script_path
    return (
        f"PACKAGE_NAME {cluster.package_name}\n{nodes}AUTO_RUN YES\nRUN_SCRIPT {script}\nHALT_SCRIPT {script}\n"
        f"SERVICE_NAME addrSV\nSERVICE_NAME mailSV\nSUBNET {cluster.package_subnet}\n"
    )


def package_conf_path(cluster: ClusterSpec) -> str:
    return f"/etc/cmcluster/{cluster.package_name}/{cluster.package_name}.conf"


def write_file(path: str, mode: str = "644") -> str:
    """A command that writes its standard input to ``path`` (the test sends the content)."""
    directory = shlex.quote(path.rsplit("/", 1)[0] or "/")
    return f"mkdir -p {directory} && cat > {shlex.quote(path)} && chmod {mode} {shlex.quote(path)}"


def mount_steps(prefix: str, host: str, cluster: ClusterSpec) -> list[Step]:
    return [Step(prefix, host, f"mount {f.logical_volume} {f.mount_point}") for f in cluster.filesystems]


def umount_steps(prefix: str, host: str, cluster: ClusterSpec) -> list[Step]:
    return [Step(prefix, host, f"umount {f.mount_point}") for f in reversed(cluster.filesystems)]


def install_and_setup(spec: LabSpec, cluster: ClusterSpec, host: str, ids: tuple[str, ...]) -> list[Step]:
    """A-01…A-07 (node 2) or A-11…A-17 (node 1): activate, mount, install, check, /etc/services, GM_SETUP."""
    vg = cluster.volume_group
    server = spec.server_of_cluster(cluster.name)
    a_act, a_mount, a_install, a_mail, a_check, a_services, a_setup = ids
    return [
        Step(a_act, host, f"vgchange -a y {vg}", expect="Activated volume group"),
        *mount_steps(a_mount, host, cluster),
        Step(a_install, host, f"swlist HiOODB >/dev/null 2>&1 || swinstall -s {DEPOT} HiOODB"),
        Step(a_install, host, f"swinstall -s {DEPOT} GMAX-ADDRESS"),
        Step(a_mail, host, f"swinstall -s {DEPOT} GMAX-MAIL"),
        Step(a_check, host, "bdf /var/opt/GroupMail", expect=f"/dev/{vg}/"),
        Step(a_services, host, f"printf %s {shlex.quote(SERVICES)} >> /etc/services && grep -q gmaxaddr /etc/services"),
        Step(a_setup, host, f"{GM}/GM_SETUP -t master -s {server.schema_name} -u root -g sys", expect="正常"),
    ]


def new_master_until_configured(spec: LabSpec, cluster: ClusterSpec) -> list[Step]:
    """A-01 … A-33: both nodes installed, node 1 set up, the shared disk released again."""
    node1, node2 = cluster.nodes
    vg, db = cluster.volume_group, cluster.database_directory
    records = [f"{ip}={cluster.package_host}" for h in cluster.nodes for ip in spec.node(h).local_ips]
    return [
        *install_and_setup(spec, cluster, node2, ("A-01", "A-02", "A-03", "A-04", "A-05", "A-06", "A-07")),
        Step("A-08", node2, "rm -rf /var/opt/GroupMail/*"),
        *umount_steps("A-09", node2, cluster),
        Step("A-10", node2, f"vgchange -a n {vg}"),
        *install_and_setup(spec, cluster, node1, ("A-11", "A-12", "A-13", "A-14", "A-15", "A-16", "A-17")),
        Step("A-18", node1, f"{OD}/xodmkfile -d {db}"),
        Step("A-19", node1, f"sed -i 's/^resiobj/#resiobj/' {XODRC} && grep -q '^#resiobj' {XODRC}"),
        Step("A-20", node1, f"{OD}/xodstart"),
        Step("A-21", node1, f"{GM}/DB_SETUP"),
        Step("A-22", node1, f"{OD}/xodstop"),
        Step("A-23", node1, f"sed -i 's/^#resiobj/resiobj/' {XODRC} && grep -q '^resiobj' {XODRC}"),
        Step("A-25", node1, f"{OD}/xodstart"),
        Step("A-26", node1, f"{GM}/GM_START", expect="address service started"),
        Step("A-27", node1, f"{GM}/adsrvn -n {cluster.package_host}", rc=1, expect=DISTRIBUTION_FAILED),
        Step("A-28", node1, f"{GM}/GM_STOP", expect="address service stopped"),
        Step("A-29", node1, f"{OD}/xodstop"),
        Step("A-30", node1, f"echo CLUSTERING_LEVEL=1 >> {GMPUBLICINFO}"),
        Step("A-31", node1, f"printf '%s\\n' {' '.join(records)} >> {GMPUBLICINFO}"),
        *umount_steps("A-32", node1, cluster),
        Step("A-33", node1, f"vgchange -a n {vg}"),
    ]  # fmt: skip


def package_files(cluster: ClusterSpec, *, mail_active: bool, ids=("A-34", "A-35")) -> list[Step]:
    """A-34/A-35 (or A-46/A-47): the configuration files and the control script, on every node."""
    steps = []
    for host in cluster.nodes:
        step_id = ids[0] if host == cluster.nodes[0] else ids[1]
        steps += [
            Step(step_id, host, write_file("/etc/cmcluster/cluster.ascii"), cluster_ascii(cluster)),
            Step(step_id, host, write_file(package_conf_path(cluster)), package_conf(cluster)),
            Step(step_id, host, write_file(cluster.control_script_path, "755"),
                 control_script(cluster, mail_active=mail_active)),
        ]  # fmt: skip
    return steps


def apply_configuration(cluster: ClusterSpec) -> list[Step]:
    """Flaw 16: cmcheckconf and cmapplyconf before the first cmruncl."""
    args = f"-C /etc/cmcluster/cluster.ascii -P {package_conf_path(cluster)}"
    node1 = cluster.nodes[0]
    return [
        Step("A-34+", node1, f"cmcheckconf {args}", expect="Verification completed with no errors found."),
        Step("A-34+", node1, f"cmapplyconf -f {args}", expect="Completed the cluster creation"),
    ]


def new_master_steps(spec: LabSpec, cluster: ClusterSpec) -> list[Step]:
    """K.5 (1)(a), A-01 … A-50 without the console steps (A-38 … A-43, A-50)."""
    node1 = cluster.nodes[0]
    log = f"{cluster.control_script_path}.log"
    return [
        *new_master_until_configured(spec, cluster),
        *package_files(cluster, mail_active=False),
        *apply_configuration(cluster),
        Step("A-36", node1, "cmruncl -v", expect="Cluster successfully formed."),
        Step("A-37", node1, f"grep 'address service started' {log}"),
        Step("A-44", node1, f"{GM}/mhs_nadr_cfg TCP OFF"),
        Step("A-45", node1, "cmhaltcl -f -v", expect="Halt operation complete."),
        *package_files(cluster, mail_active=True, ids=("A-46", "A-47")),
        Step("A-48", node1, "cmruncl -v", expect="Cluster successfully formed."),
        Step("A-49", node1, f"grep -c 'address service started' {log}", expect="2"),
    ]
