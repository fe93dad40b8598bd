"""Runs of a rendered plan and their steps, as state machines (django-fsm-2).

Transitions only set fields, so that one can be tried and refused without side effects; ``procedures.services``
locks the row, checks who may act, saves, records a ``RunEvent`` and hands work on after commit. A run executes
from the plan snapshot it was planned with (``plan`` + ``plan_digest``): later catalog edits never change its
steps or commands.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from procedures.choices import HostState, Resolution, RunState, StepState, WaitReason
from procedures.plan import KIND_LABELS, Kind, Plan, PlannedStep
from procedures.querysets import AppendOnlyQuerySet, ProcedureRunQuerySet, StepRunQuerySet
from procedures.texts import localised

USER = settings.AUTH_USER_MODEL


class ProcedureRun(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, related_name="runs", verbose_name=_("cluster")
    )
    procedure = models.CharField(_("procedure"), max_length=20)
    plan = models.JSONField(_("plan snapshot"), help_text=_("Plan.as_json() as it was when the run was planned."))
    plan_digest = models.CharField(_("plan digest"), max_length=64)
    state = FSMField(_("state"), default=RunState.PLANNED, choices=RunState.choices, protected=True, max_length=20)
    wait_reason = models.CharField(_("waiting for"), max_length=20, choices=WaitReason.choices, blank=True, default="")
    wait_message = models.TextField(_("why it waits"), blank=True)
    planned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by"))
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    started_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("started by")
    )
    signed_off_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("signed off by")
    )
    aborted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("aborted by")
    )
    abort_requested_at = models.DateTimeField(_("abort requested at"), null=True, blank=True)
    abort_reason = models.TextField(_("abort reason"), blank=True)
    created_at = models.DateTimeField(_("planned at"), default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    signed_off_at = models.DateTimeField(null=True, blank=True, verbose_name=_("signed off at"))
    rehearsal_of = models.CharField(
        _("rehearsal of plan"), max_length=64, blank=True, default="",
        help_text=_("The digest of the real plan this lab run rehearses; empty for a real run."),
    )  # fmt: skip
    rehearsal_for = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, null=True, blank=True, related_name="rehearsals",
        verbose_name=_("rehearsal for cluster"),
    )  # fmt: skip
    objects = ProcedureRunQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("procedure run"), _("procedure runs")
        ordering = ("-created_at", "-pk")
        indexes = (
            # The domain report counts, charts and lists a period's runs from this index alone (its columns are
            # all it reads of them), never from the rows, whose plan snapshot makes them large.
            models.Index(
                fields=("cluster", "created_at", "state", "procedure", "started_at", "finished_at"),
                name="procedures_run_cluster_period",
            ),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("cluster",),
                condition=Q(state__in=sorted(RunState.ACTIVE)),
                name="%(app_label)s_%(class)s_one_active_per_cluster",
            ),
        )

    def __str__(self):
        return f"#{self.pk} {self.procedure} @ {self.cluster_id}"

    def get_absolute_url(self):
        return reverse("procedures:run-detail", args=[self.pk])

    @property
    def is_rehearsal(self) -> bool:
        return bool(self.rehearsal_of)

    @property
    def plan_object(self) -> Plan:
        return Plan.from_json(self.plan)

    @property
    def title(self) -> str:
        """The plan's title in the reader's language; lists annotate ``plan_title`` and leave the plan unread."""
        if "plan_title" in self.__dict__:
            return localised(self.plan_title)
        return localised(self.plan.get("title"))

    @property
    def domain(self):
        return self.cluster.domain

    @property
    def took(self):
        """How long the run ran, start to end; None before it ended."""
        return self.finished_at - self.started_at if self.started_at and self.finished_at else None

    # Transitions: set fields only.
    @transition(field=state, source=RunState.PLANNED, target=RunState.APPROVED)
    def approve(self, *, by):
        self.approved_by, self.approved_at = by, timezone.now()

    @transition(field=state, source=RunState.APPROVED, target=RunState.RUNNING)
    def start(self, *, by):
        self.started_by, self.started_at = by, timezone.now()

    @transition(field=state, source=RunState.RUNNING, target=RunState.WAITING)
    def wait(self, *, reason: str, message: str = ""):
        self.wait_reason, self.wait_message = reason, message

    @transition(field=state, source=RunState.WAITING, target=RunState.RUNNING)
    def resume(self):
        self.wait_reason, self.wait_message = WaitReason.NONE, ""

    @transition(field=state, source=RunState.RUNNING, target=RunState.COMPLETED)
    def complete(self):
        self.finished_at = timezone.now()

    @transition(field=state, source=RunState.COMPLETED, target=RunState.SIGNED_OFF)
    def sign_off(self, *, by):
        self.signed_off_by, self.signed_off_at = by, timezone.now()

    @transition(field=state, source=sorted(RunState.ABORTABLE), target=RunState.ABORTED)
    def abort(self, *, by, reason: str):
        self.aborted_by, self.finished_at = by, timezone.now()
        self.abort_reason = self.abort_reason or reason
        self.wait_reason, self.wait_message = WaitReason.NONE, ""


class StepRun(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    run = models.ForeignKey(ProcedureRun, on_delete=models.CASCADE, related_name="steps", verbose_name=_("run"))
    position = models.PositiveIntegerField(_("position"))
    key = models.CharField(_("key"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10)
    state = FSMField(_("state"), default=StepState.PENDING, choices=StepState.choices, protected=True, max_length=24)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("last asked of the workers"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    executed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("executed by")
    )
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmed by")
    )
    checklist = models.JSONField(_("ticked checklist items"), default=list, blank=True)
    signed_off_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("signed off by")
    )
    message = models.TextField(_("outcome"), blank=True)
    abort_requested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("abort requested at"))
    abort_requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("abort requested by")
    )
    resolution = models.CharField(_("resolution asked"), max_length=10, choices=Resolution.choices, blank=True)
    resolution_reason = models.TextField(_("reason"), blank=True)
    resolution_requested_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolution requested by"),
    )
    resolved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("resolved by")
    )
    resolution_version = models.PositiveIntegerField(
        _("request number"),
        default=0,
        help_text=_("Counts every skip or done request of the step; a countersign names the one it approves."),
    )
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("command approved at"), null=True, blank=True)
    approval_round = models.PositiveIntegerField(
        _("approval request"), default=0, help_text=_("Counts each time the step's command waited for approvers.")
    )
    rejected_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("An approver who rejected this attempt (its command, or its outcome)."),
        verbose_name=_("rejected by"),
    )  # fmt: skip
    objects = StepRunQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("step run"), _("step runs")
        ordering = ("run", "position")
        constraints = (
            models.UniqueConstraint(fields=("run", "position"), name="%(app_label)s_%(class)s_unique_position"),
            models.UniqueConstraint(fields=("run", "key"), name="%(app_label)s_%(class)s_unique_key"),
        )

    def __str__(self):
        return f"{self.position}. {self.key}"

    @property
    def planned(self) -> PlannedStep:
        cache = getattr(self, "_planned", None)
        if cache is None:
            cache = self._planned = self.run.plan_object.steps[self.position - 1]
        return cache

    @property
    def title(self) -> str:
        return localised(self.planned.title)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def is_executed(self) -> bool:
        return self.kind in Kind.EXECUTED

    @property
    def needs_signoff(self) -> bool:
        return self.planned.needs_signoff

    def _begin(self, by) -> None:
        """A new attempt: nothing of the last one's outcome, request or rejection carries over.

        ``heartbeat_at`` stays empty until a worker claims the step: a step waiting in the queue is not stale.
        """
        self.attempt += 1
        self.executed_by, self.worker, self.message = by, "", ""
        self.started_at = self.dispatched_at = timezone.now()
        self.heartbeat_at = None
        self.finished_at = self.abort_requested_at = self.abort_requested_by = None
        self.rejected_by = None
        self._clear_request()

    def _clear_request(self) -> None:
        self.resolution, self.resolution_reason, self.resolution_requested_by = "", "", None

    # Transitions: set fields only.
    @transition(field=state, source=[StepState.PENDING, *sorted(StepState.RETRYABLE)], target=StepState.RUNNING)
    def start(self, *, by):
        self._begin(by)

    @transition(
        field=state, source=[StepState.PENDING, *sorted(StepState.RETRYABLE)], target=StepState.AWAITING_APPROVAL
    )
    def ask_approval(self, *, by):
        """A four-eyes command waits for an approver before anything is sent; ``by`` is who will run it."""
        self.executed_by, self.message = by, ""
        self.approved_by = self.approved_at = self.rejected_by = None
        self.approval_round += 1  # signatures of an earlier request never count for this one
        self._clear_request()

    @transition(field=state, source=StepState.AWAITING_APPROVAL, target=StepState.RUNNING)
    def approve_command(self, *, by):
        """The approver's go: the step starts, run by the person it was asked for (not the approver)."""
        executor = self.executed_by
        self._begin(executor)
        self.approved_by, self.approved_at = by, timezone.now()

    @transition(field=state, source=StepState.AWAITING_APPROVAL, target=StepState.FAILED)
    def reject_command(self, *, by, note: str):
        self.rejected_by, self.message, self.finished_at = by, note, timezone.now()

    @transition(
        field=state,
        source=StepState.RUNNING,
        target=RETURN_VALUE(
            StepState.SUCCEEDED, StepState.FAILED, StepState.AWAITING_SIGNOFF, StepState.AWAITING_CONFIRMATION
        ),
    )
    def finish(self, *, ok: bool, message: str = ""):
        """An executed step's verdict; a checklist (e.g. "same checksum on both nodes") waits for a person."""
        self.finished_at, self.message = timezone.now(), message
        if not ok:
            return StepState.FAILED
        if self.planned.checklist:
            return StepState.AWAITING_CONFIRMATION
        # Approved before it ran: the exit code and success rule decide; a sign-off only where nobody approved.
        return StepState.AWAITING_SIGNOFF if self.needs_signoff and not self.approved_by_id else StepState.SUCCEEDED

    @transition(field=state, source=StepState.RUNNING, target=StepState.INTERRUPTED)
    def interrupt(self, *, message: str):
        self.finished_at, self.message = timezone.now(), message

    @transition(field=state, source=StepState.PENDING, target=StepState.AWAITING_CONFIRMATION)
    def ask_confirmation(self):
        self.started_at = timezone.now()

    @transition(
        field=state,
        source=StepState.AWAITING_CONFIRMATION,
        target=RETURN_VALUE(StepState.CONFIRMED, StepState.AWAITING_SIGNOFF),
    )
    def confirm(self, *, by, checklist: list[str]):
        self.confirmed_by = by
        if not self.executed_by_id:  # a console step: who confirms it did it
            self.executed_by = by
        self.checklist, self.finished_at = checklist, timezone.now()
        return StepState.AWAITING_SIGNOFF if self.needs_signoff else StepState.CONFIRMED

    @transition(field=state, source=StepState.AWAITING_SIGNOFF, target=StepState.SUCCEEDED)
    def approve_signoff(self, *, by):
        self.signed_off_by = by

    @transition(field=state, source=StepState.AWAITING_SIGNOFF, target=StepState.FAILED)
    def reject_signoff(self, *, by, note: str):
        self.signed_off_by, self.rejected_by, self.message = by, by, note

    @transition(field=state, source=sorted(StepState.SKIPPABLE), target=StepState.SKIPPED)
    def skip(self, *, by):
        self.resolved_by, self.finished_at = by, timezone.now()

    @transition(field=state, source=sorted(StepState.RETRYABLE), target=StepState.SUCCEEDED)
    def mark_done(self, *, by):
        self.resolved_by, self.finished_at = by, timezone.now()


class StepHostResult(models.Model):
    """What one attempt of a step did on one host: fan-out steps show one row per host."""

    step = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="host_results", verbose_name=_("step"))
    attempt = models.PositiveIntegerField(_("attempt"))
    host_label = models.CharField(_("host"), max_length=200)
    host_name = models.CharField(_("host name"), max_length=253)
    node = models.ForeignKey(
        "clusters.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("node")
    )
    server = models.ForeignKey(
        "clusters.GroupmaxServer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("server"),
    )
    state = models.CharField(_("state"), max_length=20, choices=HostState.choices, default=HostState.PENDING)
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    pgid = models.IntegerField(_("remote process group"), null=True, blank=True)
    message = models.TextField(_("outcome"), blank=True)
    abort_outcome = models.TextField(_("abort outcome"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name, verbose_name_plural = _("host result"), _("host results")
        ordering = ("step", "attempt", "pk")
        constraints = (
            models.UniqueConstraint(
                fields=("step", "attempt", "host_label"), name="%(app_label)s_%(class)s_one_per_host_attempt"
            ),
        )

    def __str__(self):
        return f"{self.host_label} #{self.attempt}"


class ServerLock(models.Model):
    """A Groupmax server held by a run: every server its plan touches, from its start until it ends.

    A clustered server stands for its cluster (one server per cluster), a standalone one for its host. The
    one-to-one key is what makes two runs that touch one server exclusive, on PostgreSQL and SQLite alike.
    """

    server = models.OneToOneField(
        "clusters.GroupmaxServer", on_delete=models.CASCADE, related_name="lock", verbose_name=_("server")
    )
    run = models.ForeignKey(ProcedureRun, on_delete=models.CASCADE, related_name="locks", verbose_name=_("run"))
    acquired_at = models.DateTimeField(default=timezone.now, verbose_name=_("acquired at"))

    class Meta:
        verbose_name, verbose_name_plural = _("server lock"), _("server locks")

    def __str__(self):
        return f"{self.server_id} ← run {self.run_id}"


# What each event's ``action`` code means, for the reader (the code itself is what the record keeps).
EVENT_ACTIONS = {
    "plan": _("planned"),
    "approve": _("plan approved"),
    "start": _("started"),
    "retry": _("retried"),
    "wait": _("waits"),
    "resume": _("resumed"),
    "complete": _("completed"),
    "sign_off": _("signed off"),
    "abort": _("aborted"),
    "abort_requested": _("abort requested"),
    "ask_approval": _("waits for the command's approval"),
    "command_approve": _("command approved"),
    "command_reject": _("command rejected"),
    "claim": _("taken by a worker"),
    "redispatch": _("asked of the workers again"),
    "finish": _("finished"),
    "interrupt": _("interrupted"),
    "ask_confirmation": _("waits for confirmation"),
    "confirm": _("confirmed"),
    "tick": _("checklist item ticked"),
    "screenshot": _("screenshot attached"),
    "signoff_approve": _("sign-off approved"),
    "signoff_reject": _("sign-off rejected"),
    "request_skip": _("skip requested"),
    "request_done": _("done by hand requested"),
    "skip": _("skipped"),
    "done": _("counted as done"),
}
STATE_LABELS = {**dict(RunState.choices), **dict(StepState.choices)}


class RunEvent(models.Model):
    """Append-only record of every transition of a run or one of its steps: who, when, from, to, why, where."""

    run = models.ForeignKey(ProcedureRun, on_delete=models.CASCADE, related_name="events", verbose_name=_("run"))
    step = models.ForeignKey(
        StepRun, on_delete=models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("step")
    )
    action = models.CharField(_("action"), max_length=40)
    source = models.CharField(_("from"), max_length=24, blank=True)
    target = models.CharField(_("to"), max_length=24, blank=True)
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    actor_label = models.CharField(
        _("by"), max_length=150, blank=True, help_text=_("A worker or the reaper when no person.")
    )
    reason = models.TextField(_("why"), blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("run event"), _("run events")
        ordering = ("at", "pk")

    def __str__(self):
        return f"#{self.pk}"  # its codes are fields of their own; the admin and the run page tell it as a sentence

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("run events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("run events are append-only")

    @property
    def who(self) -> str:
        return self.actor.get_username() if self.actor_id else self.actor_label

    @property
    def action_label(self) -> str:
        return str(EVENT_ACTIONS.get(self.action, self.action))

    @property
    def source_label(self) -> str:
        return str(STATE_LABELS.get(self.source, self.source))

    @property
    def target_label(self) -> str:
        return str(STATE_LABELS.get(self.target, self.target))
