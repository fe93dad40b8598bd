"""The domain's standing ``mhs_nadr_cfg TCP OFF`` duty (K.5 A-N1, B-46, B-N1, C-40, C-N1).

Once any Groupmax server of an address-management domain is clustered, every mail server of that domain,
clustered or standalone, needs ``mhs_nadr_cfg TCP OFF``; a mail server added later is easy to forget. This
reads the portal's own record (successful host results of the catalog's mhs_nadr_cfg steps) per mail server,
so the domain page can say which ones have it on record and which still need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from clusters.models import AddressDomain, GroupmaxServer
from procedures.choices import HostState
from procedures.models import StepHostResult

MHS_STEP_KEYS = Q(step__key__contains="mhs_nadr_cfg") | Q(step__key__contains="mail_servers_mhs")


@dataclass
class MailServerDuty:
    server: GroupmaxServer
    done: list[StepHostResult] = field(default_factory=list)  # newest first

    @property
    def on_record(self) -> bool:
        return bool(self.done)

    @property
    def last(self) -> StepHostResult | None:
        return self.done[0] if self.done else None


def duty_applies(domain: AddressDomain) -> bool:
    """The duty exists once a server of the domain runs on a cluster (K.5's notes)."""
    return domain.servers.clustered().exists()


def mhs_nadr_cfg_duty(domain: AddressDomain) -> list[MailServerDuty]:
    """Every mail server of ``domain`` with the successful ``mhs_nadr_cfg`` runs the portal recorded for it."""
    duties = {s.pk: MailServerDuty(s) for s in domain.servers.mail_servers().select_related("cluster")}
    by_cluster = {d.server.cluster_id: d for d in duties.values() if d.server.cluster_id}
    results = (
        StepHostResult.objects.filter(MHS_STEP_KEYS, state=HostState.SUCCEEDED)
        .filter(Q(server__in=duties.keys()) | Q(node__cluster__in=by_cluster.keys()))
        .select_related("step__run", "node")
        .order_by("-finished_at", "-pk")
    )
    for result in results:
        duty = duties.get(result.server_id) if result.server_id else None
        if duty is None and result.node_id:
            duty = by_cluster.get(result.node.cluster_id)
        if duty is not None:
            duty.done.append(result)
    return sorted(duties.values(), key=lambda d: (d.on_record, d.server.name))
