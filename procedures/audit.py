"""The run's record (``RunEvent``) told as sentences in the reader's language: who did what, when, from where.

The stored event keeps its codes (``claim``, ``signoff_approve``) and the worker's id; the page shows a sentence
and keeps the codes for support in a details view. An action without its own sentence (a newer one) still
reads as "who: from → to", never as a blank.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from procedures.choices import RunState, StepState, WaitReason

# {who}: the person (or "the portal"), {step}: "step 12 (A-24)"; each a whole sentence for the translators.
SENTENCES = {
    ("plan", False): gettext_lazy("{who} planned the run."),
    ("approve", False): gettext_lazy("{who} approved the plan."),
    ("start", False): gettext_lazy("{who} started the run."),
    ("start", True): gettext_lazy("{who} started {step}."),
    ("retry", True): gettext_lazy("{who} started {step} again."),
    ("claim", True): gettext_lazy("A portal worker took {step} to run it."),
    ("finish", True): gettext_lazy("The portal ran {step}: {target}."),
    ("interrupt", True): gettext_lazy("The portal marked {step} interrupted: its worker stopped reporting."),
    ("ask_confirmation", True): gettext_lazy("The portal asked an operator to confirm {step}."),
    ("ask_approval", True): gettext_lazy("The portal asked an approver to approve the command of {step}."),
    ("command_approve", True): gettext_lazy("{who} approved the command of {step}."),
    ("command_reject", True): gettext_lazy("{who} rejected the command of {step}."),
    ("redispatch", True): gettext_lazy("The portal asked the workers again to run {step}."),
    ("rehearsal", False): gettext_lazy("{who} planned the run as a rehearsal on the lab."),
    ("signature_approve_run", False): gettext_lazy("{who} signed the approval of the plan."),
    ("signature_approve_step", True): gettext_lazy("{who} signed the approval of the command of {step}."),
    ("signature_sign_off_step", True): gettext_lazy("{who} signed the sign-off of {step}."),
    ("signature_countersign", True): gettext_lazy("{who} signed the countersignature of {step}."),
    ("signature_close_run", False): gettext_lazy("{who} signed the sign-off of the run."),
    ("tick", True): gettext_lazy("{who} ticked an item of {step}."),
    ("screenshot", True): gettext_lazy("{who} attached a screenshot to {step}."),
    ("confirm", True): gettext_lazy("{who} confirmed {step}."),
    ("signoff_approve", True): gettext_lazy("{who} signed off {step}."),
    ("signoff_reject", True): gettext_lazy("{who} rejected {step}."),
    ("request_skip", True): gettext_lazy("{who} asked to skip {step}."),
    ("request_done", True): gettext_lazy("{who} asked to count {step} as done."),
    ("skip", True): gettext_lazy("{who} countersigned: {step} is skipped."),
    ("done", True): gettext_lazy("{who} countersigned: {step} counts as done."),
    ("abort_requested", True): gettext_lazy("{who} asked to abort the run while {step} was running."),
    ("abort", False): gettext_lazy("{who} aborted the run."),
    ("wait", False): gettext_lazy("The run waits: {target}."),
    ("resume", False): gettext_lazy("{who} continued the run."),
    ("complete", False): gettext_lazy("The run completed: every step is done."),
    ("sign_off", False): gettext_lazy("{who} signed off the run."),
}
FALLBACK = gettext_lazy("{who}: {source} → {target}.")  # the action's code is in the details view

# What each action is called where events are listed by kind (the admin's filter): a name, not the code.
ACTION_NAMES = {
    "plan": pgettext_lazy("run event", "Run planned"),
    "approve": pgettext_lazy("run event", "Plan approved"),
    "start": pgettext_lazy("run event", "Started"),
    "retry": pgettext_lazy("run event", "Step started again"),
    "claim": pgettext_lazy("run event", "Step taken by a worker"),
    "finish": pgettext_lazy("run event", "Step ran"),
    "interrupt": pgettext_lazy("run event", "Step interrupted"),
    "ask_confirmation": pgettext_lazy("run event", "Confirmation asked"),
    "ask_approval": pgettext_lazy("run event", "Command approval asked"),
    "command_approve": pgettext_lazy("run event", "Command approved"),
    "command_reject": pgettext_lazy("run event", "Command rejected"),
    "redispatch": pgettext_lazy("run event", "Step sent to the workers again"),
    "rehearsal": pgettext_lazy("run event", "Planned as a rehearsal"),
    "signature_approve_run": pgettext_lazy("run event", "Plan approval signed"),
    "signature_approve_step": pgettext_lazy("run event", "Command approval signed"),
    "signature_sign_off_step": pgettext_lazy("run event", "Step sign-off signed"),
    "signature_countersign": pgettext_lazy("run event", "Countersignature signed"),
    "signature_close_run": pgettext_lazy("run event", "Run sign-off signed"),
    "tick": pgettext_lazy("run event", "Item ticked"),
    "screenshot": pgettext_lazy("run event", "Screenshot attached"),
    "confirm": pgettext_lazy("run event", "Step confirmed"),
    "signoff_approve": pgettext_lazy("run event", "Step signed off"),
    "signoff_reject": pgettext_lazy("run event", "Step rejected"),
    "request_skip": pgettext_lazy("run event", "Skip asked"),
    "request_done": pgettext_lazy("run event", "Counting as done asked"),
    "skip": pgettext_lazy("run event", "Step skipped (countersigned)"),
    "done": pgettext_lazy("run event", "Step counted done (countersigned)"),
    "abort_requested": pgettext_lazy("run event", "Abort asked"),
    "abort": pgettext_lazy("run event", "Run aborted"),
    "wait": pgettext_lazy("run event", "Run waits"),
    "resume": pgettext_lazy("run event", "Run continued"),
    "complete": pgettext_lazy("run event", "Run completed"),
    "sign_off": pgettext_lazy("run event", "Run signed off"),
}


@dataclass(frozen=True)
class Entry:
    event: object
    sentence: str
    who: str  # the person, or "the portal"
    is_person: bool
    worker: str  # the worker or reaper label, for the details view only


def action_name(code: str) -> str:
    """The action's name in the reader's language; a code without one (a newer action) as it is."""
    return str(ACTION_NAMES.get(code, code))


def _state_label(value: str) -> str:
    for choices in (StepState, RunState):
        if value in choices.values:
            return str(choices(value).label)
    return value or "—"


def step_words(step, planned: dict | None = None) -> str:
    ids = " ".join((planned or {}).get("seed_ids") or ())
    if ids:
        return _("step %(n)s (%(ids)s)") % {"n": step.position, "ids": ids}
    return _("step %(n)s") % {"n": step.position}


def describe(event, planned_steps: list | None = None) -> Entry:
    """One event as a sentence; ``planned_steps`` (the plan snapshot's steps) give the source's IDs."""
    person = bool(event.actor_id)
    who = event.actor.get_username() if person else _("The portal")
    worker = "" if person else (event.actor_label or "")
    step = event.step if event.step_id else None
    planned = None
    if step is not None and planned_steps and 0 < step.position <= len(planned_steps):
        planned = planned_steps[step.position - 1]
    template = SENTENCES.get((event.action, step is not None)) or SENTENCES.get((event.action, False)) or FALLBACK
    target = _state_label(event.target)
    if event.action == "wait":
        target = _wait_words(event) or target
    sentence = str(template).format(
        who=who,
        step=step_words(step, planned) if step is not None else "",
        target=target,
        source=_state_label(event.source),
        action=event.action,
    )
    return Entry(event=event, sentence=sentence, who=who, is_person=person, worker=worker)


def _wait_words(event) -> str:
    reason = (event.details or {}).get("wait_reason", "")
    return str(WaitReason(reason).label) if reason in WaitReason.values and reason else ""


def trail(events, planned_steps: list | None = None) -> list[Entry]:
    return [describe(event, planned_steps) for event in events]
