"""The portal's own texts become stored messages (an id and its parameters, rendered in the reader's language).

Texts written before were stored in the site's language at the time. Each one that reads as one of the portal's
messages, in Japanese or in English, is stored as that message with its parameters (a parameter that is itself
a message is recognised too); anything else (a person's note, a text no message matches) stays as it is and is
shown as it is. Going back renders every stored message in the site's language.
"""

import json
import re

from django.conf import settings
from django.db import migrations
from django.utils import translation

MARK = "\x1e"  # as procedures.texts writes it
MESSAGES = (  # the ids the engine and the services write, as they were when this migration was made
    "Step {n}, attempt {a}: {title}",
    "Package {package} runs on {node}.",
    "Connecting to {host} ({address}:{port}).",
    "Stopping the remote process group {pgid} ({why}).",
    "No process group id was reported; the remote command may still run.",
    "Could not reach the host to stop process group {pgid}: {e}",
    "Process group {pgid} ended after SIGTERM; none of its processes is left.",
    "Process group {pgid} ignored SIGTERM and was killed (SIGKILL); none of its processes is left.",
    "Process group {pgid} is STILL RUNNING after SIGKILL.",
    "Process group {pgid}: unexpected answer {said}.",
    "This step names no host.",
    "This worker could not write its heartbeat for {s} s, so it stopped the command and gave the step up; check "
    "the hosts before a retry. {hosts}",
    "This worker lost the step (reaped or taken over); its verdict is not recorded.",
    "Log lines could not be stored: {e}",
    "Step {n} is done at the console and confirmed here.",
    "Read the output of step {n} and tick its checklist.",
    "Step {n} waits for an approver; nothing is sent to its hosts before the approval.",
    "Aborted before a worker took the step: nothing was sent to its hosts.",
    "Aborted; {why}",
    "Worker {worker} stopped reporting (last heartbeat {at}); the outcome on the host is unknown.",
    "Worker {worker} is gone (its process ended); the outcome on the host is unknown.",
    "exit code {code}",
    "time-out after {s} s",
    "abort",
)
HOST_STATES = ("Pending", "Running", "Succeeded", "Failed", "Timed out", "Aborted", "Unreachable",
               "Host key refused", "Interrupted")  # fmt: skip
FIELD = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern:
    parts, at = [], 0
    for match in FIELD.finditer(template):
        parts.append(re.escape(template[at : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.*?)")
        at = match.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.DOTALL)


def _forms():
    """(msgid, pattern) for each message in each language, and each host state's label in each language."""
    forms, states = [], {}
    for language in ("ja", "en"):
        with translation.override(language):
            for msgid in MESSAGES:
                forms.append((msgid, _pattern(translation.gettext(msgid))))
            for label in HOST_STATES:
                states[translation.gettext(label)] = label
    return forms, states


def _parse(text: str, forms, states, depth: int = 0):
    """The stored form of ``text`` as a message (a dict), or None when it reads as none of them."""
    if depth > 3 or not text:
        return None
    for msgid, pattern in forms:
        match = pattern.fullmatch(text)
        if match:
            params = {k: _parse(v, forms, states, depth + 1) or v for k, v in match.groupdict().items()}
            return {"m": msgid, "p": params} if params else {"m": msgid}
    state, sep, rest = text.partition(": ")
    if sep and state in states:  # a host's verdict line: "<state>: <outcome>"
        return {"m": "{state}: {outcome}", "p": {"state": {"m": states[state]}, "outcome": _parse(rest, forms, states, depth + 1) or rest}}
    return None


def _stored(text: str, forms, states) -> str | None:
    if not text or text.startswith(MARK):
        return None
    body = _parse(text, forms, states)
    return MARK + json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body else None


TARGETS = (  # (model, fields, only the portal's own log lines)
    ("RunLogLine", ("text",), {"stream": "sys"}),
    ("StepRun", ("message",), {}),
    ("StepHostResult", ("message", "abort_outcome"), {}),
    ("ProcedureRun", ("wait_message",), {}),
)


def to_messages(apps, schema_editor):
    forms, states = _forms()
    for model_name, fields, only in TARGETS:
        model = apps.get_model("procedures", model_name)
        changed = []
        for row in model.objects.filter(**only).only("pk", *fields).iterator(chunk_size=2000):
            touched = False
            for field in fields:
                stored = _stored(getattr(row, field), forms, states)
                if stored is not None:
                    setattr(row, field, stored)
                    touched = True
            if touched:
                changed.append(row)
            if len(changed) >= 1000:
                model.objects.bulk_update(changed, fields)
                changed = []
        if changed:
            model.objects.bulk_update(changed, fields)


def _render(value) -> str:
    if isinstance(value, dict) and "t" in value:
        texts = value["t"]
        return texts.get(settings.LANGUAGE_CODE[:2]) or next(iter(texts.values()), "")
    if isinstance(value, dict):
        params = {k: _render(v) for k, v in (value.get("p") or {}).items()}
        try:
            return translation.gettext(value.get("m", "")).format(**params)
        except (KeyError, IndexError, ValueError):
            return value.get("m", "")
    if isinstance(value, list):
        return "; ".join(_render(v) for v in value)
    return "" if value is None else str(value)


def to_text(apps, schema_editor):
    with translation.override(settings.LANGUAGE_CODE):
        for model_name, fields, only in TARGETS:
            model = apps.get_model("procedures", model_name)
            changed = []
            for row in model.objects.filter(**only).only("pk", *fields).iterator(chunk_size=2000):
                touched = False
                for field in fields:
                    value = getattr(row, field)
                    if value and value.startswith(MARK):
                        try:
                            setattr(row, field, _render(json.loads(value[1:])))
                            touched = True
                        except ValueError:
                            pass
                if touched:
                    changed.append(row)
            for i in range(0, len(changed), 1000):
                model.objects.bulk_update(changed[i : i + 1000], fields)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0008_signoff_quorum_and_rehearsals")]

    operations = [migrations.RunPython(to_messages, to_text, elidable=True)]
