from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clusters.admin import SuperuserOnlyAdmin
from procedures.catalog import commands as settings_registry
from procedures.forms import SiteCommandSettingsForm
from procedures.models import SiteCommandSettings


@admin.register(SiteCommandSettings)
class SiteCommandSettingsAdmin(SuperuserOnlyAdmin):
    """A site's command lines: one field per catalog key, empty = the catalog's default (flaw 7)."""

    form = SiteCommandSettingsForm
    list_display = ("site", "changed_keys")

    def get_fields(self, request, obj=None):
        return ["site", *settings_registry.REGISTRY]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = ["site"]  # the command-line fields are the form's own, added per registry key
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=_("changed command lines"))
    def changed_keys(self, obj):
        return ", ".join(sorted(obj.overrides or {})) or "—"


from procedures.admin import runs  # noqa: F401, E402  (registers the runs' read-only admin)
