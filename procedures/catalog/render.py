"""Render a catalog procedure against one cluster of the inventory: the ``Plan`` an operator reads first.

``render_plan(cluster, procedure_code, options)`` is the entry point. Every inventory value that reaches a
command passes the inventory's validators (``context.validate``) and is then ``shlex.quote``d; a test
renders arbitrary strings with ``validate=False`` to prove the quoting alone keeps each one a single word.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from clusters import validators as v
from procedures.catalog import artefacts as art
from procedures.catalog import commands as settings_registry
from procedures.catalog.base import CONDITIONS, Procedure, Step, Target, text
from procedures.catalog.context import CatalogError, Context, NodeInfo, ServerInfo, from_cluster
from procedures.plan import Artefact, ChecklistItem, HostRef, Plan, PlannedStep, SuccessRule

q = shlex.quote
GROUPMAIL = "/var/opt/GroupMail"
GROUPMAIL_TMP = "/var/opt/GroupMail_tmp"
ADDRESS_STARTED = "address service started"
ADSRVN_KNOWN = "ドメイン名/ホスト名の配布に失敗しました。"
NO_TRANSACTIONS = "トランザクションレコードなし"


def _lit(text: str) -> str:
    """A regex matching ``text`` literally, readable on the plan page (spaces are not escaped)."""
    return re.escape(text).replace("\\ ", " ")


def _group(command: str) -> str:
    """Brace a site template that has its own ``||`` or ``;`` before chaining it with ``&&``."""
    return f"{{ {command}; }}" if ("||" in command or ";" in command) else command


@dataclass
class R:
    """What an action sees while rendering one step."""

    ctx: Context
    procedure: Procedure
    settings: dict[str, str]
    options: dict
    validate: bool = True

    def t(self, key: str, **values) -> str:
        return settings_registry.render(self.settings[key], values, validate=self.validate)

    @property
    def depot(self) -> str:
        return self.settings["sw_depot"]

    @property
    def previous_dir(self) -> str:
        return self.options.get("previous_database_directory") or self.ctx.database_directory

    def first_mail(self) -> bool:
        step = next((s for s in self.procedure.steps if s.action == "write_config"), None)
        return self._mail(step.params.get("mail", "commented") if step else "commented")

    def _mail(self, mode: str) -> bool:
        return {"commented": False, "active": True, "inventory": self.ctx.server.uses_mail_server}[mode]

    def script(self, mail: bool) -> str:
        return art.render_control_script(self.ctx, mail_active=mail, settings=self.settings)


# --- actions: step → the shell command on one host ---------------------------------------------------------


def _xodrc_edit(r: R, sed_expr: str, verify: str) -> str:
    f = q(r.settings["xodrc"])
    return (
        f'f={f}; {{ [ -f "$f.k5orig" ] || cp -p "$f" "$f.k5orig"; }} && '
        f'sed {q(sed_expr)} "$f" > "$f.k5tmp" && cat "$f.k5tmp" > "$f" && rm -f "$f.k5tmp" && {verify}'
    )


RESIOBJ_ACTIVE = "'^[[:space:]]*resiobj[[:space:]]'"


def _write_config(r: R, step: Step) -> str:
    mail = r._mail(step.params["mail"])
    return " && ".join(
        [
            art.write_file_command(art.CLUSTER_ASCII, art.render_cluster_ascii(r.ctx)),
            art.write_file_command(art.package_conf_path(r.ctx.package), art.render_package_conf(r.ctx)),
            art.write_file_command(r.ctx.control_script_path, r.script(mail), mode="755"),
        ]
    )


def _copy_script(r: R, step: Step) -> str:
    mail = r.first_mail() if step.params["when"] == "first" else True
    return " && ".join(
        [
            art.write_file_command(art.package_conf_path(r.ctx.package), art.render_package_conf(r.ctx)),
            art.write_file_command(r.ctx.control_script_path, r.script(mail), mode="755"),
        ]
    )


def _compare_script(r: R, step: Step) -> str:
    mail = r.first_mail() if step.params["when"] == "first" else True
    return art.same_file_command(r.ctx.control_script_path, r.script(mail))


def _check_log(r: R, step: Step) -> str:
    log = q(r.ctx.control_script_path + ".log")
    latest = q('/Starting package at/ { s = "" } { s = s $0 "\\n" } END { printf "%s", s }')
    return f"awk {latest} {log} | grep {q(ADDRESS_STARTED)}"


def _switch(r: R, step: Step) -> str:
    node = r.ctx.nodes[step.params["to"] - 1]
    return r.t("pkg_halt", package=r.ctx.package) + " && " + r.t("pkg_run", node=node.host_name, package=r.ctx.package)


def _install_address(r: R, step: Step) -> str:
    address = r.t("install_address_server", depot=r.depot)
    if r.options.get("replication_option"):
        address += " " + r.settings["install_replication_option"]
    return _group(r.t("install_object_server", depot=r.depot)) + " && " + address


def _tar_copy(src: str, dst: str) -> str:
    return f"cd {q(src)} && tar -cf - . | (cd {q(dst)} && tar -xpf -)"


def _services(r: R, step: Step) -> str:
    return art.services_command(r.settings, mail=bool(r.options.get("mail_server")))


def _services_check(r: R, step: Step) -> str:
    return art.services_check_command(r.settings, mail=bool(r.options.get("mail_server")))


def _gmpublicinfo(records):
    return lambda r, step: art.append_lines_command(r.settings["gmpublicinfo"], records(r))


ACTIONS = {
    "kp2": lambda r, s: "id -u",
    "kp1": lambda r, s: r.t("objsv_installed"),
    "vg_activate": lambda r, s: r.t("vg_activate", vg=r.ctx.vg),
    "vg_deactivate": lambda r, s: r.t("vg_deactivate", vg=r.ctx.vg),
    "fs_mount": lambda r, s: " && ".join(
        f"mkdir -p {q(mp)} && " + r.t("fs_mount", lv=lv, mount_point=mp) for lv, mp in r.ctx.filesystems
    ),
    "fs_unmount": lambda r, s: " && ".join(
        r.t("fs_unmount", mount_point=mp) for _lv, mp in reversed(r.ctx.filesystems)
    ),
    "install_address": _install_address,
    "install_mail": lambda r, s: r.t("install_mail_server", depot=r.depot),
    "check_shared": lambda r, s: r.t("check_shared", mount_point=GROUPMAIL),
    "services": _services,
    "services_check": _services_check,
    "gm_setup": lambda r, s: r.t("gm_setup", server_type=r.ctx.server.role, schema=r.ctx.server.schema_name),
    "clear_groupmail": lambda r, s: f"cd {q(GROUPMAIL)} && rm -rf ./* ./.[!.]* ./..?*",
    "db_files_create": lambda r, s: r.t("db_files_create", database_directory=r.ctx.database_directory),
    "xodrc_comment": lambda r, s: _xodrc_edit(
        r, r"s/^\([[:space:]]*resiobj[[:space:]]\)/#\1/", f'! grep -q {RESIOBJ_ACTIVE} "$f" && grep "resiobj" "$f"'
    ),
    "xodrc_restore": lambda r, s: _xodrc_edit(
        r, r"s/^#\([[:space:]]*resiobj[[:space:]]\)/\1/", f'grep {RESIOBJ_ACTIVE} "$f"'
    ),
    "xodrc_show": lambda r, s: f"cksum {q(r.settings['xodrc'])} && grep {RESIOBJ_ACTIVE} {q(r.settings['xodrc'])}",
    "objsv_start": lambda r, s: r.t("objsv_start"),
    "objsv_stop": lambda r, s: r.t("objsv_stop"),
    "db_setup": lambda r, s: r.t("db_setup"),
    "addr_start": lambda r, s: r.t("addr_start"),
    "addr_stop": lambda r, s: r.t("addr_stop"),
    "stop_addr_objsv": lambda r, s: r.t("addr_stop") + " && " + r.t("objsv_stop"),
    "adsrvn": lambda r, s: r.t("adsrvn", package_host=r.ctx.package_host),
    "mail_stop": lambda r, s: r.t("mail_stop"),
    "mhs_nadr_cfg": lambda r, s: r.t("mhs_nadr_cfg"),
    "nxsrepstat": lambda r, s: r.t("nxsrepstat"),
    "gmpublicinfo_level": _gmpublicinfo(lambda r: [art.CLUSTERING_LEVEL]),
    "gmpublicinfo_ips_own": _gmpublicinfo(lambda r: art.ip_records(r.ctx)),
    "gmpublicinfo_ips_master": _gmpublicinfo(lambda r: art.ip_records(r.ctx)),
    "write_config": _write_config,
    "write_script": lambda r, s: art.write_file_command(r.ctx.control_script_path, r.script(True), mode="755"),
    "copy_script": _copy_script,
    "compare_script": _compare_script,
    "apply_config": lambda r, s: (
        r.t("cm_check", package=r.ctx.package) + " && " + r.t("cm_apply", package=r.ctx.package)
    ),
    "cm_run": lambda r, s: r.t("cm_run"),
    "cm_halt": lambda r, s: r.t("cm_halt"),
    "check_log": _check_log,
    "switch": _switch,
    "gate_root": lambda r, s: _group(r.t("sysadmin_is_root")) + " && echo 'system administrator: root'",
    "backup": lambda r, s: r.t("backup", database_directory=r.previous_dir),
    "rename_groupmail": lambda r, s: f"test ! -e {q(GROUPMAIL_TMP)} && mv {q(GROUPMAIL)} {q(GROUPMAIL_TMP)}",
    "rename_dbdir": lambda r, s: (
        f"test ! -e {q(r.previous_dir + '_tmp')} && mv {q(r.previous_dir)} {q(r.previous_dir + '_tmp')}"
    ),
    "copy_groupmail": lambda r, s: _tar_copy(GROUPMAIL_TMP, GROUPMAIL),
    "copy_dbdir": lambda r, s: _tar_copy(r.previous_dir + "_tmp", r.ctx.database_directory),
    "link_dbdir": lambda r, s: (
        f"{{ [ -L {q(r.previous_dir)} ] || ln -s {q(r.ctx.database_directory)} "
        f"{q(r.previous_dir)}; }} && ls -ld {q(r.previous_dir)}"
    ),
    "remove_groupmail_tmp": lambda r, s: f"rm -rf {q(GROUPMAIL_TMP)}",
    "remove_dbdir_tmp": lambda r, s: f"rm -rf {q(r.previous_dir + '_tmp')}",
}


def success_rule(r: R, step: Step) -> SuccessRule:
    action = step.action
    if action in ("addr_start",) or action == "check_log":
        return SuccessRule(expect_output=_lit(ADDRESS_STARTED))
    if action == "adsrvn":
        return SuccessRule(accept_output=_lit(ADSRVN_KNOWN))
    if action == "nxsrepstat":
        return SuccessRule(accept_output=_lit(NO_TRANSACTIONS))
    if action == "check_shared":
        return SuccessRule(expect_output=_lit(f"/dev/{r.ctx.vg}/"))
    if action == "kp2":
        return SuccessRule(expect_output=r"(?m)^0\s*$")
    if action == "xodrc_show":
        return SuccessRule(expect_output=r"(?m)^\s*resiobj\s.*-s\s*" + re.escape(r.ctx.server.schema_name) + r"(\s|$)")
    return SuccessRule()


def step_artefacts(r: R, step: Step, hosts: tuple[HostRef, ...]) -> tuple[Artefact, ...]:
    label = ", ".join(h.label for h in hosts)
    gmp = r.settings["gmpublicinfo"]
    if step.action == "write_config":
        mail = r._mail(step.params["mail"])
        return (
            Artefact("cluster.ascii", art.CLUSTER_ASCII, art.render_cluster_ascii(r.ctx), label),
            Artefact(
                "package configuration", art.package_conf_path(r.ctx.package), art.render_package_conf(r.ctx), label
            ),
            art.control_script_artefact(r.ctx, mail_active=mail, settings=r.settings, host_label=label),
        )
    if step.action == "write_script":
        return (art.control_script_artefact(r.ctx, mail_active=True, settings=r.settings, host_label=label),)
    if step.action == "gmpublicinfo_level":
        return (Artefact("gmpublicinfo (records added)", gmp, art.CLUSTERING_LEVEL + "\n", label),)
    if step.action in ("gmpublicinfo_ips_own", "gmpublicinfo_ips_master"):
        name = (
            "gmpublicinfo of the master (records added)"
            if step.action.endswith("master")
            else "gmpublicinfo (records added)"
        )
        return (Artefact(name, gmp, "\n".join(art.ip_records(r.ctx)) + "\n", label),)
    if step.action == "services":
        lines = art.services_lines(r.settings, mail=bool(r.options.get("mail_server")))
        return (Artefact("/etc/services (lines added)", art.SERVICES_PATH, "\n".join(lines) + "\n", label),)
    return ()


# --- hosts --------------------------------------------------------------------------------------------------


def node_ref(node: NodeInfo, command: str = "") -> HostRef:
    return HostRef(
        label=f"{node.host_name} (node {node.position})", host_name=node.host_name, node_id=node.id, command=command
    )


def server_ref(server: ServerInfo, command: str = "") -> HostRef:
    if server.clustered:
        first = server.nodes[0]
        return HostRef(
            label=f"{server.name}: node running package {server.package_name}",
            host_name=first.host_name,
            node_id=first.id,
            resolve="package_owner",
            package=server.package_name,
            candidate_node_ids=tuple(n.id for n in server.nodes),
            command=command,
        )
    return HostRef(
        label=f"{server.name} (standalone)", host_name=server.host_name, server_id=server.id, command=command
    )


def targets(r: R, step: Step) -> list:
    """NodeInfo / ServerInfo values the step acts on; [] for console and confirm steps."""
    if step.kind in ("console", "confirm"):
        return []
    where = step.run_on or step.target
    ctx = r.ctx
    if where == Target.NODE1:
        return [ctx.node1]
    if where == Target.NODE2:
        return [ctx.node2]
    if where == Target.BOTH:
        return [ctx.node1, ctx.node2]
    if where == Target.MASTER:
        master = ctx.master
        if master is None:
            raise CatalogError(f"Domain {ctx.domain_name} has no master management server in the inventory.")
        return [ctx.node1] if master.id == ctx.server.id else [master]
    if where == Target.MAIL_SERVERS:
        return [s for s in ctx.others() if s.uses_mail_server]
    if where == Target.ADDRESS_SERVERS:
        return [s for s in ctx.others() if s.role == "address"]
    raise CatalogError(f"Step {step.key}: target {where} has no host to run on.")


def host_ref(item, command: str) -> HostRef:
    return node_ref(item, command) if isinstance(item, NodeInfo) else server_ref(item, command)


# --- options and conditions ---------------------------------------------------------------------------------


def resolve_options(ctx: Context, procedure: Procedure, options: dict | None, *, validate: bool = True) -> dict:
    """The plan's options: inventory facts (not changeable here) and the operator's choices, validated."""
    options = dict(options or {})
    result = {
        "mail_server": ctx.server.uses_mail_server,
        "replication_option": ctx.server.replication_option,
        "standby_lan": ctx.standby_lan,
    }
    if "db_files_precreated" in procedure.options:
        result["db_files_precreated"] = bool(options.get("db_files_precreated", False))
    if "previous_database_directory" in procedure.options:
        previous = options.get("previous_database_directory") or ctx.database_directory
        if validate:
            _check_previous(previous)
        result["previous_database_directory"] = previous
        result["database_directory_renamed"] = previous.rstrip("/") != ctx.database_directory.rstrip("/")
        result["migration_path"] = False
    return result


def _check_previous(previous: str) -> None:
    """The database directory before (2): an absolute path that is neither / nor /var/opt/GroupMail."""
    if not isinstance(previous, str):
        raise CatalogError(f"previous_database_directory: {previous!r} is not a path.")
    try:
        v.validate_absolute_path(previous)
    except ValidationError as exc:
        raise CatalogError(f"previous_database_directory: {previous!r} is not an absolute path.") from exc
    if previous.rstrip("/") in ("", GROUPMAIL):
        raise CatalogError("previous_database_directory cannot be / or /var/opt/GroupMail.")


def holds(condition: str, options: dict) -> bool:
    option, wanted, _why = CONDITIONS[condition]
    return bool(options.get(option, False)) == wanted


# --- the plan -----------------------------------------------------------------------------------------------


def display_values(ctx: Context) -> dict[str, str]:
    return {
        "package_host": ctx.package_host,
        "package": ctx.package,
        "node1_host": ctx.node1.host_name,
        "node2_host": ctx.node2.host_name,
        "server_name": ctx.server.name,
        "vg": ctx.vg,
        "site_name": ctx.site_name,
        "domain_name": ctx.domain_name,
    }


def _omission(step: Step, because: dict[str, str]) -> dict:
    return {"key": step.key, "seed_ids": list(step.seed_ids), "title": step.title, "because": because}


def render_context(
    ctx: Context,
    procedure_code: str,
    options: dict | None = None,
    *,
    settings: dict | None = None,
    validate: bool = True,
) -> Plan:
    from procedures.catalog import get_procedure

    procedure = get_procedure(procedure_code)
    if procedure.server_role and ctx.server.role != procedure.server_role:
        raise CatalogError(
            f"{procedure.code} sets up a {procedure.server_role} server; {ctx.server.name} is a {ctx.server.role} "
            "server in the inventory."
        )
    settings = settings if settings is not None else settings_registry.defaults()
    opts = resolve_options(ctx, procedure, options, validate=validate)
    r = R(ctx, procedure, settings, opts, validate)
    shown = display_values(ctx)
    steps, omitted = [], []
    for step in procedure.steps:
        failed = [c for c in step.conditions if not holds(c, opts)]
        if failed:
            omitted.append(_omission(step, step.omitted_because or CONDITIONS[failed[0]][2]))
            continue
        items = targets(r, step)
        if (
            step.target in (Target.MAIL_SERVERS, Target.ADDRESS_SERVERS)
            and step.kind not in ("console", "confirm")
            and not items
        ):
            omitted.append(
                _omission(
                    step,
                    text("ドメインにほかの対象サーバがありません。", "The domain has no other server of this kind."),
                )
            )
            continue
        hosts = tuple(host_ref(item, ACTIONS[step.action](r, step) if step.action else "") for item in items)
        locks_master = step.locks_master and bool(ctx.master) and ctx.master.id != ctx.server.id
        steps.append(
            PlannedStep(
                key=step.key,
                seed_ids=step.seed_ids,
                kind=step.kind,
                target=step.target,
                title=step.title,
                instruction=step.instruction,
                hosts=hosts,
                checklist=tuple(
                    ChecklistItem(c.key, c.label, c.expected.format(**shown) if c.expected else "")
                    for c in step.checklist
                ),
                success=success_rule(r, step),
                timeout_s=step.timeout_s,
                rerunnable=step.rerunnable,
                needs_signoff=step.needs_signoff,
                conditions=step.conditions,
                deviation=step.deviation,
                artefacts=step_artefacts(r, step, hosts),
                locks_master=locks_master,
                domain_duty=step.domain_duty,
            )
        )
    return Plan(
        procedure=procedure.code,
        version=procedure.version,
        title=procedure.title,
        cluster_id=ctx.cluster_id,
        cluster_name=ctx.cluster_name,
        options=opts,
        steps=tuple(steps),
        omitted=tuple(omitted),
    )


def render_plan(cluster, procedure_code: str, options: dict | None = None, *, settings: dict | None = None) -> Plan:
    """The plan of ``procedure_code`` ("k5-1a", "k5-1b", "k5-2") for ``cluster``, with the site's command lines."""
    ctx = from_cluster(cluster)
    if settings is None:
        settings = settings_registry.for_site(cluster.server.domain.site)
    return render_context(ctx, procedure_code, options, settings=settings)
