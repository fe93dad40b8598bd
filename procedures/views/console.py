"""Console steps: the confirmation form (checklist, note, screenshot) and the permission-checked screenshot.

Thin, as every view: the form parses, ``services.confirm_step`` decides and records. A
screenshot is never public media: it is read from MEDIA_ROOT and sent only to someone with a role in the
run's domain; everyone else gets 404, as for the run itself.
"""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from procedures import services
from procedures.forms import ConsoleConfirmForm
from procedures.models import ConsoleScreenshot, StepRun
from procedures.views.runs import _act, client_address, step_anchor


def _visible_step(request, pk) -> StepRun:
    return get_object_or_404(StepRun.objects.visible_to(request.user).select_related("run__cluster"), pk=pk)


class ConsoleConfirmView(View):
    def post(self, request, pk):
        step = _visible_step(request, pk)
        form = ConsoleConfirmForm(request.POST, request.FILES, checklist=step.planned.checklist)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(f"{step.run.get_absolute_url()}#{step_anchor(step)}")
        data = form.cleaned_data
        return _act(
            request,
            step.run,
            lambda: services.confirm_step(
                step.pk,
                user=request.user,
                ticked=data["checked"],
                note=data["note"],
                screenshot=data["screenshot"],
                address=client_address(request),
            ),
            _("Step confirmed."),
            step_anchor(step),
        )


class ScreenshotView(View):
    """The stored bytes, as the type their content was checked to be; private, never cached by others."""

    def get(self, request, pk, shot):
        step = _visible_step(request, pk)
        screenshot = get_object_or_404(ConsoleScreenshot.objects.filter(step=step), pk=shot)
        response = FileResponse(screenshot.image.open("rb"), content_type=screenshot.content_type)
        response["Content-Disposition"] = (
            f'inline; filename="step-{step.pk}-{screenshot.pk}.{screenshot.image.name.rsplit(".", 1)[-1]}"'
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
