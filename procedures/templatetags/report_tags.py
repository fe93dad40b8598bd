"""Small filters of the report templates (page and PDF)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def minutes(seconds):
    """A duration as "1 h 05 min" or "12 min"."""
    if seconds is None:
        return ""
    total = round(float(seconds) / 60)
    hours, mins = divmod(total, 60)
    return _("{h} h {m:02d} min").format(h=hours, m=mins) if hours else _("{m} min").format(m=mins)
