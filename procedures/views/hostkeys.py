"""Host key pages: fetch a machine's key and pin it, and compare, accept and sign off a changed key.

Nothing connects until a person presses "Fetch host key"; nothing is pinned until a domain administrator
ticks that he compared the fingerprint. A changed key is pinned only after a domain administrator accepted it
and a second person signed that off; a domain administrator may reject it instead (the old key stays pinned).
Every rule is in ``procedures.hostkeys`` and ``procedures.signoff``.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from clusters.choices import DomainRoleName, HostKeyChangeState
from clusters.history import changes
from clusters.models import HostKeyChange
from clusters.rules import has_role
from portal.errors import PortalError
from procedures import hostkeys, signoff
from procedures.execution import ssh
from procedures.signoff import Decision


def _page_of(target) -> str:
    return (
        target.cluster.get_absolute_url()
        if hasattr(target, "cluster") and target.cluster_id
        else (target.get_absolute_url())
    )


def _describe(key_line: str, endpoint) -> dict:
    if not key_line:
        return {}
    return {
        "type": key_line.split()[0],
        "keygen_line": ssh.keygen_line(key_line, endpoint.known_hosts_name),
        "known_hosts_line": f"{endpoint.known_hosts_name} {key_line}",
    }


PEOPLE = ("seen_by", "accepted_by", "signed_off_by", "rejected_by")


def _trail(change: HostKeyChange) -> list[dict]:
    """The change's history (who, when, from where, its state in the reader's language), people by their names."""
    names = {str(u.pk): u.get_username() for u in (getattr(change, f) for f in PEOPLE) if u is not None}
    labels = {str(HostKeyChange._meta.get_field(f).verbose_name) for f in PEOPLE}
    entries = changes(change)
    for entry in entries:
        for c in entry["changes"]:
            if c["field"] in labels:
                c["old"], c["new"] = (names.get(str(v), v) if v is not None else v for v in (c["old"], c["new"]))
    return entries


class HostKeyView(View):
    """One machine's host key: what is pinned, "Fetch host key", and pinning a first key after confirming it."""

    template_name = "procedures/host_key.html"

    def _target(self, request, kind, pk):
        try:
            target = hostkeys.ssh_target(kind, pk)
        except (ObjectDoesNotExist, LookupError):
            raise Http404 from None
        if not has_role(request.user, hostkeys.target_domain(target), DomainRoleName.VIEWER):
            raise Http404
        return target

    def _context(self, request, kind, target) -> dict:
        domain = hostkeys.target_domain(target)
        return {
            "target": target,
            "kind": kind,
            "domain": domain,
            "back": _page_of(target),
            "change": target.open_host_key_change,
            "may_fetch": has_role(request.user, domain, DomainRoleName.OPERATOR),
            "may_pin": has_role(request.user, domain, DomainRoleName.DOMAIN_ADMIN),
        }

    def get(self, request, kind, pk):
        target = self._target(request, kind, pk)
        return render(request, self.template_name, self._context(request, kind, target))

    def post(self, request, kind, pk):
        target = self._target(request, kind, pk)
        if request.POST.get("action") == "pin":
            try:
                seen = hostkeys.pin_host_key(
                    kind, pk, user=request.user, confirmed_fingerprint=request.POST.get("fingerprint", "")
                )
            except PortalError as e:
                messages.error(request, str(e))
                return redirect(request.path)
            messages.success(request, _("Host key {fingerprint} pinned.").format(fingerprint=seen))
            return redirect(_page_of(target))
        context = self._context(request, kind, target)
        try:
            context["scan"] = hostkeys.fetch_host_key(kind, pk, user=request.user)
        except PortalError as e:
            context["error"] = str(e)
        context["change"] = context.get("scan", {}).get("change") or target.open_host_key_change
        return render(request, self.template_name, context)


class HostKeyChangeView(View):
    """The old and the new key side by side; accept (domain administrator), then sign off (a second person); or
    reject (domain administrator). The change's history is its audit trail."""

    def _change(self, request, pk) -> HostKeyChange:
        change = get_object_or_404(
            HostKeyChange.objects.visible_to(request.user).select_related(
                "node__cluster__server__domain",
                "server__domain",
                "seen_by",
                "accepted_by",
                "signed_off_by",
                "rejected_by",
            ),
            pk=pk,
        )
        return change

    def get(self, request, pk):
        change = self._change(request, pk)
        endpoint = ssh.Endpoint.of(change.target)
        may_decide = change.is_open and signoff.may_decide(Decision.DECIDE_HOST_KEY, request.user, change)
        return render(
            request,
            "procedures/host_key_change.html",
            {
                "change": change,
                "target": change.target,
                "kind": hostkeys.kind_of(change.target),
                "back": _page_of(change.target),
                "may_accept": may_decide and change.state == HostKeyChangeState.DETECTED,
                "may_reject": may_decide,
                "may_sign_off": change.state == HostKeyChangeState.ACCEPTED
                and signoff.may_decide(Decision.ACCEPT_HOST_KEY, request.user, change),
                "States": HostKeyChangeState,
                "old": _describe(change.old_key, endpoint),
                "new": _describe(change.new_key, endpoint),
                "history": _trail(change),
            },
        )

    def post(self, request, pk):
        change = self._change(request, pk)
        action = request.POST.get("action")
        fingerprint = request.POST.get("fingerprint", "")
        try:
            if action == "accept":
                hostkeys.accept_host_key(change.pk, user=request.user, confirmed_fingerprint=fingerprint)
                messages.success(request, _("New host key accepted; a second person signs it off before it is pinned."))
            elif action == "reject":
                hostkeys.reject_host_key(change.pk, user=request.user)
                messages.success(
                    request,
                    _("New host key rejected; the old key stays pinned, the machine refused while it shows the new."),
                )
            elif action == "sign-off":
                hostkeys.sign_off_host_key(change.pk, user=request.user, confirmed_fingerprint=fingerprint)
                messages.success(request, _("New host key pinned; steps may run on this machine again."))
            else:
                messages.error(request, _("Choose accept, reject or sign off."))
        except PortalError as e:
            messages.error(request, str(e))
        return redirect("procedures:host-key-change", change.pk)
