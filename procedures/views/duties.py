"""The domain's mhs_nadr_cfg duty page: which mail servers have it on record (procedures.duties)."""

from django.shortcuts import get_object_or_404, render
from django.views import View

from clusters.models import AddressDomain
from procedures import duties


class DomainDutyView(View):
    def get(self, request, pk: int):
        domain = get_object_or_404(AddressDomain.objects.visible_to(request.user).select_related("site"), pk=pk)
        rows = duties.mhs_nadr_cfg_duty(domain)
        return render(
            request,
            "procedures/domain_duty.html",
            {
                "domain": domain,
                "rows": rows,
                "applies": duties.duty_applies(domain),
                "missing": [row for row in rows if not row.on_record],
            },
        )
