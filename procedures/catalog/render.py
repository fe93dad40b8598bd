"""Render a catalog procedure against one cluster of the inventory: the ``Plan`` an operator reads first.

``render_plan(cluster, procedure_code, options)`` is the entry point (re-exported as
``procedures.catalog.render_plan``). For each step it picks the hosts, looks the step's action up in
``actions.ACTIONS`` for its command, success rule and generated files, and leaves out what the options rule
out. Every inventory value that reaches a command passes the inventory's validators (``context.validate``)
and is then ``shlex.quote``d; a test renders arbitrary strings with ``validate=False`` to prove the quoting
alone keeps each one a single word.
"""

from __future__ import annotations

from procedures.catalog import commands as site_commands
from procedures.catalog.actions import ACTIONS, Rendering
from procedures.catalog.base import CONDITIONS, Step, Target, text
from procedures.catalog.context import CatalogError, Context, NodeInfo, ServerInfo, from_cluster
from procedures.catalog.options import holds, resolve_options
from procedures.catalog.procedures import get_procedure
from procedures.plan import (
    ChecklistItem,
    HostRef,
    Plan,
    PlannedStep,
    SuccessRule,
    node_label,
    package_owner_label,
    standalone_label,
)

# --- hosts --------------------------------------------------------------------------------------------------


def node_ref(node: NodeInfo, command: str = "") -> HostRef:
    return HostRef(
        label=node_label(node.host_name, node.position), host_name=node.host_name, node_id=node.id, command=command
    )


def server_ref(server: ServerInfo, command: str = "") -> HostRef:
    if server.clustered:
        first = server.nodes[0]
        return HostRef(
            label=package_owner_label(server.name, server.package_name),
            host_name=first.host_name,
            node_id=first.id,
            resolve="package_owner",
            package=server.package_name,
            candidate_node_ids=tuple(n.id for n in server.nodes),
            command=command,
        )
    return HostRef(
        label=standalone_label(server.name), host_name=server.host_name, server_id=server.id, command=command
    )


def targets(context: Context, step: Step) -> list:
    """NodeInfo / ServerInfo values the step acts on; [] for console and confirm steps."""
    if step.kind in ("console", "confirm"):
        return []
    where = step.run_on or step.target
    if where == Target.NODE1:
        return [context.node1]
    if where == Target.NODE2:
        return [context.node2]
    if where == Target.BOTH:
        return [context.node1, context.node2]
    if where == Target.MASTER:
        master = context.master
        if master is None:
            raise CatalogError(f"Domain {context.domain_name} has no master management server in the inventory.")
        return [context.node1] if master.id == context.server.id else [master]
    if where == Target.MAIL_SERVERS:
        return [s for s in context.others() if s.uses_mail_server]
    if where == Target.ADDRESS_SERVERS:
        return [s for s in context.others() if s.role == "address"]
    raise CatalogError(f"Step {step.key}: target {where} has no host to run on.")


def host_ref(item, command: str) -> HostRef:
    return node_ref(item, command) if isinstance(item, NodeInfo) else server_ref(item, command)


# --- the plan -----------------------------------------------------------------------------------------------


def display_values(context: Context) -> dict[str, str]:
    return {
        "package_host": context.package_host,
        "package": context.package,
        "node1_host": context.node1.host_name,
        "node2_host": context.node2.host_name,
        "server_name": context.server.name,
        "vg": context.vg,
        "site_name": context.site_name,
        "domain_name": context.domain_name,
    }


def _omission(step: Step, because: dict[str, str]) -> dict:
    return {"key": step.key, "seed_ids": list(step.seed_ids), "title": step.title, "because": because}


def _planned_step(rendering: Rendering, step: Step, items: list, shown: dict[str, str]) -> PlannedStep:
    """One step as the plan holds it: its action's command on each host, its success rule and files."""
    action = ACTIONS[step.action] if step.action else None
    hosts = tuple(host_ref(item, action.command(rendering, step) if action else "") for item in items)
    context = rendering.context
    return PlannedStep(
        key=step.key,
        seed_ids=step.seed_ids,
        kind=step.kind,
        target=step.target,
        title=step.title,
        instruction=step.instruction,
        hosts=hosts,
        checklist=tuple(
            ChecklistItem(c.key, c.label, c.expected.format(**shown) if c.expected else "") for c in step.checklist
        ),
        success=action.success(rendering, step) if action else SuccessRule(),
        timeout_s=step.timeout_s,
        rerunnable=step.rerunnable,
        needs_signoff=step.needs_signoff,
        four_eyes=step.four_eyes,
        conditions=step.conditions,
        deviation=step.deviation,
        artefacts=action.artefacts(rendering, step, ", ".join(h.label for h in hosts)) if action else (),
        locks_master=step.locks_master and bool(context.master) and context.master.id != context.server.id,
        domain_duty=step.domain_duty,
    )


def render_context(
    context: Context,
    procedure_code: str,
    options: dict | None = None,
    *,
    commands: dict | None = None,
    validate: bool = True,
) -> Plan:
    """The plan of ``procedure_code`` for an inventory snapshot, with ``commands`` (default: the catalog's lines)."""
    procedure = get_procedure(procedure_code)
    if not procedure.fits(context.server.role):
        raise CatalogError(
            f"{procedure.code} sets up a {procedure.server_role} server; {context.server.name} is a "
            f"{context.server.role} server in the inventory."
        )
    commands = commands if commands is not None else site_commands.defaults()
    resolved = resolve_options(context, procedure, options, validate=validate)
    rendering = Rendering(context, procedure, commands, resolved, validate)
    shown = display_values(context)
    steps, omitted = [], []
    for step in procedure.steps:
        failed = [c for c in step.conditions if not holds(c, resolved)]
        if failed:
            omitted.append(_omission(step, step.omitted_because or CONDITIONS[failed[0]][2]))
            continue
        items = targets(context, step)
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
        steps.append(_planned_step(rendering, step, items, shown))
    return Plan(
        procedure=procedure.code,
        version=procedure.version,
        title=procedure.title,
        cluster_id=context.cluster_id,
        cluster_name=context.cluster_name,
        options=resolved,
        steps=tuple(steps),
        omitted=tuple(omitted),
    )


def render_plan(cluster, procedure_code: str, options: dict | None = None, *, commands: dict | None = None) -> Plan:
    """The plan of ``procedure_code`` ("k5-1a", "k5-1b", "k5-2") for ``cluster``, with the site's command lines.

    A site whose stored command lines are broken raises ``procedures.exceptions.SiteCommandsBroken``.
    """
    context = from_cluster(cluster)
    if commands is None:
        commands = site_commands.for_site(cluster.server.domain.site)
    return render_context(context, procedure_code, options, commands=commands)
