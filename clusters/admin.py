"""The inventory in the admin, scoped like the portal's pages.

Staff see only the domains where they hold a role, and change only those where they are domain
administrators. Site-wide records (sites, SSH credentials, a site's command lines) are for superusers only:
they decide what runs as root on every node.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clusters.choices import DomainRoleName
from clusters.models import (
    AddressDomain,
    Cluster,
    Credential,
    DomainMembership,
    GroupmaxServer,
    Node,
    SharedFilesystem,
    Site,
)
from clusters.rules import has_role


class SuperuserOnlyAdmin(SimpleHistoryAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class DomainScopedAdmin(SimpleHistoryAdmin):
    """Objects of the domains where the user holds a role; changes need the domain administrator role."""

    def domain_of(self, obj):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.visible_to(request.user)

    def _administers(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        domain = self.domain_of(obj) if obj is not None else None
        return domain is not None and has_role(request.user, domain, DomainRoleName.DOMAIN_ADMIN)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser  # a new object's domain is only known once it is saved

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return super().has_change_permission(request, obj) and self._administers(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return super().has_delete_permission(request, obj) and self._administers(request, obj)


@admin.register(Site)
class SiteAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "display_name", "time_zone", "is_lab")


class MembershipInline(admin.TabularInline):
    model = DomainMembership
    extra = 0


@admin.register(AddressDomain)
class AddressDomainAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        return obj

    list_display = ("name", "site")
    list_filter = ("site",)
    inlines = (MembershipInline,)


@admin.register(Credential)
class CredentialAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "key_path")


class NodeInline(admin.StackedInline):
    model = Node
    extra = 0
    max_num = 2


class FilesystemInline(admin.TabularInline):
    model = SharedFilesystem
    extra = 0


@admin.register(Cluster)
class ClusterAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        server = getattr(obj, "server", None)
        return server.domain if server is not None else None

    list_display = ("name", "package_name", "package_host", "package_ip", "volume_group")
    inlines = (FilesystemInline, NodeInline)


@admin.register(Node)
class NodeAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        server = getattr(obj.cluster, "server", None)
        return server.domain if server is not None else None

    list_display = ("host_name", "cluster", "position", "primary_ip", "standby_ip", "ssh_address", "ssh_port")
    list_filter = ("cluster",)
    readonly_fields = ("host_key_fingerprint",)


@admin.register(GroupmaxServer)
class GroupmaxServerAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        return obj.domain

    list_display = ("name", "domain", "role", "uses_mail_server", "replication_option", "cluster", "host_name")
    list_filter = ("domain", "role", "uses_mail_server")


@admin.register(DomainMembership)
class DomainMembershipAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        return obj.domain

    def get_queryset(self, request):
        queryset = super(DomainScopedAdmin, self).get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(domain__memberships__user=request.user)

    list_display = ("user", "domain", "role")
    list_filter = ("domain", "role")
