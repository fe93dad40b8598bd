"""What every page's header needs: how many sign-offs wait for the person logged in, and whether this is a demo."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def demo(request):
    """``portal_demo``: the header and the log-in page say that this portal is a demonstration."""
    return {"portal_demo": getattr(settings, "PORTAL_DEMO", False)}


def approver_queue(request):
    """``approver_queue_count``: counted only when a template reads it (two COUNT queries, procedures.queue)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        from procedures.queue import waiting_count  # portal stays below the apps; the count is theirs to define

        return waiting_count(user)

    return {"approver_queue_count": SimpleLazyObject(count)}


def navigation(request):
    """``nav``: what the header offers this person, read lazily (one query for the domains and roles)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def read():
        from clusters.navigation import header_for  # the inventory knows the domains and their roles

        return header_for(user)

    return {"nav": SimpleLazyObject(read)}
