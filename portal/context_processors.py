"""What every page's header needs: how many sign-offs wait for the person logged in."""

from django.utils.functional import SimpleLazyObject


def approver_queue(request):
    """``approver_queue_count``: counted only when a template reads it (two COUNT queries, procedures.queue)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        from procedures.queue import waiting_count  # portal stays below the apps; the count is theirs to define

        return waiting_count(user)

    return {"approver_queue_count": SimpleLazyObject(count)}
