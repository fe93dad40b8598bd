from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ("name", "display_name", "time_zone", "is_lab")


class MembershipInline(admin.TabularInline):
    model = DomainMembership
    extra = 0


@admin.register(AddressDomain)
class AddressDomainAdmin(SimpleHistoryAdmin):
    list_display = ("name", "site")
    list_filter = ("site",)
    inlines = (MembershipInline,)


@admin.register(Credential)
class CredentialAdmin(SimpleHistoryAdmin):
    list_display = ("name", "key_path")


class NodeInline(admin.StackedInline):
    model = Node
    extra = 0
    max_num = 2


class FilesystemInline(admin.TabularInline):
    model = SharedFilesystem
    extra = 0


@admin.register(Cluster)
class ClusterAdmin(SimpleHistoryAdmin):
    list_display = ("name", "package_name", "package_host", "package_ip", "volume_group")
    inlines = (FilesystemInline, NodeInline)


@admin.register(Node)
class NodeAdmin(SimpleHistoryAdmin):
    list_display = ("host_name", "cluster", "position", "primary_ip", "standby_ip", "ssh_address", "ssh_port")
    list_filter = ("cluster",)
    readonly_fields = ("host_key_fingerprint",)


@admin.register(GroupmaxServer)
class GroupmaxServerAdmin(SimpleHistoryAdmin):
    list_display = ("name", "domain", "role", "uses_mail_server", "replication_option", "cluster", "host_name")
    list_filter = ("domain", "role", "uses_mail_server")


@admin.register(DomainMembership)
class DomainMembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "domain", "role")
    list_filter = ("domain", "role")
