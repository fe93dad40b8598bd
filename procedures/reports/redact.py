"""The last guard of every export: no private-key material in any cell, whatever a person or a command wrote.

The log writer masks key blocks as lines arrive; exports also carry free text typed by people (reasons, notes,
messages), so every string an export writes passes through ``redact`` as well.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import fields, is_dataclass
from functools import cache

from procedures.execution.logwriter import MASK

KEY_MATERIAL = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)"
    r"|-----(?:BEGIN|END) [A-Z0-9 ]*PRIVATE KEY-----"
    r"|b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/=]*",  # the base64 body of an OpenSSH private key ("openssh-key-v1")
    re.S,
)


_PLAIN = (int, float, dt.date, dt.timedelta, type(None))  # nothing to redact in them (bool is an int)


def redact(value):
    """``value`` with any private-key material replaced by the log writer's mask; non-strings pass through."""
    if isinstance(value, str) and ("PRIVATE KEY" in value or "b3BlbnNzaC1rZXktdjE" in value):
        return KEY_MATERIAL.sub(MASK, value)
    return value


@cache
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def redact_all(obj):
    """Every string inside ``obj`` (dataclasses, lists, dicts) redacted, in place; returns ``obj``.

    A report holds some 5,000 values: the walk looks at each once, strings with two ``in`` tests, and steps over
    numbers, dates and None without a call."""
    if isinstance(obj, list):
        for i, value in enumerate(obj):
            if isinstance(value, str):
                obj[i] = redact(value)
            elif not isinstance(value, _PLAIN):
                redact_all(value)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str):
                obj[key] = redact(value)
            elif not isinstance(value, _PLAIN):
                redact_all(value)
    elif is_dataclass(obj) and not isinstance(obj, type):
        for name in _field_names(type(obj)):
            value = getattr(obj, name)
            if isinstance(value, str):
                if (clean := redact(value)) is not value:
                    object.__setattr__(obj, name, clean)
            elif not isinstance(value, _PLAIN):
                redact_all(value)
    return obj
