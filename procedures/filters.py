"""The runs list's filters (django-filter): every choice offered is among what the person may see."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clusters.models import AddressDomain, Cluster
from procedures.catalog import PROCEDURES
from procedures.choices import RunState
from procedures.models import ProcedureRun
from procedures.texts import localised


def _procedures():
    return [(code, localised(p.title)) for code, p in PROCEDURES.items()]


class RunFilter(django_filters.FilterSet):
    domain = django_filters.ModelChoiceFilter(
        field_name="cluster__server__domain", queryset=AddressDomain.objects.none(), label=_("Domain")
    )
    cluster = django_filters.ModelChoiceFilter(queryset=Cluster.objects.none(), label=_("Cluster"))
    procedure = django_filters.ChoiceFilter(choices=_procedures, label=_("Procedure"))
    state = django_filters.MultipleChoiceFilter(choices=RunState.choices, label=_("State"))
    operator = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), method="by_operator", label=_("Operator")
    )
    planned_from = django_filters.DateFilter(
        field_name="created_at__date",
        lookup_expr="gte",
        label=_("Planned on or after"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    planned_until = django_filters.DateFilter(
        field_name="created_at__date", lookup_expr="lte", label=_("Planned on or before"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip

    class Meta:
        model = ProcedureRun
        fields = ()

    def __init__(self, data=None, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        domains = AddressDomain.objects.visible_to(user)
        self.filters["domain"].queryset = domains
        self.filters["cluster"].queryset = Cluster.objects.visible_to(user).order_by("name")
        self.filters["operator"].queryset = (
            get_user_model().objects.filter(domain_memberships__domain__in=domains).distinct().order_by("username")
        )

    def by_operator(self, queryset, name, value):
        """Who planned, started or did a step of the run."""
        involved = (
            Q(planned_by=value) | Q(started_by=value) | Q(steps__executed_by=value) | Q(steps__confirmed_by=value)
        )
        return queryset.filter(pk__in=ProcedureRun.objects.filter(involved).values("pk"))  # no join to count over
