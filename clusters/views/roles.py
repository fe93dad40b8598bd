"""A domain's roles: who holds which, and, for its domain administrators, granting, changing and removing them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from clusters import forms, services
from clusters.history import changes
from clusters.models import AddressDomain, DomainMembership
from clusters.rules import grantable_roles
from clusters.views.inventory import require_admin
from portal.errors import PortalError


def _domain(request, pk) -> AddressDomain:
    return get_object_or_404(AddressDomain.objects.visible_to(request.user), pk=pk)


class DomainRolesView(View):
    def _page(self, request, domain, form, status=200):
        memberships = list(domain.memberships.select_related("user").order_by("user__username"))
        roles = grantable_roles(request.user, domain)
        rows = [
            {"membership": m, "form": forms.RoleChangeForm(instance=m, roles=roles, prefix=f"m{m.pk}")}
            for m in memberships
        ]
        history = [{"membership": m, "entries": changes(m)} for m in memberships]  # removals: listed apart
        removed = (
            DomainMembership.history.filter(domain_id=domain.pk, history_type="-")
            .select_related("history_user", "user")
            .order_by("-history_date")[:50]
        )
        return render(
            request,
            "clusters/domain_roles.html",
            {
                "domain": domain,
                "rows": rows,
                "form": form,
                "may_admin": bool(roles),
                "history": history,
                "removed": removed,
            },
            status=status,
        )

    def get(self, request, pk):
        domain = _domain(request, pk)
        return self._page(request, domain, forms.GrantForm(roles=grantable_roles(request.user, domain)))

    def post(self, request, pk):
        domain = _domain(request, pk)
        require_admin(request, domain)
        form = forms.GrantForm(request.POST, roles=grantable_roles(request.user, domain))
        if form.is_valid():
            try:
                membership = services.grant_role(
                    domain, username=form.cleaned_data["username"], role=form.cleaned_data["role"], user=request.user
                )
            except PortalError as e:
                form.add_error(None, str(e))
            else:
                messages.success(
                    request,
                    _("{user} is now {role} in {domain}.").format(
                        user=membership.user.get_username(), role=membership.get_role_display(), domain=domain
                    ),
                )
                return redirect("clusters:domain-roles", domain.pk)
        return self._page(request, domain, form, status=400)


def _membership(request, pk) -> DomainMembership:
    visible = AddressDomain.objects.visible_to(request.user)
    memberships = DomainMembership.objects.filter(domain__in=visible).select_related("domain", "user")
    return get_object_or_404(memberships, pk=pk)


class RoleChangeView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        membership = _membership(request, pk)
        require_admin(request, membership.domain)
        form = forms.RoleChangeForm(
            request.POST,
            instance=membership,
            roles=grantable_roles(request.user, membership.domain),
            prefix=f"m{membership.pk}",
        )
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        else:
            try:
                changed = services.change_role(membership.pk, role=form.cleaned_data["role"], user=request.user)
            except PortalError as e:
                messages.error(request, str(e))
            else:
                messages.success(
                    request,
                    _("{user} is now {role} in {domain}.").format(
                        user=changed.user.get_username(), role=changed.get_role_display(), domain=changed.domain
                    ),
                )
        return redirect("clusters:domain-roles", membership.domain.pk)


class RoleRemoveView(View):
    http_method_names = ["post"]

    def post(self, request, pk):
        membership = _membership(request, pk)
        require_admin(request, membership.domain)
        try:
            services.remove_role(membership.pk, user=request.user)
        except PortalError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                _("{user} no longer has a role in {domain}.").format(
                    user=membership.user.get_username(), domain=membership.domain
                ),
            )
        return redirect("clusters:domain-roles", membership.domain.pk)
