"""A step's whole log as text, streamed a chunk at a time (``procedures.live.logstream``, as the run page's download).

Each line is ``seq<TAB>time<TAB>host<TAB>stream<TAB>text``. Errors before the stream starts are the API's JSON.
"""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from procedures.live import logstream
from procedures.models import StepRun


class PlainTextRenderer(BaseRenderer):
    """Lets a client ask for ``text/plain``; a refusal is then its ``detail`` as one line of text."""

    media_type, format, charset = "text/plain", "txt", "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            data = data.get("detail", "")
        return str(data or "").encode(self.charset)


class StepLogTextView(APIView):
    renderer_classes = (JSONRenderer, PlainTextRenderer)

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR}, tags=["steps"])
    def get(self, request, pk):
        """The step's stored log lines, every attempt, as text."""
        step = get_object_or_404(StepRun.objects.visible_to(request.user), pk=pk)
        response = StreamingHttpResponse(
            logstream.text_chunks(step.run_id, step=step.pk), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="run-{step.run_id}-step-{step.position}.log"'
        return response
