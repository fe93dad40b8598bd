"""A run's log over HTTP: pages by sequence number for the browser, and the whole log as a text download.

The run page shows the tail of each step first and loads earlier lines as the reader scrolls up
(``before=``), so a million-line step opens as fast as a short one and nothing is cut off; the websocket
brings what follows, and a hole it leaves is read back with ``after=``. Same rule as everywhere: a role in
the run's domain, or 404 (and no session at all: the log-in page, from ``portal.middleware``).
"""

from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from procedures.live import logstream
from procedures.models import ProcedureRun, RunLogLine

MAX_PAGE = 5000


def _int(value, default: int) -> int:
    return int(value) if value is not None and value.isdigit() else default


def _step(value) -> int | str | None:
    """``step=<id>``: one step's lines; ``step=run``: the run-wide lines only; absent: every line of the run."""
    return logstream.RUN_WIDE if value == logstream.RUN_WIDE else (_int(value, 0) or None)


class RunLogView(View):
    def get(self, request, pk):
        run = get_object_or_404(ProcedureRun.objects.visible_to(request.user), pk=pk)
        params = request.GET
        limit = min(_int(params.get("limit"), 1000), MAX_PAGE)
        step = _step(params.get("step"))
        before, query = params.get("before"), params.get("q", "")[:200]
        if query:
            messages = logstream.search(run.pk, query, limit, step=step)
        elif before is not None:
            messages = logstream.messages_before(run.pk, _int(before, 0), limit, step=step)
        else:
            messages = logstream.messages_after(run.pk, _int(params.get("after"), 0), limit, step=step)
        return JsonResponse(
            {"messages": messages, "last_seq": RunLogLine.objects.last_seq(run.pk)},
            json_dumps_params={"ensure_ascii": False},
        )


class RunLogDownloadView(View):
    def get(self, request, pk):
        run = get_object_or_404(ProcedureRun.objects.visible_to(request.user), pk=pk)
        step = _step(request.GET.get("step"))
        response = StreamingHttpResponse(
            logstream.text_chunks(run.pk, step=step), content_type="text/plain; charset=utf-8"
        )
        suffix = "-run-wide" if step == logstream.RUN_WIDE else (f"-step-{step}" if step else "")
        name = f"run-{run.pk}{suffix}.log"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
