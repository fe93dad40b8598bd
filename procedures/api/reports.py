"""A domain's report as JSON: the same service as the report page and its exports (``build_domain_report``).

``GET /api/domains/<id>/report/?since=&until=&procedure=&state=&cluster=``: the domain among those the reader
may see (404 otherwise); a malformed parameter is the service's 400, naming it.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters.models import AddressDomain
from procedures.reports.domain import ReportQuery, build_domain_report, today_at

PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD), in the site's time zone."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD); default today."),
    OpenApiParameter("procedure", str, description="Only runs of this procedure (k5-1a, k5-1b, k5-2)."),
    OpenApiParameter("state", str, description="Only runs in this state."),
    OpenApiParameter("cluster", int, description="Only runs of this cluster."),
]


class DomainReportView(APIView):
    @extend_schema(parameters=PARAMETERS, responses={200: OpenApiTypes.OBJECT}, tags=["inventory"])
    def get(self, request, pk: int):
        """The domain's report for the period: servers, duties, replication, runs and their deviations."""
        domain = get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)
        query = ReportQuery.from_params(request.query_params, today=today_at(domain))
        return Response(build_domain_report(domain, request.user, query).as_dict())
