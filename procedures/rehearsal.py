"""Rehearsals: the same plan, run first on a lab cluster shaped like the target, and the rule that asks for one.

A rehearsal is an ordinary run on a lab cluster (same package, volume group, mount points and server; the
lab's own addresses), planned from the same catalog version with the same options, whose generated files are
the target's files with the lab's names and addresses. It keeps the digest of the real plan it rehearses
(``ProcedureRun.rehearsal_of``) and the target cluster, so the later real run of that plan finds it, and a
domain's ``RehearsalRule`` can refuse approving a real run of a procedure until such a rehearsal succeeded.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from clusters.models import Cluster
from procedures import exceptions as exc
from procedures.catalog import get_procedure
from procedures.catalog.context import from_cluster
from procedures.choices import RunState
from procedures.models import ProcedureRun, RehearsalRule
from procedures.plan import Plan
from procedures.texts import localised

SUCCESSFUL = (RunState.COMPLETED, RunState.SIGNED_OFF)


def _shape(cluster: Cluster) -> tuple:
    server = cluster.server
    return (
        cluster.package_name,
        cluster.package_host,
        cluster.volume_group,
        cluster.database_directory,
        cluster.control_script_path,
        tuple(cluster.filesystems.values_list("logical_volume", "mount_point")),
        server.role,
        server.schema_name,
        server.uses_mail_server,
        server.replication_option,
    )


def lab_twin(cluster: Cluster, candidates) -> Cluster:
    """The lab cluster among ``candidates`` (the ones the person may plan on) shaped like ``cluster``."""
    if cluster.server.domain.site.is_lab:
        raise exc.RehearsalUnavailable(detail=_("{cluster} is a lab cluster already.").format(cluster=cluster.name))
    wanted = _shape(cluster)
    lab = candidates.filter(server__domain__site__is_lab=True, package_name=cluster.package_name).exclude(pk=cluster.pk)
    for twin in lab.select_related("server__domain__site").order_by("pk"):
        if _shape(twin) == wanted:
            return twin
    raise exc.RehearsalUnavailable(
        detail=_(
            "no lab cluster is shaped like {cluster} (package {package}, volume group {vg}, the same mount points "
            "and server)."
        ).format(cluster=cluster.name, package=cluster.package_name, vg=cluster.volume_group)
    )


def _names(cluster: Cluster) -> dict[str, str]:
    """What differs between a cluster and its lab twin on purpose: names and addresses."""
    context = from_cluster(cluster)
    values = {"cluster": context.cluster_name, "ip": context.package_ip, "subnet": context.package_subnet}
    for node in context.nodes:
        values[f"node{node.position}"] = node.host_name
        for i, ip in enumerate(node.local_ips):
            values[f"node{node.position}ip{i}"] = ip
    return values


def refuse_different(target: Plan, target_cluster: Cluster, rehearsal: Plan, twin: Cluster) -> None:
    """The rehearsal must be the same plan: catalog version, options and generated files (lab names aside)."""
    if (target.procedure, target.version) != (rehearsal.procedure, rehearsal.version):
        raise exc.RehearsalUnavailable(detail=_("the catalog versions differ."))
    if target.options != rehearsal.options:
        raise exc.RehearsalUnavailable(detail=_("the plan's options differ on the lab cluster."))
    ours, theirs = _names(target_cluster), _names(twin)
    mapping = sorted(((ours[k], theirs.get(k, ours[k])) for k in ours), key=lambda pair: -len(pair[0]))

    def as_lab(text: str) -> str:
        for name, lab_name in mapping:
            text = text.replace(name, f"\0{lab_name}\0")
        return text.replace("\0", "")

    files = [(f.path, as_lab(f.content)) for s in target.steps for f in s.artefacts]
    lab_files = [(f.path, f.content) for s in rehearsal.steps for f in s.artefacts]
    for (path, content), (lab_path, lab_content) in zip(files, lab_files, strict=False):
        if path != lab_path or content != lab_content:
            raise exc.RehearsalUnavailable(
                detail=_("the generated file {path} would differ on the lab cluster.").format(path=path)
            )
    if len(files) != len(lab_files):
        raise exc.RehearsalUnavailable(detail=_("the lab plan generates other files."))


def rehearsals_of(run: ProcedureRun):
    """The rehearsals of this real run's plan (same digest, for its cluster), newest first."""
    if run.is_rehearsal:
        return ProcedureRun.objects.none()
    return ProcedureRun.objects.filter(rehearsal_of=run.plan_digest, rehearsal_for=run.cluster_id).order_by("-pk")


def real_runs_of(rehearsal: ProcedureRun):
    """The real runs of the plan a rehearsal rehearsed, newest first."""
    if not rehearsal.is_rehearsal:
        return ProcedureRun.objects.none()
    return ProcedureRun.objects.filter(
        plan_digest=rehearsal.rehearsal_of, cluster=rehearsal.rehearsal_for_id, rehearsal_of=""
    ).order_by("-pk")


def summary(rehearsal: ProcedureRun) -> str:
    """ "rehearsed on <date>, by <whom>, <outcome>": one line for the run pages and the change record."""
    when = rehearsal.finished_at or rehearsal.started_at or rehearsal.created_at
    who = rehearsal.started_by or rehearsal.planned_by
    return _("rehearsed on {date}, by {who}, {outcome}").format(
        date=when.strftime("%Y-%m-%d"), who=who.get_username(), outcome=rehearsal.get_state_display()
    )


def rule_for(run: ProcedureRun) -> RehearsalRule | None:
    domain = run.cluster.domain
    if run.is_rehearsal or domain is None:
        return None
    return RehearsalRule.objects.filter(domain=domain, procedure=run.procedure).first()


def refuse_unrehearsed(run: ProcedureRun) -> None:
    """Refuse approving a real run that its domain's rule says must be rehearsed, without a successful rehearsal."""
    rule = rule_for(run)
    if rule is None or rehearsals_of(run).filter(state__in=SUCCESSFUL).exists():
        return
    raise exc.RehearsalRequired(
        domain=run.cluster.domain.name,
        rule=_("rehearse {procedure} on the lab before a real run").format(
            procedure=localised(get_procedure(run.procedure).title)
        ),
        digest=run.plan_digest[:12],
    )
