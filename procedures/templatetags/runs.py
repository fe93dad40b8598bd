"""Template filters of the run pages: durations and step labels in the reader's language."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from procedures import places

register = template.Library()


@register.filter
def duration(value) -> str:
    """``timedelta`` → "2 h 05 min", "3 min 20 s", "12 s"; empty for None."""
    if value is None or value == "":
        return ""
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else float(value))
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


@register.inclusion_tag("procedures/_cluster_offers.html", takes_context=True)
def procedure_offers(context, cluster):
    """The cluster page's "Plan from here": the procedures that fit its server, each with its options."""
    return {"offers": places.offers_for(cluster), "cluster": cluster, "request": context.get("request")}


@register.inclusion_tag("procedures/_run_history.html", takes_context=True)
def run_history(context, cluster=None, domain=None):
    """The latest runs of a cluster or a domain, as the person may see them, and the way to all of them."""
    user = context["request"].user
    return {"history": places.history(user, cluster=cluster, domain=domain), "request": context.get("request")}
