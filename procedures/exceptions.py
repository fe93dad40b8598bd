"""Errors of runs and steps an operator can act on: each carries its HTTP status and a translated message."""

from django.utils.translation import gettext_lazy as _

from portal.errors import NotAllowed, PortalError

__all__ = [
    "AlreadySignedOff",
    "ClusterBusy",
    "ConnectionFailed",
    "FingerprintMismatch",
    "HostKeyChangeOpen",
    "HostKeyChangeState",
    "HostKeyChanged",
    "HostKeyUnknown",
    "NotAllowed",
    "PlanUnavailable",
    "RejectedNotDone",
    "RequestChanged",
    "RequestNotNamed",
    "RunStateConflict",
    "ScreenshotRefused",
    "SecondPersonRequired",
    "SelfApprovalRefused",
    "ServerBusy",
    "SiteCommandsBroken",
    "StepStateConflict",
]


class RunStateConflict(PortalError):
    status, code, message = 409, "run_state", _("Run {run} is {state}; it cannot be {action} now.")


class StepStateConflict(PortalError):
    status, code, message = 409, "step_state", _("Step {step} is {state}; it cannot be {action} now.")


class ClusterBusy(PortalError):
    status, code, message = (
        409,
        "cluster_busy",
        _("Cluster {cluster} is held by run {run} ({holder}); try again when it ends."),
    )


class ServerBusy(ClusterBusy):
    """Another run holds a server this run's plan touches (its own, the master, a fan-out's target)."""

    code, message = (
        "server_busy",
        _(
            "{server} is held by run {run} ({holder}); this run touches it too, so it cannot start before that "
            "run ends."
        ),
    )


class RequestNotNamed(PortalError):
    status, code, message = (
        400,
        "request_not_named",
        _("A countersign names the request it approves; reload the page, read the request and countersign again."),
    )
    field = "request"


class RequestChanged(PortalError):
    status, code, message = (
        409,
        "request_changed",
        _(
            "The request you read on step {step} is no longer the one that waits (now: {who} asks “{what}” because "
            "“{why}”); nothing was countersigned. Read it again first."
        ),
    )


class RejectedNotDone(PortalError):
    status, code, message = (
        409,
        "rejected_not_done",
        _("{who} rejected step {step} (“{why}”); it cannot be counted done by hand. Retry it or ask to skip it."),
    )


class SelfApprovalRefused(PortalError):
    status, code, message = 409, "self_approval", _("You {did}; another person must {action}.")


class AlreadySignedByYou(PortalError):
    status, code, message = (
        409,
        "already_signed_by_you",
        _("You have signed this already ({count} of {needed}); it waits for another approver."),
    )


class RehearsalRequired(PortalError):
    status, code, message = (
        409,
        "rehearsal_required",
        _(
            "Not approved: the rule of domain {domain} “{rule}” asks for a successful rehearsal on the lab of this "
            "plan (digest {digest}) first, and there is none."
        ),
    )


class RehearsalUnavailable(PortalError):
    status, code, message = 409, "rehearsal_unavailable", _("No rehearsal on the lab: {detail}")


class SecondPersonRequired(PortalError):
    status, code, message = 409, "second_person", _("{user} asked for this; a second person must countersign it.")


class ReasonRequired(PortalError):
    status, code, message = 400, "reason_required", _("Give a reason.")
    field = "reason"


class UnknownVerdict(PortalError):
    status, code, message = 400, "verdict", _("“{verdict}” is not a sign-off decision: approve or reject.")
    field = "verdict"


class ChecklistIncomplete(PortalError):
    status, code, message = 400, "checklist", _("Tick every item of the checklist first: {missing}.")
    field = "checklist"


class PlanUnavailable(PortalError):
    status, code, message = 400, "plan", _("No plan can be made: {detail}")


class SiteCommandsBroken(PortalError):
    """A site's stored command lines break the registry's rules; planning stops rather than use other lines."""

    status, code, message = (
        400,
        "site_commands",
        _(
            "The command lines stored for site {site} cannot be used: {detail} "
            "A superuser corrects them in the admin; until then no plan is made for this site."
        ),
    )


class HostKeyUnknown(PortalError):
    status, code, message = (
        409,
        "host_key_unknown",
        _(
            "Host {host} has no pinned host key; it presented {seen}. "
            "Verify the connection and confirm the fingerprint first."
        ),
    )


class HostKeyChanged(PortalError):
    status, code, message = (
        409,
        "host_key_changed",
        _("Host key of {host} has CHANGED: it presented {seen}, the pinned key is {expected}. Nothing was sent."),
    )


class HostKeyChangeOpen(PortalError):
    """A step does not start on a machine whose new host key is not pinned by two people yet."""

    status, code, message = (
        409,
        "host_key_change_open",
        _(
            "Host {host} presented a new host key ({new}; pinned: {old}). No step runs on it until a domain "
            "administrator accepts the new key and a second person signs that off; then continue the run."
        ),
    )


class HostKeyChangeState(PortalError):
    status, code, message = 409, "host_key_change_state", _("The host key change of {host} is {state}; not now.")


class FingerprintMismatch(PortalError):
    status, code, message = (
        409,
        "fingerprint_mismatch",
        _("Host {host} now presents {seen}, not the {confirmed} you confirmed; nothing was pinned."),
    )


class HostKeyAlreadyPinned(PortalError):
    status, code, message = (
        409,
        "host_key_pinned",
        _("Host {host} already has a pinned key ({expected}); a domain administrator changes it in the inventory."),
    )


class ConnectionFailed(PortalError):
    status, code, message = 502, "connection", _("Cannot reach {host} at {address}: {detail}")


class NoCredential(PortalError):
    status, code, message = 400, "credential", _("Host {host} has no SSH credential in the inventory.")


class PackageOwnerUnknown(PortalError):
    status, code, message = 409, "package_owner", _("No node among {candidates} reports package {package} running.")


class PackageOwnerUnreachable(PackageOwnerUnknown):
    """As ``PackageOwnerUnknown``, with why nodes could not be asked: ``errors`` are the nodes' refusals, kept as
    errors (each with its message id), so that the stored message reads in its reader's language."""

    message = _("No node among {candidates} reports package {package} running ({errors}).")

    def __init__(self, *, errors: list[PortalError], **params):
        super().__init__(errors=list(errors), **params)
        self.args = (str(self.template).format(**{**params, "errors": "; ".join(map(str, errors))}),)


class AlreadySignedOff(PortalError):
    """The second of two people clicking at once: the first decision stands, and says whose it is."""

    status, code, message = (
        409,
        "already_signed_off",
        _("{what} was already signed off by {who}; yours was not recorded."),
    )


class ScreenshotRefused(PortalError):
    status, code, message = 400, "screenshot", _("The screenshot {name} was refused: {reason}.")
    field = "screenshot"


class NotAMailServer(PortalError):
    status, code, message = 400, "not_a_mail_server", _("{server} is not a mail server; mhs_nadr_cfg is not its duty.")


class NodeOfServerRequired(PortalError):
    status, code, message = (
        400,
        "node_required",
        _("Choose a node of {server}'s cluster for a clustered server, and none for a standalone one."),
    )


class DoneInTheFuture(PortalError):
    status, code, message = 400, "done_in_future", _("The time it was done cannot be in the future.")


class DutyRecordDecided(PortalError):
    status, code, message = 409, "duty_record_decided", _("This record is already decided ({state}).")


class BadReportParameter(PortalError):
    status, code, message = 400, "report_parameter", _("{name}: {problem}")
