"""Records the domain report reads or writes besides runs: duties done outside the portal, and who exported what.

``DutyRecord``: the ``mhs_nadr_cfg TCP OFF`` duty can be done by hand, outside the portal; a person records it
with a reason and it counts only once a second person signs it off (``procedures.signoff``, Decision
``CONFIRM_OUTSIDE_DUTY``; the actions are ``procedures.duties.record_outside`` and ``decide_outside``).

``ReportExport``: append-only, one row per CSV or PDF handed out. A run's events would not do: a domain report
belongs to no run, and a change record's own last page lists the run's events, which reading it must not change.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from procedures.choices import DutyRecordState, ExportKind
from procedures.querysets import AppendOnlyQuerySet

USER = settings.AUTH_USER_MODEL


class DutyRecord(FSMModelMixin, models.Model):
    """``mhs_nadr_cfg TCP OFF`` done outside the portal on one mail server (on one node of a clustered one)."""

    server = models.ForeignKey(
        "clusters.GroupmaxServer", on_delete=models.PROTECT, related_name="duty_records", verbose_name=_("mail server")
    )
    node = models.ForeignKey(
        "clusters.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("node")
    )
    done_at = models.DateTimeField(_("done at"))
    reason = models.TextField(_("why outside the portal"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    state = FSMField(
        _("state"), default=DutyRecordState.PENDING, choices=DutyRecordState.choices, protected=True, max_length=12
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    note = models.TextField(_("sign-off note"), blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("duty done outside the portal"), _("duties done outside the portal")
        ordering = ("-done_at", "-pk")
        constraints = (models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_has_reason"),)

    def __str__(self):
        return f"mhs_nadr_cfg @ {self.server_id}/{self.node_id or '-'}: {self.state}"

    @transition(field=state, source=DutyRecordState.PENDING, target=DutyRecordState.CONFIRMED)
    def confirm(self, *, by, note: str = ""):
        self.decided_by, self.decided_at, self.note = by, timezone.now(), note

    @transition(field=state, source=DutyRecordState.PENDING, target=DutyRecordState.REJECTED)
    def reject(self, *, by, note: str = ""):
        self.decided_by, self.decided_at, self.note = by, timezone.now(), note


class ReportExport(models.Model):
    """Append-only: who exported which report of which domain (or run), for which period, when, from where."""

    kind = models.CharField(_("export"), max_length=20, choices=ExportKind.choices)
    domain = models.ForeignKey(
        "clusters.AddressDomain", on_delete=models.PROTECT, related_name="+", verbose_name=_("domain")
    )
    run = models.ForeignKey(
        "procedures.ProcedureRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run"),
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("report export"), _("report exports")
        ordering = ("-at", "-pk")

    def __str__(self):
        return f"{self.kind} {self.domain_id} by {self.user_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("report exports are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("report exports are append-only")
