"""The inventory in the admin, scoped like the portal's pages.

Staff see only the domains where they hold a role, and change only those where they are domain
administrators. Site-wide records (sites, SSH credentials, a site's command lines) are for superusers only:
they decide what runs as root on every node.

Every foreign key a form offers is limited to what the user administers, and the saved object is checked
again (its domain after the edit, each foreign key it holds): a posted value outside the choices is refused.
The history pages (django-simple-history) are scoped like the change page and read-only for everybody: a
"revert" through the history form would save without these checks, so a change is made on the change page.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from clusters import scoping
from clusters.choices import DomainRoleName
from clusters.models import (
    AddressDomain,
    Cluster,
    Credential,
    DomainMembership,
    GroupmaxServer,
    HostKeyChange,
    Node,
    SharedFilesystem,
    Site,
)
from clusters.rules import has_role
from clusters.scoping import choices_for


class RecordsOnly:
    """Records that nobody edits in the admin (history, audit, decisions taken in the portal): no add, change or
    delete, whatever the user's permissions. Put it first among the bases."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History list and versions only for objects the change page would show; a version is never saved."""

    def revert_disabled(self, request, obj=None):
        return True

    def _scoped_object(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))  # the change page's queryset: other domains -> 404
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        return obj

    def history_view(self, request, object_id, extra_context=None):
        if not request.user.is_superuser:  # a superuser may also read the history of a deleted object
            self._scoped_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._scoped_object(request, object_id)
        if request.method != "GET":
            raise PermissionDenied(_("A past version is shown read-only; change the object on its change page."))
        request.history_read_only = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if getattr(request, "history_read_only", False):
            return [field.name for field in self.model._meta.fields]
        return super().get_readonly_fields(request, obj)


class SuperuserOnlyAdmin(ReadOnlyHistoryAdmin):
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


def check_choices(user, obj) -> None:
    """Refuse (403) an object that holds a foreign key outside what ``user`` may choose (the form's choices, again)."""
    try:
        scoping.check_choices(user, obj)
    except ValidationError as e:
        raise PermissionDenied(" ".join(e.messages)) from None


class ScopedChoices:
    """Foreign-key choices (of a ModelAdmin or an inline) limited to what the user administers."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        allowed = choices_for(request.user, db_field.related_model)
        if allowed is not None:
            kwargs["queryset"] = allowed
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DomainScopedAdmin(ScopedChoices, ReadOnlyHistoryAdmin):
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

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        if obj is None or not allowed or request.user.is_superuser:
            return allowed
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser  # a new object's domain is only known once it is saved

    def save_model(self, request, obj, form, change):
        """The domain the object has *after* the edit must be one the user administers, and every key it holds."""
        if not self._administers(request, obj):
            raise PermissionDenied(_("You do not administer the domain this object would belong to."))
        check_choices(request.user, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form.instance is not None and not request.user.is_superuser:
                check_choices(request.user, inline_form.instance)
        super().save_formset(request, form, formset, change)

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


class MembershipInline(ScopedChoices, admin.TabularInline):
    model = DomainMembership
    extra = 0


@admin.register(AddressDomain)
class AddressDomainAdmin(DomainScopedAdmin):
    def domain_of(self, obj):
        return obj

    list_display = ("name", "site")
    list_filter = ("site",)
    inlines = (MembershipInline,)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The site decides the credentials and command lines that apply: moving a domain is a superuser's act.
        return fields if request.user.is_superuser or "site" in fields else [*fields, "site"]


@admin.register(Credential)
class CredentialAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "key_path")


class NodeInline(ScopedChoices, admin.StackedInline):
    model = Node
    extra = 0
    max_num = 2


class FilesystemInline(ScopedChoices, admin.TabularInline):
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


@admin.register(HostKeyChange)
class HostKeyChangeAdmin(RecordsOnly, DomainScopedAdmin):
    """Read-only for everybody: a change is decided on its comparison page (accept, sign off, reject), where the
    portal fetches the key again and asks the sign-off rules; the admin only lists and shows it, scoped."""

    def domain_of(self, obj):
        return obj.domain

    list_display = ("__str__", "state", "seen_at", "accepted_by", "signed_off_by", "rejected_by")
    list_filter = ("state",)
    list_select_related = ("node__cluster__server__domain", "server__domain", "accepted_by", "signed_off_by",
                           "rejected_by")  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
