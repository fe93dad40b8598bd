"""A host label named in a stored message becomes a message of its own, rendered in the reader's language.

Messages stored before named their host by its label as a literal ("gmx1a (node 1)"), which every reader read in
English. Each ``host`` parameter that is one of the label's forms (``procedures.plan``: a node, a standalone
server, the node running a package) is stored as that form's message with its parameters. The labels themselves
(plan snapshots, host results, the log's host column) stay as they are: they are keys. Going back writes the
literal label again.
"""

import json
import re

from django.db import migrations

MARK = "\x1e"  # as procedures.texts writes it
FORMS = (  # as procedures.plan writes them when this migration was made
    ("{host} (node {position})", re.compile(r"(?P<host>\S+) \(node (?P<position>[12])\)")),
    ("{host} (standalone)", re.compile(r"(?P<host>\S+) \(standalone\)")),
    ("{server}: node running package {package}", re.compile(r"(?P<server>\S+): node running package (?P<package>\S+)")),
)
TARGETS = (  # (model, fields, only the portal's own log lines)
    ("RunLogLine", ("text",), {"stream": "sys"}),
    ("StepRun", ("message",), {}),
    ("StepHostResult", ("message", "abort_outcome"), {}),
    ("ProcedureRun", ("wait_message",), {}),
)


def _as_message(label: str):
    for msgid, pattern in FORMS:
        match = pattern.fullmatch(label)
        if match:
            return {"m": msgid, "p": match.groupdict()}
    return None


def _as_label(value):
    for msgid, _pattern in FORMS:
        if isinstance(value, dict) and value.get("m") == msgid:
            return msgid.format(**value.get("p", {}))
    return None


def _walk(value, change):
    """``value`` with every ``host`` parameter changed by ``change`` (None: left as it is)."""
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    if not isinstance(value, dict) or "m" not in value:
        return value
    params = {}
    for name, v in (value.get("p") or {}).items():
        changed = change(v) if name == "host" else None
        params[name] = changed if changed is not None else _walk(v, change)
    return {**value, "p": params} if params else value


def _rewrite(apps, change):
    for model_name, fields, only in TARGETS:
        model = apps.get_model("procedures", model_name)
        rows = model.objects.filter(**only)
        changed = []
        for row in rows.only("pk", *fields).iterator(chunk_size=2000):
            touched = False
            for field in fields:
                stored = getattr(row, field) or ""
                if not stored.startswith(MARK) or '"host"' not in stored:
                    continue
                try:
                    body = json.loads(stored[1:])
                except ValueError:
                    continue
                new = MARK + json.dumps(_walk(body, change), ensure_ascii=False, separators=(",", ":"))
                if new != stored:
                    setattr(row, field, new)
                    touched = True
            if touched:
                changed.append(row)
            if len(changed) >= 1000:
                model.objects.bulk_update(changed, fields)
                changed = []
        if changed:
            model.objects.bulk_update(changed, fields)


def to_messages(apps, schema_editor):
    _rewrite(apps, lambda v: _as_message(v) if isinstance(v, str) else None)


def to_labels(apps, schema_editor):
    _rewrite(apps, _as_label)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0011_report_period_index")]

    operations = [migrations.RunPython(to_messages, to_labels)]
