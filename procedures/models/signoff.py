"""What a domain asks of its sign-offs, and the signatures given: N of M approvers, and rehearsals first.

``procedures.signoff`` reads these; nothing else decides with them. A signature row is unique per person and
request (the decision, the run or step, and the round it was asked in), so a doubled click, or a race of
several approvers, can never count one person twice; the row locks of the services give exactly N.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.history import inventory_history
from procedures.choices import FourEyesKind
from procedures.querysets import AppendOnlyQuerySet

# The most approvers a domain may ask for one kind of four-eyes step (the database refuses more, too).
MAX_APPROVERS = 9


class SignoffQuorum(models.Model):
    """How many distinct approvers a kind of four-eyes step needs in a domain (1 when there is no row)."""

    domain = models.ForeignKey(
        "clusters.AddressDomain", on_delete=models.CASCADE, related_name="signoff_quorums", verbose_name=_("domain")
    )
    kind = models.CharField(_("kind of four-eyes step"), max_length=20, choices=FourEyesKind.choices)
    approvers = models.PositiveSmallIntegerField(
        _("approvers required"), default=1, help_text=_("Distinct approvers, none of whom did the work.")
    )
    history = inventory_history()  # who changed the rule, when, from where, old -> new

    class Meta:
        verbose_name, verbose_name_plural = _("sign-off quorum"), _("sign-off quorums")
        constraints = (
            models.UniqueConstraint(fields=("domain", "kind"), name="%(app_label)s_%(class)s_one_per_kind"),
            models.CheckConstraint(
                condition=Q(approvers__gte=1, approvers__lte=MAX_APPROVERS),
                name="%(app_label)s_%(class)s_approvers_1_to_9",
            ),
        )

    def __str__(self):
        return f"{self.domain_id} {self.kind}: {self.approvers}"


class RehearsalRule(models.Model):
    """A domain's rule: a real run of this procedure is approved only after a successful rehearsal of its plan."""

    domain = models.ForeignKey(
        "clusters.AddressDomain", on_delete=models.CASCADE, related_name="rehearsal_rules", verbose_name=_("domain")
    )
    procedure = models.CharField(_("procedure"), max_length=20)
    history = inventory_history()  # who set or lifted the rule, when, from where

    class Meta:
        verbose_name, verbose_name_plural = _("rehearsal rule"), _("rehearsal rules")
        constraints = (
            models.UniqueConstraint(fields=("domain", "procedure"), name="%(app_label)s_%(class)s_one_per_procedure"),
        )

    def __str__(self):
        return f"{self.domain_id}: rehearse {self.procedure}"


class Signature(models.Model):
    """One approver's signature on one request: a four-eyes command, a sign-off, a countersign, a run's close."""

    run = models.ForeignKey(
        "procedures.ProcedureRun", on_delete=models.CASCADE, related_name="signatures", verbose_name=_("run")
    )
    step = models.ForeignKey(
        "procedures.StepRun",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("step"),
    )
    decision = models.CharField(_("decision"), max_length=20)
    round = models.PositiveIntegerField(_("request"), default=0)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signer")
    )
    at = models.DateTimeField(_("signed at"), default=timezone.now)
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name, verbose_name_plural = _("signature"), _("signatures")
        ordering = ("at", "pk")
        constraints = (
            models.UniqueConstraint(
                fields=("step", "decision", "round", "signer"),
                condition=Q(step__isnull=False),
                name="%(app_label)s_%(class)s_once_per_step_request",
            ),
            models.UniqueConstraint(
                fields=("run", "decision", "round", "signer"),
                condition=Q(step__isnull=True),
                name="%(app_label)s_%(class)s_once_per_run_request",
            ),
        )

    def __str__(self):
        return f"{self.decision} #{self.round} by {self.signer_id}"
