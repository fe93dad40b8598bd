"""The approver's queue: what waits for this person's approval, sign-off or countersignature (procedures.queue)."""

from django.shortcuts import render
from django.views import View

from procedures.choices import Verdict
from procedures.queue import queue_for
from procedures.texts import localised


class QueueView(View):
    def get(self, request):
        queue = queue_for(request.user)
        rows = []
        for step in queue.sign_off:
            planned = step.planned
            labels = {item.key: item for item in planned.checklist}
            rows.append(
                {
                    "step": step,
                    "title": localised(planned.title),
                    "checklist": [labels[key].shown() for key in step.checklist if key in labels],
                    "screenshots": list(step.screenshots.all()),
                    "commands": [(ref.label, ref.command) for ref in planned.hosts if ref.command],
                    "results": [r for r in step.host_results.all() if r.attempt == step.attempt],
                    "note": _confirm_note(step),
                }
            )
        countersign = [{"step": step, "title": localised(step.planned.title)} for step in queue.countersign]
        run_command = [
            {
                "step": step,
                "title": localised(step.planned.title),
                "commands": [(ref.label, ref.command) for ref in step.planned.hosts],  # the plan snapshot's
            }
            for step in queue.run_command
        ]
        return render(
            request,
            "procedures/queue.html",
            {"queue": queue, "approver_queue_count": queue.count, "sign_off": rows, "countersign": countersign,
             "run_command": run_command, "Verdict": Verdict},
        )  # fmt: skip


def _confirm_note(step) -> str:
    """The note left with the latest confirmation (kept in the append-only events, not on the step)."""
    event = step.events.filter(action="confirm").order_by("-at", "-pk").first()
    return event.reason if event else ""
