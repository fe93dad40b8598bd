"""The plan page: pick a cluster and a procedure, set the options, read every step before a run exists.

Its "Plan a run with this plan" button posts the same form to ``runs.PlanRunView``. Run pages live in
``views/runs.py``. Views stay thin: the catalog renders, the template shows.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views import View

from clusters.choices import DomainRoleName, ServerRole
from clusters.models import Cluster
from clusters.rules import has_role
from portal.errors import PortalError
from procedures.catalog import CatalogError, get_procedure, render_plan
from procedures.catalog.display import plan_for_display
from procedures.forms import PlanForm


def _clusters(user):
    return Cluster.objects.visible_to(user).select_related("server__domain__site").order_by("name")


class PlanPickView(View):
    """The list of clusters the user may plan for; choosing one opens its plan."""

    def get(self, request):
        clusters = _clusters(request.user)
        form = PlanForm(request.GET or None, clusters=clusters)
        if request.GET and form.is_valid():
            url = reverse("procedures:plan", args=[form.cleaned_data["cluster"].pk])
            return redirect(f"{url}?{request.GET.urlencode()}")
        return render(request, "procedures/plan_pick.html", {"form": form, "clusters": clusters})


class PlanView(View):
    """One cluster's plan for one procedure, with the options in the query string."""

    def get(self, request, pk):
        cluster = get_object_or_404(_clusters(request.user), pk=pk)
        if not has_role(request.user, cluster.domain, DomainRoleName.VIEWER):
            raise Http404
        default = "k5-1a" if cluster.server.role == ServerRole.MASTER else "k5-1b"
        data = {"cluster": cluster.pk, "procedure": default, **request.GET.dict()}
        form = PlanForm(data, clusters=_clusters(request.user))
        plan, shown, error, status = None, None, "", 200
        if form.is_valid():
            try:
                plan = render_plan(cluster, form.cleaned_data["procedure"], form.options())
                shown = plan_for_display(plan, get_language() or "ja")
            except CatalogError as exc:
                error = str(exc)
            except PortalError as exc:  # e.g. the site's stored command lines are broken
                error, status = str(exc), exc.status
        procedure = get_procedure(form.cleaned_data["procedure"]) if form.is_valid() else None
        return render(
            request,
            "procedures/plan.html",
            {
                "cluster": cluster,
                "form": form,
                "plan": plan,
                "shown": shown,
                "error": error,
                "procedure": procedure,
                "can_plan_run": has_role(request.user, cluster.domain, DomainRoleName.OPERATOR),
            },
            status=status,
        )
