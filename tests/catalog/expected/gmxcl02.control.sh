#!/usr/bin/sh
# Package control script of Groupmax package addpkg (ServiceGuard cluster gmxcl02).
# Rendered by the Groupmax cluster portal from the inventory; change the inventory, not this file.
# Phase: mail lines stay commented out: this server does not use Mail Server, and APSTART, APSTOP and mlstatp only start, stop and watch the mail server (K.5 flaw 5).

PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin:/etc
VGCHANGE="vgchange -a e"

VG[0]=vgadd

LV[0]=/dev/vgadd/lvol1
FS[0]=/var/opt/GroupMail
FS_TYPE[0]="vxfs"
FS_MOUNT_OPT[0]="-o rw"
LV[1]=/dev/vgadd/lvol2
FS[1]=/OBJSVFILE
FS_TYPE[1]="vxfs"
FS_MOUNT_OPT[1]="-o rw"

IP[0]=127.0.20.100
SUBNET[0]=127.0.20.0

# Service [0] watches the address service; [1] watches the mail server (Mail Server only).
SERVICE_NAME[0]=addrSV
SERVICE_CMD[0]="/opt/GroupMail/bin/adstatp"
SERVICE_RESTART[0]=""
#SERVICE_NAME[1]=mailSV
#SERVICE_CMD[1]="/opt/GroupMail/bin/mlstatp"
#SERVICE_RESTART[1]=""

log_file=${SG_SCRIPT_LOG_FILE:-$0.log}
NODE=$(hostname)

log()
{
    echo "$(date '+%b %e %T') - Node \"$NODE\": $*" >> "$log_file"
}

function customer_defined_run_cmds
{
    /opt/HiOODB/bin/xodstart >> "$log_file" 2>&1 || return 1
    /opt/GroupMail/bin/GM_START >> "$log_file" 2>&1 || return 1
#    /opt/GroupMail/bin/APSTART >> "$log_file" 2>&1 || return 1
    return 0
}

function customer_defined_halt_cmds
{
#    /opt/GroupMail/bin/APSTOP >> "$log_file" 2>&1
    /opt/GroupMail/bin/GM_STOP >> "$log_file" 2>&1
    /opt/HiOODB/bin/xodstop >> "$log_file" 2>&1
    return 0
}

halt_package()
{
    i=$((${#SERVICE_NAME[@]} - 1))
    while [ $i -ge 0 ]; do
        log "Halting service ${SERVICE_NAME[$i]}"
        cmhaltserv "${SERVICE_NAME[$i]}" >> "$log_file" 2>&1
        i=$((i - 1))
    done
    customer_defined_halt_cmds || { log "ERROR:  Failed to HALT customer commands"; rc=1; }
    log "Remove IP address ${IP[0]} from subnet ${SUBNET[0]}"
    cmmodnet -r -i "${IP[0]}" "${SUBNET[0]}" >> "$log_file" 2>&1
    i=$((${#FS[@]} - 1))
    while [ $i -ge 0 ]; do
        log "Unmounting filesystem on ${LV[$i]}"
        umount "${FS[$i]}" >> "$log_file" 2>&1 || rc=1
        i=$((i - 1))
    done
    log "Deactivating volume group ${VG[0]}"
    vgchange -a n "${VG[0]}" >> "$log_file" 2>&1 || rc=1
}

start_package()
{
    log "########### Node \"$NODE\": Starting package at $(date) ###########"
    log "Activating volume group ${VG[0]} with exclusive option."
    if ! $VGCHANGE "${VG[0]}" >> "$log_file" 2>&1; then
        log "ERROR:  Function activate_volume_group"
        log "ERROR:  Failed to activate ${VG[0]}"
        return 1
    fi
    log "Checking filesystems:"
    i=0
    while [ $i -lt ${#FS[@]} ]; do
        log "Mounting ${LV[$i]} at ${FS[$i]}"
        mount "${LV[$i]}" "${FS[$i]}" >> "$log_file" 2>&1 || return 1
        i=$((i + 1))
    done
    log "Adding IP address ${IP[0]} to subnet ${SUBNET[0]}"
    cmmodnet -a -i "${IP[0]}" "${SUBNET[0]}" >> "$log_file" 2>&1 || return 1
    if ! customer_defined_run_cmds; then
        log "ERROR:  Function customer_defined_run_cmds"
        log "ERROR:  Failed to RUN customer commands"
        return 1
    fi
    i=0
    while [ $i -lt ${#SERVICE_NAME[@]} ]; do
        log "Starting service ${SERVICE_NAME[$i]} using \"${SERVICE_CMD[$i]}\""
        cmrunserv ${SERVICE_RESTART[$i]} "${SERVICE_NAME[$i]}" "${SERVICE_CMD[$i]}" \
            >> "$log_file" 2>&1 || return 1
        i=$((i + 1))
    done
    return 0
}

case "$1" in
start)
    if start_package; then
        log "Package start completed at $(date)"
        exit 0
    fi
    rc=1
    halt_package
    log "Package start failed at $(date)"
    exit 1
    ;;
stop)
    rc=0
    log "########### Node \"$NODE\": Halting package at $(date) ###########"
    halt_package
    if [ $rc -eq 0 ]; then
        log "Package halt completed at $(date)"
    else
        log "Package halt failed at $(date)"
    fi
    exit $rc
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 1
    ;;
esac
