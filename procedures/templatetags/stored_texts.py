"""``{{ value|shown }}``: a text the portal stored as a message (procedures.texts), in the reader's language."""

from django import template

from procedures.texts import render_message

register = template.Library()


@register.filter
def shown(value) -> str:
    return render_message(value)
