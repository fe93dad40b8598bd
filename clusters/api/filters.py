"""List filters of the inventory (django-filter): ``?domain=<id>``, ``?role=master``, ``?cluster=<id>``…"""

import django_filters

from clusters.models import AddressDomain, Cluster, GroupmaxServer, Node
from portal.api.filters import IdFilter


class DomainFilter(django_filters.FilterSet):
    class Meta:
        model = AddressDomain
        fields = ("site",)


class ServerFilter(django_filters.FilterSet):
    class Meta:
        model = GroupmaxServer
        fields = ("domain", "role", "uses_mail_server", "cluster")


class ClusterFilter(django_filters.FilterSet):
    domain = IdFilter(field_name="server__domain", label="domain")

    class Meta:
        model = Cluster
        fields = ("domain",)


class NodeFilter(django_filters.FilterSet):
    class Meta:
        model = Node
        fields = ("cluster", "position")
