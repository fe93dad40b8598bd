"""Texts that libraries show on the portal's pages but ship without a Japanese translation.

django-simple-history (the administration's change history) has no ``ja`` catalog. Django looks a text up in
every catalog of the active language, the project's ``locale/`` first, so the Japanese of these texts lives in
``locale/ja/LC_MESSAGES/django.po``; naming them here keeps ``makemessages`` from dropping them as obsolete.
Nothing imports this module.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

SIMPLE_HISTORY = (
    gettext_noop("Change history: %s"),
    gettext_noop("View history: %s"),
    gettext_noop("View %s"),
    gettext_noop("Revert %s"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop("Deleted %(type_name)s"),
    gettext_noop("History"),
    gettext_noop("Object"),
    gettext_noop("Date/time"),
    gettext_noop("Comment"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("None"),
    gettext_noop("Close"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Press the 'Change History' button below to edit the history."),
    gettext_noop("You may edit it again below"),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    ngettext_lazy("entry", "entries", 2),
)
