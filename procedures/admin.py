from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from procedures.models import SiteCommandSettings


@admin.register(SiteCommandSettings)
class SiteCommandSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("site",)
