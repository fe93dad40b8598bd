"""Per-site command lines for what K.5 does not spell out: how to activate a VG, install, start a service…

The keys, defaults and rules live with the catalog (``procedures/catalog/commands.py``); a site stores only
the lines it changes, and a stored line that breaks those rules stops planning for the site.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SiteCommands(models.Model):
    site = models.OneToOneField(
        "clusters.Site", on_delete=models.CASCADE, related_name="commands", verbose_name=_("site")
    )
    overrides = models.JSONField(
        _("command line overrides"),
        default=dict,
        blank=True,
        help_text=_("Command-line templates that replace the catalog's HP-UX defaults for this site, by key."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name, verbose_name_plural = _("site command lines"), _("site command lines")

    def __str__(self):
        return str(self.site)
