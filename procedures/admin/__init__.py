from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clusters.admin import SuperuserOnlyAdmin
from procedures.catalog import commands as site_commands
from procedures.forms import SiteCommandsForm
from procedures.models import SiteCommands


@admin.register(SiteCommands)
class SiteCommandsAdmin(SuperuserOnlyAdmin):
    """A site's command lines: one field per catalog key, empty = the catalog's default. Superusers only."""

    form = SiteCommandsForm
    list_display = ("site", "changed_keys")

    def get_fields(self, request, obj=None):
        return ["site", *site_commands.REGISTRY]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = ["site"]  # the command-line fields are the form's own, added per registry key
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=_("changed command lines"))
    def changed_keys(self, obj):
        overrides = obj.overrides if isinstance(obj.overrides, dict) else {}
        return ", ".join(sorted(overrides)) or "—"


from procedures.admin import records, rules, runs  # noqa: F401, E402  (register the runs', records' and rules' admin)
