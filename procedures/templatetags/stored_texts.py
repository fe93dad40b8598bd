"""Texts the portal stored for any reader, in the reader's language: ``{{ value|shown }}`` (a message, procedures.texts)
and ``{{ label|host }}`` (a host label, procedures.plan)."""

from django import template

from procedures.plan import host_shown
from procedures.texts import render_message

register = template.Library()


@register.filter
def shown(value) -> str:
    return render_message(value)


@register.filter
def host(label) -> str:
    """A host label ("gmx1a (node 1)", or several joined by ", ") in the reader's language (``plan.host_shown``)."""
    return ", ".join(host_shown(part) for part in str(label or "").split(", "))
