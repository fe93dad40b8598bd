"""States of runs, steps and per-host results, with their colours and the named groups the rules use."""

from enum import nonmember

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RunState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    APPROVED = "approved", _("Approved")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting")
    COMPLETED = "completed", _("Completed")
    SIGNED_OFF = "signed_off", _("Signed off")
    ABORTED = "aborted", _("Aborted")
    ACTIVE = nonmember(frozenset({"running", "waiting"}))  # holds its cluster: one per cluster (DB constraint)
    ABORTABLE = nonmember(frozenset({"planned", "approved", "running", "waiting"}))
    ENDED = nonmember(frozenset({"completed", "signed_off", "aborted"}))  # nothing runs or writes its log any more


class WaitReason(models.TextChoices):
    NONE = "", pgettext_lazy("wait reason", "—")
    OPERATOR = "operator", _("Waiting for an operator")
    APPROVAL = "approval", _("Waiting for an approver's go-ahead")
    SIGNOFF = "signoff", _("Waiting for a sign-off")
    FAILURE = "failure", _("Stopped after a failure")


class StepState(models.TextChoices):
    PENDING = "pending", _("Pending")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")  # four-eyes: nothing is sent before it
    RUNNING = "running", _("Running")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting sign-off")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")
    SKIPPED = "skipped", _("Skipped")
    FINISHED = nonmember(frozenset({"succeeded", "confirmed", "skipped"}))
    RETRYABLE = nonmember(frozenset({"failed", "interrupted"}))
    SKIPPABLE = nonmember(frozenset({"pending", "awaiting_approval", "awaiting_confirmation", "failed", "interrupted"}))


class HostState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")
    ABORTED = "aborted", _("Aborted")
    UNREACHABLE = "unreachable", _("Unreachable")
    HOST_KEY = "host_key", _("Host key refused")
    INTERRUPTED = "interrupted", _("Interrupted")


class Resolution(models.TextChoices):
    """What an operator asks for on a step that did not finish by itself; a second person countersigns."""

    SKIP = "skip", _("Skip the step")
    DONE = "done", _("Mark the step done by hand")


class Stream(models.TextChoices):
    STDOUT = "out", _("stdout")
    STDERR = "err", _("stderr")
    SYSTEM = "sys", _("portal")


class Verdict(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


RUN_COLOURS = {
    RunState.PLANNED: "secondary",
    RunState.APPROVED: "info",
    RunState.RUNNING: "primary",
    RunState.WAITING: "warning",
    RunState.COMPLETED: "success",
    RunState.SIGNED_OFF: "success",
    RunState.ABORTED: "danger",
}
STEP_COLOURS = {
    StepState.PENDING: "secondary",
    StepState.AWAITING_APPROVAL: "warning",
    StepState.RUNNING: "primary",
    StepState.AWAITING_CONFIRMATION: "warning",
    StepState.CONFIRMED: "success",
    StepState.AWAITING_SIGNOFF: "warning",
    StepState.SUCCEEDED: "success",
    StepState.FAILED: "danger",
    StepState.INTERRUPTED: "danger",
    StepState.SKIPPED: "secondary",
}


class DutyRecordState(models.TextChoices):
    """A duty done outside the portal: recorded by one person, counted once a second person signs it off."""

    PENDING = "pending", _("Awaiting sign-off")
    CONFIRMED = "confirmed", _("Signed off")
    REJECTED = "rejected", _("Rejected")


class ExportKind(models.TextChoices):
    DOMAIN_CSV = "domain_csv", _("Domain report (CSV)")
    DOMAIN_PDF = "domain_pdf", _("Domain report (PDF)")
    CHANGE_RECORD = "change_record", _("Change record (PDF)")


# The engine logs the ``cmviewcl`` output of its package-owner check under this host label, so that the domain
# report can show which node ran the package when a run last looked.
PACKAGE_VIEW_HOST = "cmviewcl@{node}"


class FourEyesKind(models.TextChoices):
    """The kinds of four-eyes step a domain sets a number of approvers for (``SignoffQuorum``)."""

    DELETE_DATA = "delete_data", _("Deleting data")
    CLUSTER = "cluster", _("Starting or stopping the cluster")
    MASTER = "master", _("Editing the master management server")
    SKIP = "skip", _("Skipping a step, or counting it done by hand")
    CLOSE = "close", _("Closing a run")
