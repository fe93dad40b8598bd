"""A domain's sign-off rules page: everybody with a role in the domain reads them, its domain administrators set
them (``procedures.signoff_rules`` checks, saves and keeps the history)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from clusters.models import AddressDomain
from portal.errors import PortalError
from procedures import signoff_rules
from procedures.forms import SignoffRulesForm


def _form(rules, data=None) -> SignoffRulesForm:
    return SignoffRulesForm(
        data,
        quorums={q.kind: q.approvers for q in rules.quorums},
        rehearsals={r.procedure: r.required for r in rules.rehearsals},
    )


class SignoffRulesView(View):
    def _domain(self, request, pk) -> AddressDomain:
        return get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)

    def _page(self, request, domain, rules, form, *, may_change, status=200):
        context = {
            "domain": domain,
            "rules": rules,
            "form": form,
            "quorums": [(q, form[form.quorum_name(q.kind)] if form else None) for q in rules.quorums],
            "rehearsals": [(r, form[form.rehearsal_name(r.procedure)] if form else None) for r in rules.rehearsals],
            "may_change": may_change,
            "unreachable": [q for q in rules.quorums if not q.reachable],
            "history": signoff_rules.changes(domain),
        }
        return render(request, "procedures/signoff_rules.html", context, status=status)

    def get(self, request, pk: int):
        domain = self._domain(request, pk)
        rules = signoff_rules.rules_of(domain)
        may_change = signoff_rules.may_change(request.user, domain)
        return self._page(request, domain, rules, _form(rules) if may_change else None, may_change=may_change)

    def post(self, request, pk: int):
        domain = self._domain(request, pk)
        if not signoff_rules.may_change(request.user, domain):
            raise PermissionDenied(_("Only a domain administrator of this domain sets its sign-off rules."))
        rules = signoff_rules.rules_of(domain)
        form = _form(rules, request.POST)
        if form.is_valid():
            try:
                changed = signoff_rules.set_rules(
                    domain, user=request.user, quorums=form.quorums(), rehearsals=form.rehearsals()
                )
            except PortalError as e:
                form.add_error(form.field_of(e.field), str(e))
            else:
                if changed:
                    messages.success(
                        request,
                        _("The sign-off rules of {domain} were changed: {changes}.").format(
                            domain=domain.name,
                            changes="; ".join(f"{c.what}: {_shown(c.old)} → {_shown(c.new)}" for c in changed),
                        ),
                    )
                else:
                    messages.info(request, _("Nothing was changed."))
                return redirect("procedures:signoff-rules", domain.pk)
        return self._page(request, domain, rules, form, may_change=True, status=400)


def _shown(value) -> str:
    return str(signoff_rules.REQUIRED[value]) if isinstance(value, bool) else str(value)
