"""Records the domain report reads or writes, in the admin: read-only, and only those of the user's domains.

A duty done outside the portal (``DutyRecord``) is recorded and signed off on the duty page
(``procedures.duties``, two people); an export (``ReportExport``) is written by the export itself. Neither is
added, changed or deleted here, so the admin is a window on them, scoped like the pages.
"""

from django.contrib import admin

from clusters.admin import RecordsOnly
from clusters.querysets import domains_where
from procedures.admin.runs import StoredTexts
from procedures.models import DutyRecord, ReportExport


class DomainRecordAdmin(RecordsOnly, StoredTexts, admin.ModelAdmin):
    domain_path = "domain"  # how the record reaches its AddressDomain

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.domain_path}__in": domains_where(request.user)})

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        if obj is None or not allowed or request.user.is_superuser:
            return allowed
        return self.get_queryset(request).filter(pk=obj.pk).exists()


@admin.register(DutyRecord)
class DutyRecordAdmin(DomainRecordAdmin):
    domain_path = "server__domain"
    list_display = ("done_at", "server", "node", "state", "recorded_by", "decided_by")
    list_filter = ("state",)
    list_select_related = ("server", "node", "recorded_by", "decided_by")


@admin.register(ReportExport)
class ReportExportAdmin(DomainRecordAdmin):
    list_display = ("at", "kind", "domain", "run", "user", "address")
    list_filter = ("kind",)
    list_select_related = ("domain", "user")
