"""Every step kind that acts on a host, in one record each: its command, its success rule, its generated files.

A step in ``steps.py`` names its kind with ``action="…"``; ``ACTIONS`` maps that name to one ``Action``. The
command is built from the site's command lines (``commands.py``): every inventory value is validated, then
``shlex.quote``d. The success rule says what output, besides exit code 0, decides success. The generated
files (rendered by ``artefacts.py``) are what the plan shows before anything is written to a host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from shlex import quote

from django.utils.translation import gettext_noop  # file names in English; pages translate them when shown

from procedures.catalog import artefacts
from procedures.catalog import commands as site_commands
from procedures.catalog.base import Procedure, Step
from procedures.catalog.context import Context
from procedures.plan import Artefact, SuccessRule

GROUPMAIL = "/var/opt/GroupMail"
GROUPMAIL_TMP = "/var/opt/GroupMail_tmp"
ADDRESS_STARTED = "address service started"
ADSRVN_KNOWN = "ドメイン名/ホスト名の配布に失敗しました。"
NO_TRANSACTIONS = "トランザクションレコードなし"
RESIOBJ_ACTIVE = "'^[[:space:]]*resiobj[[:space:]]'"


@dataclass
class Rendering:
    """What an action sees while one step is rendered: the inventory, the procedure, the site's lines, the options."""

    context: Context
    procedure: Procedure
    commands: dict[str, str]  # the site's command lines by key (commands.REGISTRY), overrides applied
    options: dict
    validate: bool = True

    def site_command(self, key: str, **values) -> str:
        """The site's command line ``key`` with each placeholder filled by a validated, quoted value."""
        return site_commands.render(self.commands[key], values, validate=self.validate)

    @property
    def depot(self) -> str:
        return self.commands["sw_depot"]

    @property
    def previous_directory(self) -> str:
        """The database directory before a conversion (K.5 (2)); the shared one unless the operator named another."""
        return self.options.get("previous_database_directory") or self.context.database_directory

    def mail_lines_active(self, mode: str) -> bool:
        """Whether a control script written in ``mode`` ("commented", "active", "inventory") has its mail lines on."""
        return {"commented": False, "active": True, "inventory": self.context.server.uses_mail_server}[mode]

    def first_script_mail_lines_active(self) -> bool:
        """The mail lines of the first control script the procedure writes (its ``write_config`` step)."""
        step = next((s for s in self.procedure.steps if s.action == "write_config"), None)
        return self.mail_lines_active(step.params.get("mail", "commented") if step else "commented")

    def control_script(self, mail_active: bool) -> str:
        return artefacts.render_control_script(self.context, mail_active=mail_active, commands=self.commands)

    @property
    def mail_server(self) -> bool:
        return bool(self.options.get("mail_server"))


def _exit_code_only(rendering: Rendering, step: Step) -> SuccessRule:
    return SuccessRule()


def _no_files(rendering: Rendering, step: Step, host_label: str) -> tuple[Artefact, ...]:
    return ()


@dataclass(frozen=True)
class Action:
    """One step kind on a host: the command it runs, what decides its success, the files it writes."""

    command: Callable[[Rendering, Step], str]
    success: Callable[[Rendering, Step], SuccessRule] = _exit_code_only
    artefacts: Callable[[Rendering, Step, str], tuple[Artefact, ...]] = _no_files  # (…, host label) → files


# --- helpers of several actions -----------------------------------------------------------------------------


def _literal(text: str) -> str:
    """A regex matching ``text`` literally, readable on the plan page (spaces are not escaped)."""
    return re.escape(text).replace("\\ ", " ")


def _output_shows(text: str) -> Callable[[Rendering, Step], SuccessRule]:
    """Success needs exit code 0 and ``text`` in the output."""
    return lambda rendering, step: SuccessRule(expect_output=_literal(text))


def _output_may_show(text: str) -> Callable[[Rendering, Step], SuccessRule]:
    """Success is exit code 0, or ``text`` in the output whatever the exit code (a message K.5 says is harmless)."""
    return lambda rendering, step: SuccessRule(accept_output=_literal(text))


def _group(command: str) -> str:
    """Brace a site command line that has its own ``||`` or ``;`` before chaining it with ``&&``."""
    return f"{{ {command}; }}" if ("||" in command or ";" in command) else command


def _site(key: str) -> Callable[[Rendering, Step], str]:
    """The command of a step that runs one site command line without placeholders."""
    return lambda rendering, step: rendering.site_command(key)


COPY_FAILED = "/var/tmp/k5-copy.failed"  # noqa: S108 - a marker on the node, not a file of the portal


def _tar_copy(source: str, destination: str) -> str:
    """Copy keeping owners, modes and links; a read error of the first tar fails the step (sh has no pipefail)."""
    marker = quote(COPY_FAILED)
    return (
        f"rm -f {marker} && cd {quote(source)} && {{ tar -cf - . || echo failed > {marker}; }} | "
        f"(cd {quote(destination)} && tar -xpf -) && test ! -e {marker} || "
        f"{{ rm -f {marker}; echo {quote(f'k5: the copy of {source} to {destination} did not complete')} >&2; false; }}"
    )


def _previous_directory_exists(rendering: Rendering) -> str:
    """C-00 also proves the plan's previous database directory is there, before anything is stopped or moved."""
    previous = rendering.previous_directory
    told = (
        f"C-00: 移行前のデータベースディレクトリ {previous} がありません / the previous database directory "
        f"{previous} of the plan does not exist on this node"
    )
    return f"{{ test -d {quote(previous)} || {{ echo {quote(told)} >&2; false; }}; }}"


def _xodrc_dbdir(rendering: Rendering, step: Step) -> str:
    """Node 2's freshly installed xodrc names the previous directory, as node 1's does (C-19 links it on both)."""
    previous = rendering.previous_directory
    return _xodrc_edit(
        rendering,
        f"s|^dbdir[[:space:]].*|dbdir {previous}|",
        f'grep -q {quote("^dbdir " + previous + "$")} "$f" && grep "^dbdir" "$f"',
    )


def _xodrc_edit(rendering: Rendering, sed_expression: str, verify: str) -> str:
    """Edit xodrc in place (the original kept once as .k5orig), then run ``verify`` on it."""
    path = quote(rendering.commands["xodrc"])
    return (
        f'f={path}; {{ [ -f "$f.k5orig" ] || cp -p "$f" "$f.k5orig"; }} && '
        f'sed {quote(sed_expression)} "$f" > "$f.k5tmp" && cat "$f.k5tmp" > "$f" && rm -f "$f.k5tmp" && {verify}'
    )


def _write_files(files: tuple[Artefact, ...], rendering: Rendering) -> str:
    """Write each file whole; the control script is made executable."""
    return " && ".join(
        artefacts.write_file_command(
            file.path, file.content, mode="755" if file.path == rendering.context.control_script_path else "644"
        )
        for file in files
    )


# --- package configuration and control script ---------------------------------------------------------------


def _configuration_files(rendering: Rendering, step: Step, host_label: str = "") -> tuple[Artefact, ...]:
    """The cluster and package configuration and the first control script (mail lines as ``step`` says)."""
    context = rendering.context
    return (
        Artefact("cluster.ascii", artefacts.CLUSTER_ASCII, artefacts.render_cluster_ascii(context), host_label),
        Artefact(
            gettext_noop("package configuration"),
            artefacts.package_conf_path(context.package),
            artefacts.render_package_conf(context),
            host_label,
        ),
        artefacts.control_script_artefact(
            context,
            mail_active=rendering.mail_lines_active(step.params["mail"]),
            commands=rendering.commands,
            host_label=host_label,
        ),
    )


def _mail_script_file(rendering: Rendering, step: Step, host_label: str = "") -> tuple[Artefact, ...]:
    """The control script with its mail lines active (A-46, B-42)."""
    return (
        artefacts.control_script_artefact(
            rendering.context, mail_active=True, commands=rendering.commands, host_label=host_label
        ),
    )


def _script_for(rendering: Rendering, step: Step) -> str:
    """The control script node 2 gets: the first one, or the one with mail lines active (``params["when"]``)."""
    mail = rendering.first_script_mail_lines_active() if step.params["when"] == "first" else True
    return rendering.control_script(mail)


def _copy_script(rendering: Rendering, step: Step) -> str:
    context = rendering.context
    return " && ".join(
        [
            artefacts.write_file_command(
                artefacts.package_conf_path(context.package), artefacts.render_package_conf(context)
            ),
            artefacts.write_file_command(context.control_script_path, _script_for(rendering, step), mode="755"),
        ]
    )


def _check_log(rendering: Rendering, step: Step) -> str:
    """Only the latest package start of control.sh.log counts, so an old start cannot pass the check."""
    log = quote(rendering.context.control_script_path + ".log")
    latest = quote('/Starting package at/ { s = "" } { s = s $0 "\\n" } END { printf "%s", s }')
    return f"awk {latest} {log} | grep {quote(ADDRESS_STARTED)}"


def _switch(rendering: Rendering, step: Step) -> str:
    package = rendering.context.package
    node = rendering.context.nodes[step.params["to"] - 1]
    return (
        rendering.site_command("pkg_halt", package=package)
        + " && "
        + rendering.site_command("pkg_run", node=node.host_name, package=package)
    )


# --- installation and /etc/services -------------------------------------------------------------------------


def _install_address(rendering: Rendering, step: Step) -> str:
    address = rendering.site_command("install_address_server", depot=rendering.depot)
    if rendering.options.get("replication_option"):
        address += " " + rendering.commands["install_replication_option"]
    return _group(rendering.site_command("install_object_server", depot=rendering.depot)) + " && " + address


def _services_files(rendering: Rendering, step: Step, host_label: str) -> tuple[Artefact, ...]:
    lines = artefacts.services_lines(rendering.commands, mail=rendering.mail_server)
    return (
        Artefact(
            gettext_noop("/etc/services (lines added)"), artefacts.SERVICES_PATH, "\n".join(lines) + "\n", host_label
        ),
    )


# --- gmpublicinfo -------------------------------------------------------------------------------------------


def _gmpublicinfo(records: Callable[[Context], list[str]], name: str) -> Action:
    """An edit that appends ``records`` to the site's gmpublicinfo file unless each is there already."""

    def command(rendering: Rendering, step: Step) -> str:
        return artefacts.append_lines_command(rendering.commands["gmpublicinfo"], records(rendering.context))

    def files(rendering: Rendering, step: Step, host_label: str) -> tuple[Artefact, ...]:
        return (
            artefacts.gmpublicinfo_artefact(
                records(rendering.context), commands=rendering.commands, host_label=host_label, name=name
            ),
        )

    return Action(command=command, artefacts=files)


def _xodrc_schema_line(rendering: Rendering, step: Step) -> SuccessRule:
    """xodrc must keep an active resiobj line whose -s is this server's schema."""
    schema = re.escape(rendering.context.server.schema_name)
    return SuccessRule(expect_output=r"(?m)^\s*resiobj\s.*-s\s*" + schema + r"(\s|$)")


def _on_the_package_volume_group(rendering: Rendering, step: Step) -> SuccessRule:
    """bdf names the file system's device; on the shared disk it lies under /dev/<volume group>/."""
    return SuccessRule(expect_output=_literal(f"/dev/{rendering.context.vg}/"))


ACTIONS: dict[str, Action] = {
    # --- introduction and the (2) gate
    "kp2": Action(
        command=lambda rendering, step: "id -u",
        success=lambda rendering, step: SuccessRule(expect_output=r"(?m)^0\s*$"),
    ),
    "kp1": Action(command=_site("objsv_installed")),
    "gate_root": Action(
        command=lambda rendering, step: (
            _previous_directory_exists(rendering)
            + " && "
            + _group(rendering.site_command("sysadmin_is_root"))
            + " && echo 'system administrator: root'"
        )
    ),
    # --- volume group and file systems
    "vg_activate": Action(
        command=lambda rendering, step: rendering.site_command("vg_activate", vg=rendering.context.vg)
    ),
    "vg_deactivate": Action(
        command=lambda rendering, step: rendering.site_command("vg_deactivate", vg=rendering.context.vg)
    ),
    "fs_mount": Action(
        command=lambda rendering, step: " && ".join(
            f"mkdir -p {quote(mount_point)} && "
            + rendering.site_command("fs_mount", lv=volume, mount_point=mount_point)
            for volume, mount_point in rendering.context.filesystems
        )
    ),
    "fs_unmount": Action(
        command=lambda rendering, step: " && ".join(
            rendering.site_command("fs_unmount", mount_point=mount_point)
            for _volume, mount_point in reversed(rendering.context.filesystems)
        )
    ),
    # --- installation and set-up
    "install_address": Action(command=_install_address),
    "install_mail": Action(
        command=lambda rendering, step: rendering.site_command("install_mail_server", depot=rendering.depot)
    ),
    "check_shared": Action(
        command=lambda rendering, step: rendering.site_command("check_shared", mount_point=GROUPMAIL),
        success=_on_the_package_volume_group,
    ),
    "services": Action(
        command=lambda rendering, step: artefacts.services_command(rendering.commands, mail=rendering.mail_server),
        artefacts=_services_files,
    ),
    "services_check": Action(
        command=lambda rendering, step: artefacts.services_check_command(rendering.commands, mail=rendering.mail_server)
    ),
    "gm_setup": Action(
        command=lambda rendering, step: rendering.site_command(
            "gm_setup", server_type=rendering.context.server.role, schema=rendering.context.server.schema_name
        )
    ),
    "clear_groupmail": Action(command=lambda rendering, step: f"cd {quote(GROUPMAIL)} && rm -rf ./* ./.[!.]* ./..?*"),
    "db_files_create": Action(
        command=lambda rendering, step: rendering.site_command(
            "db_files_create", database_directory=rendering.context.database_directory
        )
    ),
    # --- xodrc: the residency setting is off only for the time of DB_SETUP
    "xodrc_comment": Action(
        command=lambda rendering, step: _xodrc_edit(
            rendering,
            r"s/^\([[:space:]]*resiobj[[:space:]]\)/#\1/",
            f'! grep -q {RESIOBJ_ACTIVE} "$f" && grep "resiobj" "$f"',
        )
    ),
    "xodrc_restore": Action(
        command=lambda rendering, step: _xodrc_edit(
            rendering, r"s/^#\([[:space:]]*resiobj[[:space:]]\)/\1/", f'grep {RESIOBJ_ACTIVE} "$f"'
        )
    ),
    "xodrc_dbdir": Action(command=_xodrc_dbdir),
    "xodrc_show": Action(
        command=lambda rendering, step: (
            f"cksum {quote(rendering.commands['xodrc'])} && grep {RESIOBJ_ACTIVE} {quote(rendering.commands['xodrc'])}"
        ),
        success=_xodrc_schema_line,
    ),
    # --- Object Server, the database and the address service
    "objsv_start": Action(command=_site("objsv_start")),
    "objsv_stop": Action(command=_site("objsv_stop")),
    "db_setup": Action(command=_site("db_setup")),
    "addr_start": Action(command=_site("addr_start"), success=_output_shows(ADDRESS_STARTED)),
    "addr_stop": Action(command=_site("addr_stop")),
    "stop_addr_objsv": Action(
        command=lambda rendering, step: (
            rendering.site_command("addr_stop") + " && " + rendering.site_command("objsv_stop")
        )
    ),
    "adsrvn": Action(
        command=lambda rendering, step: rendering.site_command("adsrvn", package_host=rendering.context.package_host),
        success=_output_may_show(ADSRVN_KNOWN),
    ),
    "mail_stop": Action(command=_site("mail_stop")),
    "mhs_nadr_cfg": Action(command=_site("mhs_nadr_cfg")),
    "nxsrepstat": Action(command=_site("nxsrepstat"), success=_output_may_show(NO_TRANSACTIONS)),
    # --- gmpublicinfo: an address server's IP records go to the master's file, its own gets CLUSTERING_LEVEL only
    "gmpublicinfo_level": _gmpublicinfo(
        lambda context: [artefacts.CLUSTERING_LEVEL], gettext_noop("gmpublicinfo (records added)")
    ),
    "gmpublicinfo_ips_own": _gmpublicinfo(artefacts.ip_records, gettext_noop("gmpublicinfo (records added)")),
    "gmpublicinfo_ips_master": _gmpublicinfo(
        artefacts.ip_records, gettext_noop("gmpublicinfo of the master (records added)")
    ),
    # --- the cluster: configuration files, control script, start and stop, package switch-over
    "write_config": Action(
        command=lambda rendering, step: _write_files(_configuration_files(rendering, step), rendering),
        artefacts=_configuration_files,
    ),
    "write_script": Action(
        command=lambda rendering, step: _write_files(_mail_script_file(rendering, step), rendering),
        artefacts=_mail_script_file,
    ),
    "copy_script": Action(command=_copy_script),
    "compare_script": Action(
        command=lambda rendering, step: artefacts.same_file_command(
            rendering.context.control_script_path, _script_for(rendering, step)
        )
    ),
    "apply_config": Action(
        command=lambda rendering, step: (
            rendering.site_command("cm_check", package=rendering.context.package)
            + " && "
            + rendering.site_command("cm_apply", package=rendering.context.package)
        )
    ),
    "cm_run": Action(command=_site("cm_run")),
    "cm_halt": Action(command=_site("cm_halt")),
    "check_log": Action(command=_check_log, success=_output_shows(ADDRESS_STARTED)),
    "switch": Action(command=_switch),
    # --- (2): back up, move the existing data onto the shared disk, clean up
    "backup": Action(
        command=lambda rendering, step: rendering.site_command(
            "backup", database_directory=rendering.previous_directory
        )
    ),
    "rename_groupmail": Action(
        command=lambda rendering, step: (
            f"test ! -e {quote(GROUPMAIL_TMP)} && mv {quote(GROUPMAIL)} {quote(GROUPMAIL_TMP)}"
        )
    ),
    "rename_dbdir": Action(
        command=lambda rendering, step: (
            f"test ! -e {quote(rendering.previous_directory + '_tmp')} && "
            f"mv {quote(rendering.previous_directory)} {quote(rendering.previous_directory + '_tmp')}"
        )
    ),
    "copy_groupmail": Action(command=lambda rendering, step: _tar_copy(GROUPMAIL_TMP, GROUPMAIL)),
    "copy_dbdir": Action(
        command=lambda rendering, step: _tar_copy(
            rendering.previous_directory + "_tmp", rendering.context.database_directory
        )
    ),
    "link_dbdir": Action(
        command=lambda rendering, step: (
            f"{{ [ -L {quote(rendering.previous_directory)} ] || "
            f"ln -s {quote(rendering.context.database_directory)} {quote(rendering.previous_directory)}; }} "
            f"&& ls -ld {quote(rendering.previous_directory)}"
        )
    ),
    "remove_groupmail_tmp": Action(command=lambda rendering, step: f"rm -rf {quote(GROUPMAIL_TMP)}"),
    "remove_dbdir_tmp": Action(
        command=lambda rendering, step: f"rm -rf {quote(rendering.previous_directory + '_tmp')}"
    ),
}
