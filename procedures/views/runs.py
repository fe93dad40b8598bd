"""Run pages: plan, list, one run with its steps, per-host results, log and history, and the action buttons.

Views stay thin: they find the object among what the user may see (404 otherwise), call one
service and turn a ``PortalError`` into a message. Every rule lives in ``procedures.services``.
"""

from django.contrib import messages
from django.core.paginator import InvalidPage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from django_tables2 import RequestConfig

from clusters.models import Cluster
from portal.errors import PortalError, whole_number
from portal.middleware import client_address
from procedures import actions, audit, rehearsal, services
from procedures.choices import RUN_COLOURS, STEP_COLOURS, Resolution, RunState, StepState, Verdict
from procedures.filters import RunFilter
from procedures.forms import PlanForm
from procedures.models import ProcedureRun, RunLogLine, StepHostResult, StepRun
from procedures.tables import RunTable
from procedures.texts import localised

LOG_LINES_SHOWN = 2000
RUNS_PER_PAGE = 25


def _act(request, run, call, done: str, anchor: str = ""):
    """Call the service, say what happened, and go back to the run page at ``anchor`` (the step acted on)."""
    try:
        call()
    except PortalError as e:
        messages.error(request, str(e))
    except (TransitionNotAllowed, ConcurrentTransition):
        messages.error(request, _("Someone changed this first; reload the page."))
    else:
        messages.success(request, done)
    return redirect(f"{run.get_absolute_url()}#{anchor}" if anchor else run.get_absolute_url())


class RunListView(View):
    """Every run the person may see, filtered (``filters.RunFilter``), sorted and paginated (``tables.RunTable``).

    A malformed filter (an unknown cluster, a date that is not one) is a 400 with the form's own words.
    """

    def get(self, request):
        runs = (
            ProcedureRun.objects.visible_to(request.user)
            .select_related("cluster__server__domain", "planned_by", "started_by")
            .listed()
            .with_progress()
        )
        filters = RunFilter(request.GET or None, queryset=runs, user=request.user)
        status = 200
        if filters.is_bound and not filters.is_valid():
            status, rows = 400, runs.none()
        else:
            rows = filters.qs
        table = RunTable(rows)
        try:
            RequestConfig(request, paginate={"per_page": RUNS_PER_PAGE, "silent": False}).configure(table)
        except (InvalidPage, ValueError):
            messages.error(request, _("There is no such page of runs."))
            return render(request, "procedures/run_list.html", {"filter": filters, "table": None}, status=400)
        return render(request, "procedures/run_list.html", {"filter": filters, "table": table}, status=status)


class PlanRehearsalView(View):
    """The plan page's "Rehearse on the lab": the same plan on the lab cluster shaped like this one."""

    http_method_names = ["post"]

    def post(self, request):
        clusters = Cluster.objects.visible_to(request.user).select_related("server__domain")
        form = PlanForm(request.POST, clusters=clusters)
        if not form.is_valid() and form.has_error("cluster"):
            raise Http404
        cluster = form.cleaned_data["cluster"]
        fields = request.POST.copy()
        for name in ("csrfmiddlewaretoken", "cluster"):
            fields.pop(name, None)
        back = f"{reverse('procedures:plan', args=[cluster.pk])}?{fields.urlencode()}"
        if not form.is_valid():
            messages.error(request, _("The rehearsal was not planned: correct the plan's options first."))
            return redirect(back)
        try:
            run = services.plan_rehearsal(
                cluster.pk, form.cleaned_data["procedure"], form.options(), user=request.user,
                address=client_address(request),
            )  # fmt: skip
        except PortalError as e:
            messages.error(request, str(e))
            return redirect(back)
        messages.success(request, _("Rehearsal planned on lab cluster {cluster}.").format(cluster=run.cluster.name))
        return redirect(run.get_absolute_url())


class PlanRunView(View):
    """The plan page's "Plan a run with this plan": the plan page's own form, posted; the run keeps that plan."""

    http_method_names = ["post"]

    def post(self, request):
        whole_number(request.POST.get("cluster"), name="cluster")  # "abc" is a malformed request (400), not a miss
        clusters = Cluster.objects.visible_to(request.user).select_related("server__domain")
        form = PlanForm(request.POST, clusters=clusters)
        if not form.is_valid() and form.has_error("cluster"):
            raise Http404  # no cluster, or one of a domain the user has no role in
        cluster = form.cleaned_data["cluster"]
        fields = request.POST.copy()
        for name in ("csrfmiddlewaretoken", "cluster"):
            fields.pop(name, None)
        back = f"{reverse('procedures:plan', args=[cluster.pk])}?{fields.urlencode()}"
        if not form.is_valid():
            messages.error(request, _("The run was not planned: correct the plan's options first."))
            return redirect(back)
        try:
            run = services.plan_run(
                cluster.pk,
                form.cleaned_data["procedure"],
                form.options(),
                user=request.user,
                address=client_address(request),
            )
        except PortalError as e:
            messages.error(request, str(e))
            return redirect(back)
        messages.success(request, _("Run planned; an approver approves it before it starts."))
        return redirect(run.get_absolute_url())


def step_anchor(step) -> str:
    return f"step-{step.pk}"


ACTS_ON = (StepState.AWAITING_CONFIRMATION, *sorted(StepState.RETRYABLE))  # what an operator acts on, on a step


def waiting_for_me(can: dict, rows: list[dict], current) -> str:
    """The anchor of the first thing on the page this person may act on now ("" when none)."""
    if can["approve"] or can["start"] or can["sign_off"]:
        return "run-actions"
    for row in rows:
        step, may = row["step"], row["may"]
        decides = may.get("approve") or may["sign_off"] or may["countersign"]
        if decides or (can["operate"] and step.state in ACTS_ON and not step.resolution):
            return step_anchor(step)
    if can["resume"] and current is not None:
        return step_anchor(current)
    return ""


def _visible_run(request, pk) -> ProcedureRun:
    runs = ProcedureRun.objects.visible_to(request.user).select_related("cluster__server__domain")
    return get_object_or_404(runs, pk=pk)


class RunDetailView(View):
    def get(self, request, pk):
        runs = ProcedureRun.objects.visible_to(request.user).select_related(
            "cluster__server__domain", "planned_by", "approved_by", "started_by", "signed_off_by", "aborted_by"
        )
        run = get_object_or_404(runs, pk=pk)
        plan = run.plan_object
        steps = list(
            run.steps.select_related(
                "executed_by", "confirmed_by", "signed_off_by", "resolution_requested_by", "resolved_by", "approved_by"
            ).order_by("position")  # one run's steps: by position, without joining the run for the default order
        )
        results = {}
        for step in steps:
            step._planned = plan.steps[step.position - 1]
            results[step.pk] = []
        for result in StepHostResult.objects.filter(step__run=run).order_by("attempt", "pk"):
            results[result.step_id].append(result)
        rows = []
        for step in steps:
            planned = step._planned
            rows.append(
                {
                    "step": step,
                    "planned": planned,
                    "title": localised(planned.title),
                    "instruction": localised(planned.instruction),
                    "checklist": [item.shown() for item in planned.checklist],
                    "deviation": localised(planned.deviation) if planned.deviation else "",
                    "results": results[step.pk],
                    "colour": STEP_COLOURS.get(step.state, "secondary"),
                }
            )
        # Only the run's last lines are rendered, grouped by step; the page loads the rest on demand (views_logs).
        last = RunLogLine.objects.last_seq(run.pk)
        log = RunLogLine.objects.filter(run=run, seq__gt=max(0, last - LOG_LINES_SHOWN)).order_by("seq").shown()
        by_step = {}
        for line in log:
            by_step.setdefault(line.step_id, []).append(line)
        can = services.actions_for(request.user, run, steps)
        rehearsals = [(r, rehearsal.summary(r)) for r in rehearsal.rehearsals_of(run)[:5]]
        real_runs = list(rehearsal.real_runs_of(run)[:5])
        for row in rows:
            row["log"] = by_step.get(row["step"].pk, [])
            row["may"] = can["steps"][row["step"].pk]
        current = services.current_step(steps)
        events = run.events.select_related("actor", "step")
        return render(
            request,
            "procedures/run_detail.html",
            {
                "run": run,
                "plan": plan,
                "rows": rows,
                "current": current,
                "current_title": localised(current._planned.title) if current else "",
                "mine": waiting_for_me(can, rows, current),
                "log_lines": log,
                "run_log": by_step.get(None, []),
                "log_after": log[-1].seq if log else 0,
                "steps_done": sum(step.state in StepState.FINISHED for step in steps),
                # In the reader's language: pushed states carry only the value (one push serves every viewer).
                "state_labels": {"step": dict(StepState.choices), "run": dict(RunState.choices)},
                "log_truncated": last > LOG_LINES_SHOWN,
                "trail": audit.trail(events, run.plan.get("steps")),
                "can": can,
                "rehearsals": rehearsals,
                "real_runs": real_runs,
                "rehearsal_rule": rehearsal.rule_for(run),
                "run_colour": RUN_COLOURS.get(run.state, "secondary"),
                "StepState": StepState,
                "ACTIVE": sorted(RunState.ACTIVE),
                "Resolution": Resolution,
                "Verdict": Verdict,
            },
        )


# The run page's buttons, by their name in the URL: the same table as the API's (procedures.actions).
RUN_ACTIONS = actions.on_pages(actions.RUN_ACTIONS)
STEP_ACTIONS = actions.on_pages(actions.STEP_ACTIONS)


class RunActionView(View):
    def post(self, request, pk, action):
        run = _visible_run(request, pk)
        if action not in RUN_ACTIONS:
            raise Http404
        act = RUN_ACTIONS[action]
        return _act(
            request,
            run,
            lambda: act.call(run.pk, request.user, client_address(request), request.POST),
            act.done,
            "run-actions",
        )


class StepActionView(View):
    def post(self, request, pk, action):
        step = get_object_or_404(StepRun.objects.visible_to(request.user).select_related("run"), pk=pk)
        if action not in STEP_ACTIONS:
            raise Http404
        act = STEP_ACTIONS[action]
        return _act(
            request,
            step.run,
            lambda: act.call(step.pk, request.user, client_address(request), request.POST),
            act.done,
            step_anchor(step),
        )
