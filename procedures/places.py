"""What the inventory's pages show of procedures and runs: plan from where you are, and the run history there."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from procedures.catalog.options import OPERATOR_CHOICES
from procedures.catalog.procedures import procedures_for
from procedures.models import ProcedureRun
from procedures.texts import localised

HISTORY_SHOWN = 10


@dataclass(frozen=True)
class Offer:
    code: str
    title: str
    choices: list  # the OperatorChoice records this procedure takes
    plan_url: str


def offers_for(cluster) -> list[Offer]:
    """The procedures that fit the cluster's server (K.5 (1)(a) for a master, (1)(b) for an address server, (2)
    for an existing environment), with the options an operator chooses for each."""
    server = getattr(cluster, "server", None)
    if server is None:
        return []
    url = reverse("procedures:plan", args=[cluster.pk])
    return [
        Offer(
            code=p.code,
            title=localised(p.title),
            choices=[OPERATOR_CHOICES[name] for name in p.options if name in OPERATOR_CHOICES],
            plan_url=url,
        )
        for p in procedures_for(server.role)
    ]


@dataclass(frozen=True)
class History:
    runs: list
    all_url: str


def history(user, *, cluster=None, domain=None) -> History:
    """The latest runs of one cluster or one domain (plan snapshots left unread) and the filtered runs list."""
    runs = ProcedureRun.objects.visible_to(user).listed()
    if cluster is not None:
        runs, query = runs.filter(cluster=cluster), f"cluster={cluster.pk}"
    else:
        runs, query = runs.filter(cluster__server__domain=domain), f"domain={domain.pk}"
    rows = runs.with_progress().select_related("cluster", "planned_by", "started_by").order_by("-created_at", "-pk")
    return History(runs=list(rows[:HISTORY_SHOWN]), all_url=f"{reverse('procedures:run-list')}?{query}")
