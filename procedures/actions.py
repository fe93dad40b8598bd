"""What a person can do to a run or a step, once: the action's names, the service it calls and what it is given.

The run page's buttons (``views/runs.py``) and the JSON API (``api/views.py``) both take their actions from
``RUN_ACTIONS`` and ``STEP_ACTIONS`` here, so a button and its API twin call the same service function with the
same values. Each ``Action`` names:

* ``call(pk, user, address, data)``: the service call; ``data`` is the page's POST or the API's validated body,
  read with the action's defaults (the API's serializers fill their own in, so both read the same values);
* ``body``: the shape of what it is given, a key of the API's serializers (``api/views.py`` ``BODIES``);
* ``page`` / ``api``: its name in the page's URL and in the API's URL ("" where it is not offered there: a
  console step's confirmation has its own page with the screenshot upload, ``views/console.py``);
* ``done``: what the page says after it; ``summary``: what the API's schema says of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from procedures import services
from procedures.choices import Resolution, Verdict


@dataclass(frozen=True)
class Action:
    call: Callable
    body: str
    page: str
    api: str
    done: str = ""
    summary: str = ""


RUN_ACTIONS: tuple[Action, ...] = (
    Action(
        lambda pk, user, address, d: services.approve_run(pk, user=user, address=address, note=d.get("note", "")),
        body="note",
        page="approve",
        api="approve",
        done=_("Run approved."),
        summary="Approve the plan (an approver who did not plan it).",
    ),
    Action(
        lambda pk, user, address, d: services.start_run(pk, user=user, address=address),
        body="empty",
        page="start",
        api="start",
        done=_("Run started."),
        summary="Start an approved run: it takes its cluster and runs step 1.",
    ),
    Action(
        lambda pk, user, address, d: services.resume_run(pk, user=user, address=address),
        body="empty",
        page="resume",
        api="resume",
        done=_("Run continued."),
        summary="Continue a run that waits for an operator's go.",
    ),
    Action(
        lambda pk, user, address, d: services.abort_run(pk, user=user, reason=d.get("reason", ""), address=address),
        body="reason",
        page="abort",
        api="abort",
        done=_("Abort requested; a running command is stopped on its host first."),
        summary="Abort the run; a running command is stopped on its host first.",
    ),
    Action(
        lambda pk, user, address, d: services.sign_off_run(pk, user=user, address=address, note=d.get("note", "")),
        body="note",
        page="sign-off",
        api="close",
        done=_("Run signed off."),
        summary="Sign the completed run off (an approver who did not work on it).",
    ),
)


STEP_ACTIONS: tuple[Action, ...] = (
    Action(
        lambda pk, user, address, d: services.confirm_step(
            pk,
            user=user,
            ticked=[key for key, ticked in d["checklist"].items() if ticked],
            note=d.get("note", ""),
            address=address,
        ),
        body="confirm",
        page="",  # the page's confirmation has its own view, with the screenshot upload (views/console.py)
        api="confirm",
        summary="Confirm a console step (or an executed step's output): every checklist item ticked.",
    ),
    Action(
        lambda pk, user, address, d: services.sign_off_step(
            pk, user=user, verdict=d.get("verdict", Verdict.APPROVE), note=d.get("note", ""), address=address
        ),
        body="sign_off",
        page="sign-off",
        api="sign-off",
        done=_("Sign-off recorded."),
        summary="Sign a four-eyes step off: approve, or reject with a note (not who did the step).",
    ),
    Action(
        lambda pk, user, address, d: services.approve_step(
            pk, user=user, verdict=d.get("verdict", ""), note=d.get("note", ""), address=address
        ),
        body="sign_off",
        page="approve",
        api="approve",
        done=_("Decision recorded; an approved command is sent now."),
        summary="Approve a four-eyes step's exact commands and hosts before anything is sent (or reject with a note).",
    ),
    Action(
        lambda pk, user, address, d: services.countersign(pk, user=user, request=d.get("request"), address=address),
        body="countersign",
        page="countersign",
        api="countersign",
        done=_("Countersigned."),
        summary="Countersign the requested skip or mark-done you read, named by its number (a second person).",
    ),
    Action(
        lambda pk, user, address, d: services.retry_step(pk, user=user, address=address),
        body="empty",
        page="retry",
        api="retry",
        done=_("Step started again."),
        summary="Run a failed or interrupted step again.",
    ),
    Action(
        lambda pk, user, address, d: services.request_resolution(
            pk, user=user, resolution=Resolution.SKIP, reason=d.get("reason", ""), address=address
        ),
        body="reason",
        page="request-skip",
        api="skip",
        done=_("Skip requested; a second person countersigns it."),
        summary="Ask to skip the step; a second person countersigns it.",
    ),
    Action(
        lambda pk, user, address, d: services.request_resolution(
            pk, user=user, resolution=Resolution.DONE, reason=d.get("reason", ""), address=address
        ),
        body="reason",
        page="request-done",
        api="mark-done",
        done=_("Asked to count the step done; a second person countersigns it."),
        summary="Ask to count a failed step done by hand; a second person countersigns it.",
    ),
    Action(
        lambda pk, user, address, d: services.abort_step(pk, user=user, reason=d.get("reason", ""), address=address),
        body="reason",
        page="abort",
        api="abort",
        done=_("Abort requested; the command's process group is stopped on its host."),
        summary="Stop the running step's command on its host; the run then waits.",
    ),
)


def on_pages(actions) -> dict[str, Action]:
    """The actions the run page offers, by their name in its URL."""
    return {a.page: a for a in actions if a.page}


def in_api(actions) -> dict[str, Action]:
    """The actions the API offers, by their name in its URL (the order is the schema's)."""
    return {a.api: a for a in actions if a.api}
