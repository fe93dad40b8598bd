"""Runs in the admin: read-only. Changes go through the run page, where the services check and record them."""

from django.contrib import admin

from procedures.models import ClusterLock, ProcedureRun, RunEvent, StepHostResult, StepRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = StepRun
    fields = ("position", "key", "kind", "state", "attempt", "executed_by", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = RunEvent
    fields = ("at", "action", "step", "source", "target", "actor", "actor_label", "reason", "address")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProcedureRun)
class ProcedureRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "procedure", "cluster", "state", "planned_by", "created_at")
    list_filter = ("state", "procedure")
    inlines = (StepInline, EventInline)
    exclude = ("plan",)


@admin.register(StepRun)
class StepRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "run", "position", "key", "state", "attempt", "heartbeat_at")
    list_filter = ("state", "kind")


@admin.register(StepHostResult)
class StepHostResultAdmin(ReadOnlyAdmin):
    list_display = ("step", "attempt", "host_label", "state", "exit_code", "pgid")


@admin.register(RunEvent)
class RunEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "run", "step", "action", "source", "target", "actor", "actor_label", "address")
    list_filter = ("action",)


@admin.register(ClusterLock)
class ClusterLockAdmin(ReadOnlyAdmin):
    list_display = ("cluster", "run", "step", "acquired_at")
