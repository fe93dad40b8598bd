"""Per-site command lines for what K.5 does not name (flaw 7): how to activate a VG, install, start…

The defaults live with the catalog (procedures/catalog/); a site stores only the lines it changes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SiteCommandSettings(models.Model):
    site = models.OneToOneField(
        "clusters.Site", on_delete=models.CASCADE, related_name="command_settings", verbose_name=_("site")
    )
    overrides = models.JSONField(
        _("command line overrides"),
        default=dict,
        blank=True,
        help_text=_("Command-line templates that replace the catalog's HP-UX defaults for this site, by key."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name, verbose_name_plural = _("site command settings"), _("site command settings")

    def __str__(self):
        return str(self.site)
