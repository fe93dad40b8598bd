"""The domain's mhs_nadr_cfg duty page: which mail servers have it on record (procedures.duties), and the records
of it done outside the portal (an operator records one with a reason, a second person signs it off)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, GroupmaxServer
from clusters.rules import has_role
from portal.errors import PortalError
from procedures import duties, signoff
from procedures.models import DutyRecord
from procedures.signoff import Decision


class DomainDutyView(View):
    def get(self, request, pk: int):
        domain = get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)
        rows = duties.mhs_nadr_cfg_duty(domain)
        pending = [record for row in rows for place in row.places for record in place.pending]
        return render(
            request,
            "procedures/domain_duty.html",
            {
                "domain": domain,
                "rows": rows,
                "applies": duties.duty_applies(domain),
                "missing": [row for row in rows if not row.on_record],
                "may_record": has_role(request.user, domain, DomainRoleName.OPERATOR),
                "pending": [(r, signoff.may_decide(Decision.CONFIRM_OUTSIDE_DUTY, request.user, r)) for r in pending],
            },
        )


def _done_at(value: str, zone: str):
    """A ``datetime-local`` value in the site's time zone; empty means now."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


class RecordOutsideView(View):
    def post(self, request, pk: int):
        domain = get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)
        server_part, _sep, node_part = request.POST.get("place", "").partition(":")
        if not server_part.isdigit() or (node_part and not node_part.isdigit()):
            return HttpResponseBadRequest(_("Choose the mail server (and node) from the list."))
        server = get_object_or_404(GroupmaxServer.objects.filter(domain=domain), pk=int(server_part))
        try:
            done_at = _done_at(request.POST.get("done_at", "").strip(), domain.site.time_zone)
        except ValueError:
            return HttpResponseBadRequest(_("The time it was done is written YYYY-MM-DD HH:MM."))
        try:
            duties.record_outside(
                server.pk,
                user=request.user,
                node_id=int(node_part) if node_part else None,
                reason=request.POST.get("reason", ""),
                done_at=done_at,
            )
        except PortalError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Recorded; it counts once a second person signs it off."))
        return redirect("procedures:domain-duty", domain.pk)


class DecideOutsideView(View):
    def post(self, request, pk: int):
        visible = DutyRecord.objects.filter(server__domain__in=AddressDomain.objects.visible_to(request.user))
        record = get_object_or_404(visible.select_related("server"), pk=pk)
        verdict = request.POST.get("verdict", "")
        if verdict not in ("confirm", "reject"):
            return HttpResponseBadRequest(_("A sign-off verdict is approve or reject."))
        try:
            duties.decide_outside(
                record.pk, user=request.user, confirm=verdict == "confirm", note=request.POST.get("note", "")
            )
        except PortalError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Sign-off recorded."))
        return redirect("procedures:domain-duty", record.server.domain_id)
