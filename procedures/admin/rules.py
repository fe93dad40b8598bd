"""A domain's sign-off rules in the admin (N of M approvers, rehearsal first), scoped like the inventory's admin.

Staff see the rules of the domains where they hold a role and change those of the domains they administer. The
domain offered is one the user administers (``clusters.scoping``), the form checks every value with the same
functions as the portal's page, and the change itself is ``procedures.signoff_rules.set_rules``: the same checks,
the same history (who, when, from where, old -> new) as a change on the page.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters.admin import ReadOnlyHistoryAdmin, ScopedChoices
from clusters.choices import DomainRoleName
from clusters.querysets import administered, domains_where
from clusters.rules import has_role
from portal.errors import PortalError
from procedures import signoff_rules
from procedures.forms import procedure_choices
from procedures.models import RehearsalRule, SignoffQuorum


class DomainRuleAdmin(ScopedChoices, ReadOnlyHistoryAdmin):
    """A rule of one domain: seen with any role there, changed (through the service) by its administrators."""

    key = ""  # the field that, with the domain, names the rule; fixed once the rule exists

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("domain")
        return queryset if request.user.is_superuser else queryset.filter(domain__in=domains_where(request.user))

    def _administers(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        return obj is not None and has_role(request.user, obj.domain, DomainRoleName.DOMAIN_ADMIN)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        if obj is None or not allowed or request.user.is_superuser:
            return allowed
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        return request.user.is_superuser or administered(request.user).exists()

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._administers(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._administers(request, obj))

    def get_readonly_fields(self, request, obj=None):
        fixed = ("domain", self.key) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *fixed)

    def rule(self, obj) -> dict:
        """What ``set_rules`` is told for this object saved (``lifted``: for this object deleted)."""
        raise NotImplementedError

    def _set(self, request, obj, **rule):
        try:
            signoff_rules.set_rules(obj.domain, user=request.user, **rule)
        except PortalError as e:  # the form checked the values: what is left is the person's right to change
            raise PermissionDenied(str(e)) from None

    def save_model(self, request, obj, form, change):
        self._set(request, obj, **self.rule(obj))
        stored = self.model.objects.get(domain=obj.domain, **{self.key: getattr(obj, self.key)})
        obj.pk = stored.pk  # the admin's messages and redirects name the row the service saved

    def delete_model(self, request, obj):
        self._set(request, obj, **self.rule(obj, lifted=True))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            if not self._administers(request, obj):
                raise PermissionDenied(_("You do not administer the domain this object would belong to."))
            self.delete_model(request, obj)


class SignoffQuorumForm(forms.ModelForm):
    class Meta:
        model = SignoffQuorum
        fields = ("domain", "kind", "approvers")

    def clean(self):
        data = super().clean()
        domain = data.get("domain") or (self.instance.domain if self.instance.domain_id else None)
        kind = data.get("kind") or self.instance.kind
        approvers = data.get("approvers")
        if domain is None or not kind or approvers is None:
            return data
        if approvers <= signoff_rules.DEFAULT_APPROVERS:
            raise ValidationError({"approvers": _("One approver is the default; delete this rule to go back to one.")})
        current = self.instance.approvers if self.instance.pk else signoff_rules.DEFAULT_APPROVERS
        try:
            signoff_rules.check_quorum(domain, kind, approvers, current=current)
        except PortalError as e:
            raise ValidationError({"approvers": str(e)}) from None
        return data


@admin.register(SignoffQuorum)
class SignoffQuorumAdmin(DomainRuleAdmin):
    form = SignoffQuorumForm
    key = "kind"
    list_display = ("domain", "kind", "approvers")
    list_filter = ("kind",)

    def rule(self, obj, lifted=False):
        return {"quorums": {obj.kind: signoff_rules.DEFAULT_APPROVERS if lifted else obj.approvers}}


class RehearsalRuleForm(forms.ModelForm):
    procedure = forms.ChoiceField(choices=procedure_choices, label=gettext_lazy("procedure"))

    class Meta:
        model = RehearsalRule
        fields = ("domain", "procedure")


@admin.register(RehearsalRule)
class RehearsalRuleAdmin(DomainRuleAdmin):
    form = RehearsalRuleForm
    key = "procedure"
    list_display = ("domain", "procedure", "procedure_title")

    @admin.display(description=gettext_lazy("procedure"))
    def procedure_title(self, obj):
        return dict(procedure_choices()).get(obj.procedure, obj.procedure)

    def rule(self, obj, lifted=False):
        return {"rehearsals": {obj.procedure: not lifted}}
