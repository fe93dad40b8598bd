"""Inventory history with the address a change came from (django-simple-history + its request middleware)."""

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class AddressedHistory(models.Model):
    """Base of every historical inventory row: the client address of the request that made the change."""

    history_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    class Meta:
        abstract = True


def inventory_history() -> HistoricalRecords:
    return HistoricalRecords(bases=[AddressedHistory])


@receiver(pre_create_historical_record)
def _remember_address(sender, history_instance, **kwargs):
    if not hasattr(history_instance, "history_address"):
        return
    if history_instance.history_change_reason is None:  # the admin's history shows a missing one as "None"
        history_instance.history_change_reason = ""
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None:
        history_instance.history_address = request.META.get("REMOTE_ADDR")


# Why a change was made, as the history stores it: a fixed English text (a message id, ``gettext_noop``) that the
# admin's history shows in the reader's language (templates/simple_history/object_history_list.html). Who made the
# change is the history's user and what changed is its diff, so a reason names neither; it also stays within the
# history's 100 characters, which PostgreSQL enforces (a reason with two SHA256 fingerprints did not).
CREATED = gettext_noop("Created in the portal")
CHANGED = gettext_noop("Changed in the portal")
ROLE_GIVEN = gettext_noop("Role given in the portal")
ROLE_REMOVED = gettext_noop("Role removed in the portal")
KEY_PRESENTED = gettext_noop("The machine presented another host key than the pinned one")
KEY_CONFIRMED = gettext_noop("Host key fetched and confirmed")
KEY_ACCEPTED = gettext_noop("New host key accepted: it waits for a second person's sign-off")
KEY_REJECTED = gettext_noop("New host key rejected: the pinned key stays")
KEY_SIGNED_OFF = gettext_noop("New host key signed off by a second person and pinned")


# django-simple-history names its kinds of change in English only: the portal says them in the reader's language.
KINDS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


def _shown(field, value):
    """A value as the reader knows it: a choice by its label (a role as "Operator", not "operator")."""
    return dict(field.flatchoices).get(value, value) if field.choices else value


def changes(obj, limit: int = 50) -> list[dict]:
    """The object's history, newest first, each entry with who, when, from where and what changed how."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        diff = []
        if older is not None:
            delta = newer.diff_against(older)
            diff = [
                {"field": str(field.verbose_name), "old": _shown(field, c.old), "new": _shown(field, c.new)}
                for c in delta.changes
                for field in [obj._meta.get_field(c.field)]
            ]
        entries.append(
            {
                "when": newer.history_date,
                "who": newer.history_user,
                "address": newer.history_address,
                "kind": KINDS.get(newer.history_type) or newer.get_history_type_display(),
                "changes": diff,
            }
        )
    return entries
