"""A run's log over HTTP: pages by sequence number for the browser, and the whole log as a text download.

The run page shows the tail of each step first and loads earlier lines as the reader scrolls up
(``before=``), so a million-line step opens as fast as a short one and nothing is cut off; the websocket
brings what follows, and a hole it leaves is read back with ``after=``. The answer is
``{"lines": [...], "last_seq": N}`` with the websocket's own ``lines`` messages (``procedures.live.emitter``).
Same rule as everywhere: a role in the run's domain, or 404 (and no session at all: the log-in page, from
``portal.middleware``).
"""

from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.views import View

from portal.errors import BadParameter, whole_number
from procedures.live import logstream
from procedures.models import ProcedureRun, RunLogLine

MAX_PAGE = 5000


def _int(params, name: str, default: int) -> int:
    return whole_number(params.get(name), name=name, default=default)


def _step(params) -> int | str | None:
    """``step=<id>``: one step's lines; ``step=run``: the run-wide lines only; absent: every line of the run."""
    value = params.get("step")
    return logstream.RUN_WIDE if value == logstream.RUN_WIDE else (_int(params, "step", 0) or None)


class RunLogView(View):
    def get(self, request, pk):
        run = get_object_or_404(ProcedureRun.objects.visible_to(request.user), pk=pk)
        params = request.GET
        try:
            limit = min(_int(params, "limit", 1000), MAX_PAGE)
            step = _step(params)
            before, after = _int(params, "before", None), _int(params, "after", 0)
        except BadParameter as e:
            return JsonResponse({"error": str(e), "code": e.code}, status=e.status)
        query = params.get("q", "")[:200]
        if query:
            messages = logstream.search(run.pk, query, limit, step=step)
        elif before is not None:
            messages = logstream.messages_before(run.pk, before, limit, step=step)
        else:
            messages = logstream.messages_after(run.pk, after, limit, step=step)
        return JsonResponse(
            {"lines": messages, "last_seq": RunLogLine.objects.last_seq(run.pk)},
            json_dumps_params={"ensure_ascii": False},
        )


class RunLogDownloadView(View):
    def get(self, request, pk):
        run = get_object_or_404(ProcedureRun.objects.visible_to(request.user), pk=pk)
        step = _step(request.GET)  # a malformed step is a BadParameter: 400 (portal.middleware)
        response = StreamingHttpResponse(
            logstream.text_chunks(run.pk, step=step, language=get_language()), content_type="text/plain; charset=utf-8"
        )
        suffix = "-run-wide" if step == logstream.RUN_WIDE else (f"-step-{step}" if step else "")
        name = f"run-{run.pk}{suffix}.log"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
