"""List filters of runs (django-filter): ``?domain=<id>&cluster=<id>&procedure=k5-1b&state=waiting``."""

import django_filters

from portal.api.filters import IdFilter
from procedures.catalog import PROCEDURES
from procedures.choices import RunState
from procedures.models import ProcedureRun


class RunFilter(django_filters.FilterSet):
    domain = IdFilter(field_name="cluster__server__domain", label="domain")
    procedure = django_filters.ChoiceFilter(choices=[(code, code) for code in sorted(PROCEDURES)])
    state = django_filters.ChoiceFilter(choices=RunState.choices)

    class Meta:
        model = ProcedureRun
        fields = ("domain", "cluster", "procedure", "state")
