"""Every change of a run or a step goes through a function here.

Each service locks what it changes (``select_for_update``; on SQLite the IMMEDIATE transaction does the
same), checks who may act and in which state, applies one FSM transition, saves it, records a
``RunEvent`` and hands work on only after commit (``dispatch.enqueue_step``). Views, the admin, workers,
the reaper and tests all call these functions; nothing else changes a run's or step's state.

Lock order, always: run row, then step row, then server locks (in the order of the servers' keys).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters.choices import DomainRoleName
from clusters.models import Cluster, GroupmaxServer
from clusters.querysets import domains_where
from clusters.rules import has_role
from procedures import exceptions as exc
from procedures import hostkeys, rehearsal, signoff
from procedures.catalog import render_plan
from procedures.choices import HostState, Resolution, RunState, StepState, Stream, Verdict, WaitReason
from procedures.execution import dispatch
from procedures.live import emitter
from procedures.models import ProcedureRun, RunEvent, RunLogLine, ServerLock, StepHostResult, StepRun
from procedures.models.evidence import ConsoleScreenshot, inspect_screenshot
from procedures.models.logs import store_lines
from procedures.plan import Kind, Plan, host_message
from procedures.signoff import Decision
from procedures.texts import message as stored
from procedures.texts import render_message

SYSTEM = "portal"
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- helpers


def _publish(run_id: int, step_id: int | None) -> None:
    try:
        emitter.publish_step(step_id) if step_id else emitter.publish_run(run_id)
    except Exception:  # viewers re-read the database; a failed push must never undo a transition
        log.warning("push of run %s failed", run_id, exc_info=True)


def _record(run, action, source, target, *, step=None, by=None, label="", reason="", address=None, **details):
    """Append the event; once committed, tell live viewers (never inside the transaction)."""
    if source != target:
        transaction.on_commit(partial(_publish, run.pk, step.pk if step else None))
    return RunEvent.objects.create(
        run=run,
        step=step,
        action=action,
        source=source or "",
        target=target or "",
        actor=by if getattr(by, "pk", None) else None,
        actor_label=label if not getattr(by, "pk", None) else "",
        reason=reason or "",
        address=address or None,
        details=details,
    )


def _transit(run: ProcedureRun, transition, *, args: dict | None = None, action: str = "", **record) -> RunEvent:
    """Apply one FSM transition of the run or of one of its steps, save it and record it as an event.

    ``transition`` is the bound method (``step.skip``); ``args`` go to it, ``record`` to the event.
    """
    obj = transition.__self__
    source = obj.state
    transition(**(args or {}))
    obj.save()
    if obj is not run:
        record.setdefault("step", obj)
    return _record(run, action or transition.__name__, source, obj.state, **record)


def _require(user, run: ProcedureRun, role: str) -> None:
    domain = run.cluster.domain
    if not has_role(user, domain, role):
        raise exc.NotAllowed(domain=domain or run.cluster)


def _lock_run(run_id: int) -> ProcedureRun:
    return ProcedureRun.objects.select_for_update().select_related("cluster").get(pk=run_id)


def _lock_step(step_id: int) -> tuple[ProcedureRun, StepRun]:
    run_id = StepRun.objects.values_list("run_id", flat=True).get(pk=step_id)
    run = _lock_run(run_id)
    step = StepRun.objects.select_for_update().get(pk=step_id)
    step.run = run
    return run, step


def _run_conflict(run, action):
    return exc.RunStateConflict(run=run.pk, state=run.get_state_display(), action=action)


def _require_active(run, action) -> None:
    """A step of a run that ended (aborted, completed) keeps the record it ended with."""
    if run.state not in RunState.ACTIVE:
        raise _run_conflict(run, action)


def _step_conflict(step, action):
    return exc.StepStateConflict(step=step.position, state=step.get_state_display(), action=action)


def system_line(run_id: int, text: str, *, step_id=None, attempt=0, host="") -> None:
    """One portal-written line in the run's log (outside any state transaction's outcome)."""
    for _try in range(5):
        seq = RunLogLine.objects.last_seq(run_id) + 1
        try:
            with transaction.atomic():
                store_lines([(run_id, step_id, attempt, host, seq, Stream.SYSTEM, text, timezone.now())])
            return
        except IntegrityError:
            continue


# ---------------------------------------------------------------- server locks


def _holder_text(lock: ServerLock) -> str:
    run = lock.run
    who = run.started_by.get_username() if run.started_by_id else "?"
    return f"{run.procedure}, {who}"


def _server_text(server: GroupmaxServer) -> str:
    if server.cluster_id:
        return _("Server {server} (cluster {cluster})").format(server=server.name, cluster=server.cluster.name)
    return _("Standalone server {server} ({host})").format(server=server.name, host=server.host_name)


def servers_touched(run: ProcedureRun) -> list[GroupmaxServer]:
    """Every Groupmax server the run can act on, read from the inventory now, in the order of their keys.

    The run's own cluster; each host of every step (a node stands for its cluster's server; fan-out steps
    name other servers' nodes and standalone hosts); the candidates of a package-owner step; and the domain's
    master for a step that edits it (which server is master is read now, like the locks themselves).
    """
    node_ids, server_ids = set(), set()
    for step in run.plan_object.steps:
        for ref in step.hosts:
            node_ids.update(i for i in (ref.node_id, *ref.candidate_node_ids) if i)
            if ref.server_id:
                server_ids.add(ref.server_id)
        if step.locks_master:
            master = run.cluster.domain.master if run.cluster.domain else None
            if master is not None:
                server_ids.add(master.pk)
    touched = Q(pk__in=server_ids) | Q(cluster__nodes__in=node_ids) | Q(cluster=run.cluster_id)
    return list(GroupmaxServer.objects.filter(touched).select_related("cluster").distinct().order_by("pk"))


def _acquire_all(run: ProcedureRun) -> None:
    """Hold every server the run touches, or none: refused (naming the server and the holder) if one is held."""
    for server in servers_touched(run):
        held = ServerLock.objects.select_related("run__started_by").filter(server=server).first()
        if held and held.run_id == run.pk:
            continue
        if held is None:
            try:
                with transaction.atomic():
                    ServerLock.objects.create(server=server, run=run)
                continue
            except IntegrityError:  # another run took it between the look and the insert
                held = ServerLock.objects.select_related("run__started_by").filter(server=server).first()
        raise exc.ServerBusy(
            server=_server_text(server), run=held.run_id if held else "?", holder=_holder_text(held) if held else "?"
        )


def _release(run: ProcedureRun) -> None:
    ServerLock.objects.filter(run=run).delete()


# ---------------------------------------------------------------- planning


def plan_run(cluster_id: int, procedure: str, options: dict | None = None, *, user, address=None) -> ProcedureRun:
    """Render the catalog's plan for a cluster and keep it as a new planned run."""
    cluster = Cluster.objects.select_related("server__domain").get(pk=cluster_id)
    if not has_role(user, cluster.domain, DomainRoleName.OPERATOR):
        raise exc.NotAllowed(domain=cluster.domain or cluster)
    try:
        plan = render_plan(cluster, procedure, options or {})
    except exc.PortalError:
        raise
    except (ValueError, KeyError, LookupError) as e:
        raise exc.PlanUnavailable(detail=str(e)) from e
    return create_run(cluster, plan, user=user, address=address)


def create_run(cluster: Cluster, plan: Plan, *, user, address=None) -> ProcedureRun:
    """A planned run that keeps ``plan`` as its snapshot; one StepRun per planned step."""
    if not has_role(user, cluster.domain, DomainRoleName.OPERATOR):
        raise exc.NotAllowed(domain=cluster.domain or cluster)
    if plan.cluster_id != cluster.pk:
        raise exc.PlanUnavailable(detail=_("the plan was rendered for another cluster."))
    if not plan.steps:
        raise exc.PlanUnavailable(detail=_("the plan has no steps."))
    snapshot = json.loads(json.dumps(plan.as_json(), ensure_ascii=False))  # exactly what the database returns
    with transaction.atomic():
        run = ProcedureRun.objects.create(
            cluster=cluster, procedure=plan.procedure, plan=snapshot, plan_digest=plan.digest, planned_by=user
        )
        StepRun.objects.bulk_create(
            StepRun(run=run, position=i, key=s.key, kind=s.kind) for i, s in enumerate(plan.steps, start=1)
        )
        _record(run, "plan", "", RunState.PLANNED, by=user, address=address, digest=plan.digest)
    return run


def plan_rehearsal(cluster_id: int, procedure: str, options: dict | None = None, *, user, address=None) -> ProcedureRun:
    """ "Rehearse on the lab": the same plan against the lab cluster shaped like ``cluster_id``, as a planned run.

    Same catalog version, options and generated files (the lab's names and addresses aside); the rehearsal keeps
    the real plan's digest, so the later real run of that plan shows it and a domain's rule can ask for it.
    """
    cluster = Cluster.objects.select_related("server__domain__site").get(pk=cluster_id)
    if not has_role(user, cluster.domain, DomainRoleName.OPERATOR):
        raise exc.NotAllowed(domain=cluster.domain or cluster)
    try:
        target = render_plan(cluster, procedure, options or {})
        twin = rehearsal.lab_twin(
            cluster, Cluster.objects.filter(server__domain__in=domains_where(user, DomainRoleName.OPERATOR))
        )
        plan = render_plan(twin, procedure, options or {})
    except exc.PortalError:
        raise
    except (ValueError, KeyError, LookupError) as e:
        raise exc.PlanUnavailable(detail=str(e)) from e
    rehearsal.refuse_different(target, cluster, plan, twin)
    with transaction.atomic():
        run = create_run(twin, plan, user=user, address=address)
        run.rehearsal_of, run.rehearsal_for = target.digest, cluster
        run.save(update_fields=["rehearsal_of", "rehearsal_for"])
        _record(
            run, "rehearsal", run.state, run.state, by=user, address=address, of=target.digest, for_cluster=cluster.name
        )
    return run


# ---------------------------------------------------------------- run transitions


def approve_run(run_id: int, *, user, address=None, note: str = "") -> ProcedureRun:
    with transaction.atomic():
        run = _lock_run(run_id)
        signoff.refuse_role(Decision.APPROVE_RUN, user, run)
        if run.state == RunState.APPROVED and run.approved_by_id:
            raise _already(_("The plan of run {n}").format(n=run.pk), run.approved_by)
        if run.state != RunState.PLANNED:
            raise _run_conflict(run, _("approved"))
        signoff.refuse_involved(Decision.APPROVE_RUN, user, run)
        rehearsal.refuse_unrehearsed(run)
        _transit(run, run.approve, args={"by": user}, by=user, reason=note, address=address)
    return run


def start_run(run_id: int, *, user, address=None) -> ProcedureRun:
    """Approved → running: takes every server the run touches (refused clearly if another run holds one).

    The servers stay held until the run ends (completed or aborted), so no other run acts on them between two
    of its steps, or after a retry.
    """
    with transaction.atomic():
        run = _lock_run(run_id)
        _require(user, run, DomainRoleName.OPERATOR)
        if run.state != RunState.APPROVED:
            raise _run_conflict(run, _("started"))
        other = ProcedureRun.objects.active().filter(cluster=run.cluster).exclude(pk=run.pk).first()
        if other:
            raise exc.ClusterBusy(cluster=run.cluster.name, run=other.pk, holder=other.procedure)
        _acquire_all(run)
        source = run.state
        run.start(by=user)
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            other = ProcedureRun.objects.active().filter(cluster=run.cluster).exclude(pk=run.pk).first()
            raise exc.ClusterBusy(
                cluster=run.cluster.name, run=other.pk if other else "?", holder=other.procedure if other else "?"
            ) from None
        _record(run, "start", source, run.state, by=user, address=address)
        _advance(run, by=user)
    return run


def _wait(run: ProcedureRun, reason: str, message: str = "", *, by=None, label=SYSTEM) -> None:
    if run.state == RunState.WAITING:
        run.wait_reason, run.wait_message = reason, message
        run.save(update_fields=["wait_reason", "wait_message"])
        return
    _transit(
        run, run.wait, args={"reason": reason, "message": message}, by=by, label=label, reason=message,
        wait_reason=reason,
    )  # fmt: skip


def _resume(run: ProcedureRun, *, by=None, address=None) -> None:
    if run.state == RunState.WAITING:
        _transit(run, run.resume, by=by, label=SYSTEM, address=address)


def _advance(run: ProcedureRun, *, by=None, address=None) -> None:
    """The run is running: start, or wait for, the first step that is not finished; complete at the end."""
    if run.state != RunState.RUNNING:
        return
    for step in StepRun.objects.select_for_update().filter(run=run).order_by("position"):
        step.run = run
        if step.state in StepState.FINISHED:
            continue
        if step.state == StepState.RUNNING:
            return
        if step.state == StepState.PENDING and step.kind in Kind.EXECUTED:
            try:
                _start_step(run, step, by=by, address=address)
            except exc.HostKeyChangeOpen as e:
                if getattr(by, "pk", None):
                    raise  # a person's start, continue or retry: refused, and told why
                _wait(run, WaitReason.OPERATOR, str(e))
            return
        if step.state == StepState.PENDING:
            _transit(run, step.ask_confirmation, label=SYSTEM)
            _wait(
                run,
                WaitReason.OPERATOR,
                stored(gettext_noop("Step {n} is done at the console and confirmed here."), n=step.position),
            )
            return
        if step.state == StepState.AWAITING_CONFIRMATION:
            _wait(run, WaitReason.OPERATOR)
        elif step.state == StepState.AWAITING_APPROVAL:
            _wait(run, WaitReason.APPROVAL)
        elif step.state == StepState.AWAITING_SIGNOFF:
            _wait(run, WaitReason.SIGNOFF)
        else:
            _wait(run, WaitReason.FAILURE, step.message)
        return
    _release(run)
    _transit(run, run.complete, label=SYSTEM)


def _start_step(run: ProcedureRun, step: StepRun, *, by=None, address=None) -> None:
    """Send the step's command, or, for a four-eyes step, first ask an approver (``approve_step``)."""
    hostkeys.refuse_changed_hosts(step.planned.hosts)  # a new host key not pinned by two people: nothing starts
    executor = by if getattr(by, "pk", None) else run.started_by  # a step started by the run: its starter
    if step.needs_signoff:
        planned = step.planned
        _transit(
            run, step.ask_approval, args={"by": executor}, by=by, label=SYSTEM, address=address,
            hosts=[ref.label for ref in planned.hosts], commands=[ref.command for ref in planned.hosts],
        )  # fmt: skip
        _wait(
            run,
            WaitReason.APPROVAL,
            stored(
                gettext_noop("Step {n} waits for an approver; nothing is sent to its hosts before the approval."),
                n=step.position,
            ),
        )
        return
    _transit(
        run, step.start, args={"by": executor}, action="start" if step.attempt == 0 else "retry", by=by,
        label=SYSTEM, address=address, attempt=step.attempt + 1,
    )  # fmt: skip
    dispatch.enqueue_step(step.pk, step.attempt)


def approve_step(step_id: int, *, user, verdict: str = Verdict.APPROVE, note: str = "", address=None) -> StepRun:
    """An approver's decision on a four-eyes step's exact commands and hosts, before anything is sent.

    Approved, the step starts (run by the person it was asked for); rejected (with a reason), it fails and the
    run waits for a person. Who may decide is ``signoff``'s rule ``APPROVE_STEP``: not the planner, not who will
    run it.
    """
    with transaction.atomic():
        run, step = _lock_step(step_id)
        signoff.refuse_role(Decision.APPROVE_STEP, user, step)
        if step.state != StepState.AWAITING_APPROVAL:
            if step.approved_by_id and step.state == StepState.RUNNING:
                raise _already_signed(Decision.APPROVE_STEP, step, step.approved_by)
            if step.rejected_by_id and step.state == StepState.FAILED:
                raise _already(_("Step {n}").format(n=step.position), step.rejected_by)
            raise _step_conflict(step, _("approved"))
        _require_active(run, _("approved"))
        if verdict not in Verdict.values:
            raise exc.UnknownVerdict(verdict=verdict)
        signoff.refuse_involved(Decision.APPROVE_STEP, user, step)
        if verdict == Verdict.REJECT and not note.strip():
            raise exc.ReasonRequired()
        commands = [ref.command for ref in step.planned.hosts]
        if verdict == Verdict.APPROVE and not signoff.sign(Decision.APPROVE_STEP, user, step):
            _signature(run, Decision.APPROVE_STEP, step, user=user, address=address, note=note, commands=commands)
            return step
        if verdict == Verdict.REJECT:
            _transit(run, step.reject_command, args={"by": user, "note": note}, action="command_reject", by=user,
                     reason=note, address=address, commands=commands, digest=run.plan_digest)  # fmt: skip
            _wait(run, WaitReason.FAILURE, note)
            return step
        hostkeys.refuse_changed_hosts(step.planned.hosts)  # changed while it waited: nothing is sent
        _transit(
            run, step.approve_command, args={"by": user}, action="command_approve", by=user, reason=note,
            address=address, attempt=step.attempt, commands=commands, digest=run.plan_digest,
        )  # fmt: skip
        _resume(run, by=user, address=address)
        dispatch.enqueue_step(step.pk, step.attempt)
    return step


def current_step(steps) -> StepRun | None:
    """The first step (in order) that is not finished: where the run is, or waits."""
    return next((step for step in steps if step.state not in StepState.FINISHED), None)


def may_continue(run: ProcedureRun, steps) -> bool:
    """A run waits for nothing but a person's go (e.g. after a busy master): its next step has not started.

    A run waiting at a console step, a sign-off or a failure has nothing to continue; the button is not offered
    and the service refuses it, so "Continue" never reports a change that did not happen.
    """
    if run.state != RunState.WAITING or run.wait_reason != WaitReason.OPERATOR:
        return False
    step = current_step(steps)
    return step is not None and step.state == StepState.PENDING


def resume_run(run_id: int, *, user, address=None) -> ProcedureRun:
    """An operator continues a run that waits for nothing but a person's go (``may_continue``)."""
    with transaction.atomic():
        run = _lock_run(run_id)
        _require(user, run, DomainRoleName.OPERATOR)
        if not may_continue(run, run.steps.order_by("position")):
            raise _run_conflict(run, _("continued"))
        _resume(run, by=user, address=address)
        _advance(run, by=user, address=address)
    return run


def sign_off_run(run_id: int, *, user, address=None, note: str = "") -> ProcedureRun:
    with transaction.atomic():
        run = _lock_run(run_id)
        signoff.refuse_role(Decision.CLOSE_RUN, user, run)
        if run.state == RunState.SIGNED_OFF:
            raise _already_signed(Decision.CLOSE_RUN, run, run.signed_off_by)
        if run.state != RunState.COMPLETED:
            raise _run_conflict(run, _("signed off"))
        signoff.refuse_involved(Decision.CLOSE_RUN, user, run)
        if not signoff.sign(Decision.CLOSE_RUN, user, run):
            _signature(run, Decision.CLOSE_RUN, run, user=user, address=address, note=note)
            return run
        _transit(run, run.sign_off, args={"by": user}, by=user, reason=note, address=address)
    return run


def abort_run(run_id: int, *, user, reason: str, address=None) -> ProcedureRun:
    """Abort the run. A running step's remote process group is killed first by its worker; then the run ends."""
    if not (reason or "").strip():
        raise exc.ReasonRequired()
    with transaction.atomic():
        run = _lock_run(run_id)
        _require(user, run, DomainRoleName.OPERATOR)
        if run.state not in RunState.ABORTABLE:
            raise _run_conflict(run, _("aborted"))
        running = run.steps.select_for_update().filter(state=StepState.RUNNING).first()
        ended = None
        if running is not None:
            now = timezone.now()
            run.abort_requested_at, run.abort_reason, run.aborted_by = now, reason, user
            run.save(update_fields=["abort_requested_at", "abort_reason", "aborted_by"])
            running.abort_requested_at, running.abort_requested_by = now, user
            running.save(update_fields=["abort_requested_at", "abort_requested_by"])
            _record(run, "abort_requested", run.state, run.state, step=running, by=user, reason=reason, address=address)
            if worker_alive(running):
                return run  # its worker kills the remote process group, then ends the run (finish_step)
            ended = _interrupt(run, running, _no_worker_message(running), label=SYSTEM)
        else:
            _abort_now(run, by=user, reason=reason, address=address)
    if ended:
        system_line(run.pk, ended, step_id=running.pk, attempt=running.attempt)
    return run


def _abort_now(run, *, by=None, reason="", address=None, label=SYSTEM):
    aborter = by if getattr(by, "pk", None) else run.aborted_by
    _release(run)
    _transit(run, run.abort, args={"by": aborter, "reason": reason}, by=by, label=label, reason=reason, address=address)


# ---------------------------------------------------------------- steps: people


def abort_step(step_id: int, *, user, reason: str, address=None) -> StepRun:
    """Stop a running command: its worker kills the remote process group; the run then waits (failure)."""
    if not (reason or "").strip():
        raise exc.ReasonRequired()
    with transaction.atomic():
        run, step = _lock_step(step_id)
        _require(user, run, DomainRoleName.OPERATOR)
        if step.state != StepState.RUNNING:
            raise _step_conflict(step, _("aborted"))
        step.abort_requested_at, step.abort_requested_by = timezone.now(), user
        step.save(update_fields=["abort_requested_at", "abort_requested_by"])
        _record(run, "abort_requested", step.state, step.state, step=step, by=user, reason=reason, address=address)
        if worker_alive(step):
            return step
        ended = _interrupt(run, step, _no_worker_message(step), label=SYSTEM)
    system_line(run.pk, ended, step_id=step.pk, attempt=step.attempt)
    return step


def retry_step(step_id: int, *, user, address=None) -> StepRun:
    with transaction.atomic():
        run, step = _lock_step(step_id)
        _require(user, run, DomainRoleName.OPERATOR)
        if step.state not in StepState.RETRYABLE or not step.is_executed:
            raise _step_conflict(step, _("retried"))
        if run.state != RunState.WAITING:
            raise _run_conflict(run, _("continued"))
        if not step.needs_signoff:  # a four-eyes step's run goes on waiting, for the approver now
            _resume(run, by=user, address=address)
        _start_step(run, step, by=user, address=address)
    return step


def request_resolution(step_id: int, *, user, resolution: str, reason: str, address=None) -> StepRun:
    """Ask to skip a step, or to count it done by hand; a second person countersigns (``countersign``).

    Each request gets the step's next request number: a new request supersedes the last one, and a
    countersign given for the old number is refused. A step an approver rejected is never counted done by hand.
    """
    if not (reason or "").strip():
        raise exc.ReasonRequired()
    with transaction.atomic():
        run, step = _lock_step(step_id)
        _require(user, run, DomainRoleName.OPERATOR)
        allowed = StepState.SKIPPABLE if resolution == Resolution.SKIP else StepState.RETRYABLE
        if resolution not in Resolution.values or step.state not in allowed or run.state not in RunState.ACTIVE:
            raise _step_conflict(step, Resolution(resolution).label if resolution in Resolution.values else "?")
        if resolution == Resolution.DONE and step.rejected_by_id:
            raise exc.RejectedNotDone(
                who=step.rejected_by.get_username(), step=step.position, why=render_message(step.message)
            )
        step.resolution, step.resolution_reason, step.resolution_requested_by = resolution, reason, user
        step.resolution_version += 1
        step.save(update_fields=["resolution", "resolution_reason", "resolution_requested_by", "resolution_version"])
        _record(
            run, f"request_{resolution}", step.state, step.state, step=step, by=user, reason=reason, address=address,
            request=step.resolution_version,
        )  # fmt: skip
    return step


def _request_number(value) -> int:
    """The request number a countersign names, as the form sent it; anything but a number is refused."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise exc.RequestNotNamed()
    return int(text)


def countersign(step_id: int, *, user, request, address=None) -> StepRun:
    """A second person approves the request they read: ``request`` is its number, shown with it."""
    number = _request_number(request)
    with transaction.atomic():
        run, step = _lock_step(step_id)
        signoff.refuse_role(Decision.COUNTERSIGN, user, step)
        if step.resolved_by_id and step.state in (StepState.SKIPPED, StepState.SUCCEEDED):
            raise _already_signed(Decision.COUNTERSIGN, step, step.resolved_by)
        _require_active(run, _("countersigned"))
        if not step.resolution:
            raise _step_conflict(step, _("countersigned"))
        signoff.refuse_involved(Decision.COUNTERSIGN, user, step)
        if number != step.resolution_version:
            raise exc.RequestChanged(
                step=step.position, who=step.resolution_requested_by.get_username(),
                what=Resolution(step.resolution).label, why=step.resolution_reason,
            )  # fmt: skip
        if step.resolution == Resolution.DONE and step.rejected_by_id:
            raise exc.RejectedNotDone(
                who=step.rejected_by.get_username(), step=step.position, why=render_message(step.message)
            )
        resolution = step.resolution
        allowed = StepState.SKIPPABLE if resolution == Resolution.SKIP else StepState.RETRYABLE
        if step.state not in allowed:
            raise _step_conflict(step, Resolution(resolution).label)
        if not signoff.sign(Decision.COUNTERSIGN, user, step):
            _signature(run, Decision.COUNTERSIGN, step, user=user, address=address, request=number)
            return step
        _transit(
            run, step.skip if resolution == Resolution.SKIP else step.mark_done, args={"by": user}, action=resolution,
            by=user, reason=step.resolution_reason, address=address,
            requested_by=step.resolution_requested_by.get_username(), request=number,
        )  # fmt: skip
        _resume(run, by=user, address=address)
        _advance(run, address=address)  # the next step is the run's work, not the countersigner's (four-eyes)
    return step


def confirm_step(step_id: int, *, user, ticked, address=None, note: str = "", screenshot=None) -> StepRun:
    """A person did a console step (or read an executed step's output) and ticked every checklist item.

    Refused, naming the items, while one is unticked. Each tick, the note and the screenshot's SHA-256 go
    into the run's append-only events; the screenshot itself is kept under MEDIA_ROOT (``ConsoleScreenshot``).
    The portal's form and the admin's both call this, so both make the same checks and the same record.
    """
    info = inspect_screenshot(screenshot) if screenshot else None  # type and size, by content, before any lock
    stored = None
    try:
        with transaction.atomic():
            run, step = _lock_step(step_id)
            _require(user, run, DomainRoleName.OPERATOR)
            _require_active(run, _("confirmed"))
            if step.state != StepState.AWAITING_CONFIRMATION:
                raise _step_conflict(step, _("confirmed"))
            items = step.planned.checklist
            given = set(ticked or ())
            missing = [item for item in items if item.key not in given]
            if missing:
                raise exc.ChecklistIncomplete(missing="; ".join(item.shown()["text"] for item in missing))
            source, keys = step.state, [item.key for item in items]
            for item in items:
                _record(
                    run,
                    "tick",
                    source,
                    source,
                    step=step,
                    by=user,
                    reason=item.shown()["text"],
                    address=address,
                    item=item.key,
                    item_label=item.label,
                    expected=item.expected,
                )
            evidence = {}
            if info is not None:
                stored = ConsoleScreenshot.store(step, screenshot, info, by=user)
                evidence = {"screenshot": {"id": stored.pk, **info.as_audit()}}
                _record(
                    run,
                    "screenshot",
                    source,
                    source,
                    step=step,
                    by=user,
                    address=address,
                    reason=f"sha256:{info.sha256} ({info.format}, {info.size} B)",
                    **evidence,
                )
            _transit(
                run, step.confirm, args={"by": user, "checklist": keys}, by=user, reason=note, address=address,
                ticked=keys, note=note, **evidence,
            )  # fmt: skip
            if step.state == StepState.AWAITING_SIGNOFF:
                _wait(run, WaitReason.SIGNOFF)
            else:
                _resume(run, by=user, address=address)
                _advance(run, by=user, address=address)
    except BaseException:
        if stored is not None:  # the row rolled back: do not keep its file either
            stored.image.storage.delete(stored.image.name)
        raise
    return step


def _already(what: str, who) -> exc.AlreadySignedOff:
    return exc.AlreadySignedOff(what=what, who=who.get_username() if who else "?")


def _already_signed(decision: Decision, obj, decider) -> exc.AlreadySignedOff:
    """A late signature: the decision stands, and the answer names everyone who signed it ("… by a and b")."""
    what = _("Run {n}").format(n=obj.pk) if isinstance(obj, ProcedureRun) else _("Step {n}").format(n=obj.position)
    return exc.AlreadySignedOff(what=what, who=signoff.signed_by_text(decision, obj, decider))


def _signature(run, decision: Decision, obj, *, user, address=None, note: str = "", **details) -> None:
    """One of N signatures recorded; the decision waits for the others (no transition yet)."""
    state = obj.state
    _record(
        run, f"signature_{decision}", state, state, step=obj if isinstance(obj, StepRun) else None, by=user,
        reason=note, address=address, signed=signoff.signers(decision, obj), needed=signoff.required(decision, obj),
        **details,
    )  # fmt: skip


def sign_off_step(step_id: int, *, user, verdict: str = Verdict.APPROVE, note: str = "", address=None) -> StepRun:
    with transaction.atomic():
        run, step = _lock_step(step_id)
        signoff.refuse_role(Decision.SIGN_OFF_STEP, user, step)
        if step.state in (StepState.SUCCEEDED, StepState.FAILED) and step.signed_off_by_id:
            raise _already_signed(Decision.SIGN_OFF_STEP, step, step.signed_off_by)
        if step.state != StepState.AWAITING_SIGNOFF:
            raise _step_conflict(step, _("signed off"))
        _require_active(run, _("signed off"))
        if verdict not in Verdict.values:
            raise exc.UnknownVerdict(verdict=verdict)
        signoff.refuse_involved(Decision.SIGN_OFF_STEP, user, step)
        if verdict == Verdict.REJECT and not note.strip():
            raise exc.ReasonRequired()
        if verdict == Verdict.APPROVE and not signoff.sign(Decision.SIGN_OFF_STEP, user, step):
            _signature(run, Decision.SIGN_OFF_STEP, step, user=user, address=address, note=note)
            return step
        if verdict == Verdict.APPROVE:
            _transit(run, step.approve_signoff, args={"by": user}, action="signoff_approve", by=user, reason=note,
                     address=address)  # fmt: skip
        else:
            _transit(run, step.reject_signoff, args={"by": user, "note": note}, action="signoff_reject", by=user,
                     reason=note, address=address)  # fmt: skip
        if step.state == StepState.SUCCEEDED:
            _resume(run, by=user, address=address)
            _advance(run, address=address)  # the next step is the run's work, not the signer's (four-eyes)
        else:
            _wait(run, WaitReason.FAILURE, note)
    return step


# ---------------------------------------------------------------- steps: workers


def claim_step(step_id: int, *, attempt: int | None, worker: str) -> StepRun | None:
    """A worker takes a running step that nobody executes yet; None when it is not (or no longer) its to run.

    This is what makes redelivery safe: a step whose worker died keeps that worker's name until the
    reaper marks it interrupted, and only a person's retry (a new attempt) makes it runnable again.
    """
    with transaction.atomic():
        try:
            run, step = _lock_step(step_id)
        except StepRun.DoesNotExist:
            return None
        if step.state != StepState.RUNNING or step.worker or (attempt is not None and step.attempt != attempt):
            return None
        step.worker, step.heartbeat_at = worker, timezone.now()
        step.save(update_fields=["worker", "heartbeat_at"])
        _record(run, "claim", step.state, step.state, step=step, label=worker, attempt=step.attempt)
        aborting = bool(step.abort_requested_at or run.abort_requested_at)
    if aborting:  # never start what is being aborted: end it as its worker would, with nothing sent
        finish_step(step.pk, worker=worker, attempt=step.attempt, ok=False, message=_("Aborted before it started."))
        return None
    return step


def heartbeat(step_id: int, *, worker: str, attempt: int) -> dict | None:
    """Refresh the heartbeat; returns the abort flags, or None when the step is no longer this worker's."""
    updated = StepRun.objects.filter(pk=step_id, worker=worker, attempt=attempt, state=StepState.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    if not updated:
        return None
    return abort_flags(step_id)


def abort_flags(step_id: int) -> dict:
    row = StepRun.objects.filter(pk=step_id).values("abort_requested_at", "run__abort_requested_at").first() or {}
    return {"abort": bool(row.get("abort_requested_at") or row.get("run__abort_requested_at"))}


def finish_step(step_id: int, *, worker: str, attempt: int, ok: bool, message: str = "") -> StepRun | None:
    """The worker's verdict; ignored when the step was reaped or retried meanwhile."""
    with transaction.atomic():
        run, step = _lock_step(step_id)
        if step.state != StepState.RUNNING or step.worker != worker or step.attempt != attempt:
            return None
        aborted = bool(step.abort_requested_at or run.abort_requested_at)
        _transit(run, step.finish, args={"ok": ok, "message": message}, label=worker, reason=message, attempt=attempt)
        if run.abort_requested_at:
            _abort_now(run, by=run.aborted_by, reason=run.abort_reason)
        elif step.state == StepState.FAILED:
            _wait(run, WaitReason.FAILURE, message, label=worker)
        elif step.state == StepState.AWAITING_SIGNOFF:
            _wait(run, WaitReason.SIGNOFF, label=worker)
        elif step.state == StepState.AWAITING_CONFIRMATION:
            _wait(
                run,
                WaitReason.OPERATOR,
                stored(gettext_noop("Read the output of step {n} and tick its checklist."), n=step.position),
                label=worker,
            )
        elif not aborted:
            _advance(run)
    return step


def host_update(result_id: int, **fields) -> None:
    StepHostResult.objects.filter(pk=result_id).update(**fields)


def stale_limit() -> timedelta:
    return timedelta(seconds=getattr(settings, "PORTAL_STEP_STALE_S", 30))


def worker_alive(step: StepRun) -> bool:
    """A worker claimed the step and has reported within the stale limit (it will see an abort and act on it)."""
    return bool(step.worker) and step.heartbeat_at is not None and step.heartbeat_at >= timezone.now() - stale_limit()


def _no_worker_message(step: StepRun) -> str:
    if not step.worker:
        return stored(gettext_noop("Aborted before a worker took the step: nothing was sent to its hosts."))
    return stored(gettext_noop("Aborted; {why}"), why=_silent_worker_message(step))


def _silent_worker_message(step: StepRun) -> str:
    pgids = [
        stored(gettext_noop("{host} (pgid {pgid})"), host=host_message(r.host_label), pgid=r.pgid)
        for r in step.host_results.filter(attempt=step.attempt, state__in=[HostState.RUNNING, HostState.PENDING])
        if r.pgid
    ]
    message = stored(
        gettext_noop("Worker {worker} stopped reporting (last heartbeat {at}); the outcome on the host is unknown."),
        worker=step.worker or "?",
        at=step.heartbeat_at.isoformat() if step.heartbeat_at else "—",
    )
    if pgids:
        still = stored(gettext_noop("The remote command may still be running: {hosts}."), hosts=pgids)
        message = stored("{silent} {still}", silent=message, still=still)
    return message


def _interrupt(run: ProcedureRun, step: StepRun, message: str, *, label: str) -> str:
    """End a running step that has no living worker as interrupted (under the step's lock); nothing runs again.

    The run ends if an abort was asked for, else it waits for a person (retry, or skip / mark done with a
    second person). Returns the message, for the log line the caller writes after commit.
    """
    step.host_results.filter(attempt=step.attempt, state__in=[HostState.RUNNING, HostState.PENDING]).update(
        state=HostState.INTERRUPTED, finished_at=timezone.now()
    )
    _transit(run, step.interrupt, args={"message": message}, label=label, reason=message, worker=step.worker)
    if run.abort_requested_at:
        _abort_now(run, by=run.aborted_by, reason=run.abort_reason, label=label)
    else:
        _wait(run, WaitReason.FAILURE, message, label=label)
    return message


def reap_stale_steps(stale_after: timedelta | None = None) -> list[int]:
    """Mark steps that a worker claimed and then stopped reporting on ``interrupted``; never run anything again.

    A step no worker has claimed yet is not stale, however long it waits in the queue (``redispatch_unclaimed``).
    Their log lines stay; the run waits for a person (retry, or skip / mark done with a second person).
    """
    before = timezone.now() - (stale_limit() if stale_after is None else stale_after)
    return _reap(StepRun.objects.stale(before), lambda step: step.heartbeat_at < before, _silent_worker_message)


def reap_gone_workers(workers) -> list[int]:
    """Interrupt at once the running steps of workers known to be gone (a process of this machine that ended)."""

    def message(step):
        return stored(
            gettext_noop("Worker {worker} is gone (its process ended); the outcome on the host is unknown."),
            worker=step.worker,
        )

    return _reap(StepRun.objects.running().filter(worker__in=list(workers)), lambda step: True, message)


def _reap(candidates, still, message_of) -> list[int]:
    reaped = []
    for step_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            run, step = _lock_step(step_id)
            if step.state != StepState.RUNNING or not step.worker or not still(step):
                continue
            message = _interrupt(run, step, message_of(step), label="reaper")
            reaped.append(step.pk)
        system_line(run.pk, message, step_id=step.pk, attempt=step.attempt)
    return reaped


def redispatch_unclaimed(after: timedelta | None = None) -> list[int]:
    """Ask the workers again for running steps that none has claimed for ``after`` (default: the stale limit).

    A message to the workers can be lost (a broker that restarted, the thread pool of a web process that
    died). Asking twice is harmless: only one worker claims a step (``claim_step``), the others run nothing.
    """
    before = timezone.now() - (stale_limit() if after is None else after)
    asked = []
    for step_id in StepRun.objects.unclaimed(before).values_list("pk", flat=True):
        with transaction.atomic():
            run, step = _lock_step(step_id)
            if step.state != StepState.RUNNING or step.worker or (step.dispatched_at and step.dispatched_at > before):
                continue
            step.dispatched_at = timezone.now()
            step.save(update_fields=["dispatched_at"])
            _record(run, "redispatch", step.state, step.state, step=step, label="reaper", attempt=step.attempt)
            dispatch.enqueue_step(step.pk, step.attempt)
            asked.append(step.pk)
    return asked


# ---------------------------------------------------------------- reading


def can_watch_run(user, run_id: int) -> bool:
    return ProcedureRun.objects.visible_to(user).filter(pk=run_id).exists()


def actions_for(user, run: ProcedureRun, steps=()) -> dict:
    """Which buttons this person may press on this run now (the services check again when pressed).

    The four-eyes buttons ask ``signoff.may_decide``, so nobody is offered a decision on their own work;
    ``steps`` (already loaded) get their own flags under ``"steps"``, keyed by pk.
    """
    operator = has_role(user, run.cluster.domain, DomainRoleName.OPERATOR)
    active = run.state in RunState.ACTIVE
    return {
        "approve": run.state == RunState.PLANNED and signoff.may_decide(Decision.APPROVE_RUN, user, run),
        "start": operator and run.state == RunState.APPROVED,
        "resume": operator and may_continue(run, steps),
        "abort": operator and run.state in RunState.ABORTABLE,
        "sign_off": run.state == RunState.COMPLETED and signoff.may_decide(Decision.CLOSE_RUN, user, run),
        "operate": operator and active,
        "steps": {
            step.pk: {
                "approve": active
                and step.state == StepState.AWAITING_APPROVAL
                and signoff.may_decide(Decision.APPROVE_STEP, user, step),
                "sign_off": active
                and step.state == StepState.AWAITING_SIGNOFF
                and signoff.may_decide(Decision.SIGN_OFF_STEP, user, step),
                "countersign": active
                and bool(step.resolution)
                and signoff.may_decide(Decision.COUNTERSIGN, user, step),
                "signatures": _progress_of(step) if active else None,
            }
            for step in steps
        },
        "close_signatures": signoff.progress(Decision.CLOSE_RUN, run) if run.state == RunState.COMPLETED else None,
    }


def _progress_of(step: StepRun) -> dict | None:
    """The N-of-M signatures a waiting step has so far (None when it waits for no one, or for one approver)."""
    decision = {
        StepState.AWAITING_APPROVAL: Decision.APPROVE_STEP,
        StepState.AWAITING_SIGNOFF: Decision.SIGN_OFF_STEP,
    }.get(step.state, Decision.COUNTERSIGN if step.resolution else None)
    return signoff.progress(decision, step) if decision else None
