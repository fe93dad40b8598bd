"""Inventory endpoints: read for anyone with a role in the object's domain, write for its domain administrators.

Scoping is the querysets' ``visible_to``: an object of another domain is 404, whatever is asked of it. A
change needs the domain administrator role in the object's domain (``clusters.rules.has_role``, as the admin
asks it); a new server or node names its domain or cluster, which must be one the writer administers. Sites,
and new domains and clusters (whose domain is known only once a server carries them), are for superusers,
as in the admin. Every change is kept by django-simple-history, with the user and the client address.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets

from clusters.api import filters, serializers
from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, Cluster, GroupmaxServer, Node, Site
from clusters.querysets import domains_where
from clusters.rules import has_role


class DomainAdminWrites(permissions.BasePermission):
    """Reading: the queryset already holds only what the user may see. Writing: the domain administrator role."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or view.action != "create":
            return True
        return request.user.is_superuser or view.administrators_create

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or request.user.is_superuser:
            return True
        return has_role(request.user, view.domain_of(obj), DomainRoleName.DOMAIN_ADMIN)


class InventoryViewSet(viewsets.ModelViewSet):
    permission_classes = (permissions.IsAuthenticated, DomainAdminWrites)
    administrators_create = False  # True where the new object's body names its domain (checked by the serializer)
    http_method_names = ("get", "post", "put", "patch", "delete", "head", "options")

    def domain_of(self, obj):
        raise NotImplementedError


@extend_schema(tags=["inventory"])
class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Sites where the user holds a role in some domain (changed by superusers, in the admin)."""

    serializer_class = serializers.SiteSerializer

    def get_queryset(self):
        user = self.request.user
        sites = Site.objects.all()
        return sites if user.is_superuser else sites.filter(domains__in=domains_where(user)).distinct()


@extend_schema(tags=["inventory"])
class DomainViewSet(InventoryViewSet):
    serializer_class = serializers.DomainSerializer
    filterset_class = filters.DomainFilter

    def get_queryset(self):
        return AddressDomain.objects.visible_to(self.request.user).prefetch_related("servers")

    def domain_of(self, obj):
        return obj


@extend_schema(tags=["inventory"])
class ServerViewSet(InventoryViewSet):
    """Groupmax servers: role (master or address server), Mail Server or not, cluster or standalone host."""

    serializer_class = serializers.ServerSerializer
    filterset_class = filters.ServerFilter
    administrators_create = True

    def get_queryset(self):
        return GroupmaxServer.objects.visible_to(self.request.user).select_related("credential").order_by("pk")

    def domain_of(self, obj):
        return obj.domain


@extend_schema(tags=["inventory"])
class ClusterViewSet(InventoryViewSet):
    serializer_class = serializers.ClusterSerializer
    filterset_class = filters.ClusterFilter

    def get_queryset(self):
        return (
            Cluster.objects.visible_to(self.request.user)
            .select_related("server")
            .prefetch_related("nodes", "filesystems")
            .order_by("pk")
        )

    def domain_of(self, obj):
        return obj.domain


@extend_schema(tags=["inventory"])
class NodeViewSet(InventoryViewSet):
    """Cluster nodes with their pinned host key's fingerprint (the key is set, never shown; the credential by name)."""

    serializer_class = serializers.NodeSerializer
    filterset_class = filters.NodeFilter
    administrators_create = True

    def get_queryset(self):
        return Node.objects.visible_to(self.request.user).select_related("credential", "cluster__server").order_by("pk")

    def domain_of(self, obj):
        return obj.cluster.domain
