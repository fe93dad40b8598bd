"""Runs in the admin: read-only, and the audit trail (events, screenshots) can be neither added, changed nor deleted.

The one thing the admin does is the card's "admin forms capture checklists for GUI-only steps": a console
step awaiting confirmation gets a form (checklist, note, screenshot) that calls ``services.confirm_step``,
the same function as the run page, so the same checks apply and the same events are recorded.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from clusters.admin import RecordsOnly
from portal.errors import PortalError
from procedures import audit, services
from procedures.choices import StepState
from procedures.forms import ConsoleConfirmForm
from procedures.models import ConsoleScreenshot, ProcedureRun, RunEvent, ServerLock, StepHostResult, StepRun
from procedures.plan import host_shown
from procedures.texts import localised, render_message


@admin.display(description=gettext_lazy("what happened"))
def _what_happened(obj):
    """An event as the run page tells it, in the reader's language (``audit.describe``); its codes stay below."""
    return audit.describe(obj).sentence if obj is not None else ""


def _shown(field: str, label):
    """A read-only column showing a text the portal stored as a message (procedures.texts) in the reader's language."""

    @admin.display(description=label)
    def show(self, obj):
        return render_message(getattr(obj, field, "")) if obj is not None else ""

    return show


class StoredTexts:
    """The portal's stored messages shown rendered, never as stored: ``<field>_shown`` stands in for ``<field>``."""

    STORED = ("message", "wait_message", "abort_outcome", "reason")
    message_shown = _shown("message", gettext_lazy("outcome"))
    wait_message_shown = _shown("wait_message", gettext_lazy("why it waits"))
    abort_outcome_shown = _shown("abort_outcome", gettext_lazy("abort outcome"))
    reason_shown = _shown("reason", gettext_lazy("why"))

    def _stored_here(self):
        names = {f.name for f in self.model._meta.get_fields()}
        return [name for name in self.STORED if name in names]

    def get_exclude(self, request, obj=None):
        return (*(super().get_exclude(request, obj) or ()), *self._stored_here())

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *(f"{name}_shown" for name in self._stored_here()))


class ReadOnlyAdmin(RecordsOnly, StoredTexts, admin.ModelAdmin):
    """Read-only, and only the runs of domains where the staff user holds a role (as on the run pages)."""

    run_path = "run"  # how this model reaches its ProcedureRun ("" for the run itself)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = ProcedureRun.objects.visible_to(request.user).values("pk")
        return queryset.filter(**{f"{self.run_path}__in" if self.run_path else "pk__in": visible})


class StepInline(admin.TabularInline):
    model = StepRun
    fields = ("position", "key", "kind_shown", "state", "attempt", "executed_by", "message_shown")
    readonly_fields = fields
    kind_shown = admin.display(description=gettext_lazy("kind"))(lambda self, obj: obj.kind_label if obj else "")
    message_shown = _shown("message", gettext_lazy("outcome"))
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = RunEvent
    fields = ("at", "what_happened", "step", "actor", "reason_shown", "address")
    readonly_fields = fields
    what_happened = staticmethod(_what_happened)
    reason_shown = _shown("reason", gettext_lazy("why"))
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProcedureRun)
class ProcedureRunAdmin(ReadOnlyAdmin):
    run_path = ""
    list_display = ("id", "procedure", "cluster", "state", "planned_by", "created_at")
    list_filter = ("state", "procedure")
    inlines = (StepInline, EventInline)
    exclude = ("plan",)


@admin.register(StepRun)
class StepRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "run", "position", "key", "state", "attempt", "heartbeat_at", "confirm_link")
    list_filter = ("state", "kind")
    readonly_fields = ("confirm_link",)
    actions = ("confirm_console_step",)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="procedures_steprun_confirm",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("confirmation"))
    def confirm_link(self, obj):
        if obj is None or obj.state != StepState.AWAITING_CONFIRMATION:
            return "—"
        url = reverse("admin:procedures_steprun_confirm", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Confirm with the checklist…"))

    @admin.action(description=gettext_lazy("Confirm the selected console step with its checklist"))
    def confirm_console_step(self, request, queryset):
        waiting = list(queryset.filter(state=StepState.AWAITING_CONFIRMATION)[:2])
        if len(waiting) != 1:
            self.message_user(request, _("Select exactly one step that awaits confirmation."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:procedures_steprun_confirm", args=[waiting[0].pk]))

    def confirm_view(self, request, object_id):
        step = self.get_queryset(request).select_related("run__cluster").filter(pk=object_id).first()
        if step is None:
            raise Http404
        if not self.has_view_permission(request, step):
            raise PermissionDenied
        change_url = reverse("admin:procedures_steprun_change", args=[step.pk])
        form = ConsoleConfirmForm(request.POST or None, request.FILES or None, checklist=step.planned.checklist)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.confirm_step(
                    step.pk,
                    user=request.user,
                    ticked=data["checked"],
                    note=data["note"],
                    screenshot=data["screenshot"],
                    address=request.META.get("REMOTE_ADDR") or None,
                )
            except PortalError as e:
                self.message_user(request, str(e), messages.ERROR)
            except (TransitionNotAllowed, ConcurrentTransition):
                self.message_user(request, _("Someone changed this first; reload the page."), messages.ERROR)
            else:
                self.message_user(request, _("Step confirmed."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Confirm step {n}: {title}").format(n=step.position, title=step.title),
            "step": step,
            "form": form,
            "instruction": localised(step.planned.instruction),
            "change_url": change_url,
            "awaiting": step.state == StepState.AWAITING_CONFIRMATION,
        }
        return TemplateResponse(request, "admin/procedures/steprun/confirm.html", context)


@admin.register(StepHostResult)
class StepHostResultAdmin(ReadOnlyAdmin):
    run_path = "step__run"
    list_display = ("step", "attempt", "host_shown", "state", "exit_code", "pgid")

    @admin.display(description=gettext_lazy("host"))
    def host_shown(self, obj):
        return host_shown(obj.host_label)


class ActionFilter(admin.SimpleListFilter):
    """Events by kind, each kind by its name in the reader's language (``audit.ACTION_NAMES``), not its code."""

    title = gettext_lazy("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(((code, audit.action_name(code)) for code in audit.ACTION_NAMES), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(RunEvent)
class RunEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "run", "step", "what_happened", "actor", "address")
    what_happened = staticmethod(_what_happened)
    list_filter = (ActionFilter,)


@admin.register(ServerLock)
class ServerLockAdmin(ReadOnlyAdmin):
    list_display = ("server", "run", "acquired_at")


@admin.register(ConsoleScreenshot)
class ConsoleScreenshotAdmin(ReadOnlyAdmin):
    run_path = "step__run"
    list_display = ("uploaded_at", "step", "sha256", "content_type", "size", "uploaded_by")
    exclude = ("image",)  # the file is served only through the run's permission-checked view
    readonly_fields = ("view_link",)

    @admin.display(description=gettext_lazy("screenshot"))
    def view_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Open"))
