"""The domain's standing ``mhs_nadr_cfg TCP OFF`` duty (K.5 A-N1, B-46, B-N1, C-40, C-N1).

Once any Groupmax server of an address-management domain is clustered, every mail server of that domain,
clustered or standalone, needs ``mhs_nadr_cfg TCP OFF``; a mail server added later is easy to forget. The
setting must hold where the mail server runs: on a standalone server, and on **both** nodes of a clustered one
(flaw 4 of the reference: K.5 does not say where the setting is kept, and node 2 can lack it).

This reads, per place, the portal's own record (the newest successful host result of a catalog mhs_nadr_cfg
step) and the records of the duty done outside the portal (``DutyRecord``: a person's reason, counted once a
second person signs it off). The duty page and the domain report both read ``mhs_nadr_cfg_duty``; the two
actions on outside records are ``record_outside`` and ``decide_outside``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, GroupmaxServer, Node
from clusters.rules import has_role
from portal.errors import NotAllowed
from procedures import exceptions as exc
from procedures import signoff
from procedures.choices import DutyRecordState, HostState
from procedures.models import DutyRecord, StepHostResult
from procedures.plan import node_label, standalone_label
from procedures.signoff import Decision

MHS_STEP_KEYS = Q(step__key__contains="mhs_nadr_cfg") | Q(step__key__contains="mail_servers_mhs")


@dataclass(frozen=True)
class PortalRecord:
    """The newest successful mhs_nadr_cfg host result of a portal run at a place: what the pages show of it."""

    pk: int
    finished_at: datetime | None
    step_key: str
    run_id: int

    @property
    def run_url(self) -> str:
        return reverse("procedures:run-detail", args=[self.run_id])


@dataclass
class PlaceDuty:
    """One place where the setting must hold: a node of a clustered mail server, or a standalone one."""

    label: str
    node: Node | None = None
    portal: PortalRecord | None = None  # the newest successful mhs_nadr_cfg of a portal run here
    outside: DutyRecord | None = None  # the newest signed-off record of it done outside the portal
    pending: list[DutyRecord] = field(default_factory=list)  # outside records waiting for the second person

    @property
    def holds(self) -> bool:
        return self.portal is not None or self.outside is not None

    @property
    def at(self):
        times = [t for t in (self.portal and self.portal.finished_at, self.outside and self.outside.done_at) if t]
        return max(times) if times else None

    @property
    def by_portal(self) -> bool:
        """The newest evidence is a portal run (else a signed-off outside record)."""
        if self.portal is None:
            return False
        if self.outside is None:
            return True
        return (self.portal.finished_at or timezone.now()) >= self.outside.done_at


@dataclass
class MailServerDuty:
    server: GroupmaxServer
    places: list[PlaceDuty] = field(default_factory=list)

    @property
    def on_record(self) -> bool:
        return all(place.holds for place in self.places)

    @property
    def missing(self) -> list[PlaceDuty]:
        return [place for place in self.places if not place.holds]

    @property
    def last(self) -> PlaceDuty | None:
        held = [place for place in self.places if place.holds]
        return max(held, key=lambda p: p.at) if held else None


def duty_applies(domain: AddressDomain) -> bool:
    """The duty exists once a server of the domain runs on a cluster (K.5's notes)."""
    return domain.servers.clustered().exists()


def domains_where_duty_applies(domains):
    """The pks of ``domains`` (a queryset of domains or of their pks) where the duty exists (``duty_applies``), as a
    subquery: ``mhs_nadr_cfg_duties`` reads it in its first query."""
    return GroupmaxServer.objects.clustered().filter(domain__in=domains).values("domain_id")


def _place_label(server: GroupmaxServer, node: Node | None) -> str:
    """The place as a host label (``plan.node_label``): a key, shown through ``plan.host_shown``."""
    return node_label(node.host_name, node.position) if node else standalone_label(server.host_name)


def mhs_nadr_cfg_duty(domain: AddressDomain) -> list[MailServerDuty]:
    """Every mail server of ``domain`` with, per place, what the portal and signed-off outside records say.

    Four queries whatever the number of servers and runs (``mhs_nadr_cfg_duties``).
    """
    return mhs_nadr_cfg_duties([domain.pk]).get(domain.pk, [])


def mhs_nadr_cfg_duties(domains) -> dict[int, list[MailServerDuty]]:
    """``mhs_nadr_cfg_duty`` of every domain in ``domains`` (pks, domains or a queryset of them), by domain pk;
    a domain without a mail server is left out.

    Four queries whatever the number of domains, servers and runs: the mail servers, their nodes, the newest
    successful result per place with its step's key and run (a subquery per place; plain rows, the run itself
    is not read), and the outside records.
    """
    servers = list(GroupmaxServer.objects.mail_servers().filter(domain__in=domains).select_related("cluster"))
    nodes: dict[int, list[Node]] = {}
    for node in Node.objects.filter(cluster__in=[s.cluster_id for s in servers if s.cluster_id]).order_by(
        "cluster_id", "position"
    ):
        nodes.setdefault(node.cluster_id, []).append(node)
    duties: dict[int, list[MailServerDuty]] = {}
    by_node, by_server = {}, {}
    for server in servers:
        duty = MailServerDuty(server)
        if server.cluster_id:
            for node in nodes.get(server.cluster_id, []):
                duty.places.append(by_node.setdefault(node.pk, PlaceDuty(_place_label(server, node), node)))
        else:
            duty.places.append(by_server.setdefault(server.pk, PlaceDuty(_place_label(server, None))))
        duties.setdefault(server.domain_id, []).append(duty)
    if not servers:
        return duties
    # The newest successful result per place, as a subquery per node or server that walks its results from the
    # newest and stops at the first that fits, rather than grouping every result of the domain's mail servers.
    succeeded = StepHostResult.objects.filter(MHS_STEP_KEYS, state=HostState.SUCCEEDED).order_by("-pk").values("pk")
    at_nodes = Node.objects.filter(pk__in=list(by_node)).values(
        last=Subquery(succeeded.filter(node=OuterRef("pk"))[:1])
    )
    at_servers = GroupmaxServer.objects.filter(pk__in=list(by_server)).values(
        last=Subquery(succeeded.filter(server=OuterRef("pk"), node=None)[:1])
    )
    results = StepHostResult.objects.filter(Q(pk__in=at_nodes) | Q(pk__in=at_servers)).order_by("pk")
    fields = ("pk", "node_id", "server_id", "finished_at", "step__key", "step__run_id")
    for pk, node_id, server_id, finished_at, step_key, run_id in results.values_list(*fields):  # plain rows
        place = by_node.get(node_id) if node_id else by_server.get(server_id)
        if place is not None and (place.portal is None or pk > place.portal.pk):
            place.portal = PortalRecord(pk, finished_at, step_key, run_id)
    records = DutyRecord.objects.filter(
        server__in=[s.pk for s in servers], state__in=(DutyRecordState.PENDING, DutyRecordState.CONFIRMED)
    ).select_related("recorded_by", "decided_by")
    for record in records.order_by("done_at", "pk"):  # oldest first: the newest signed-off one stays
        place = by_node.get(record.node_id) if record.node_id else by_server.get(record.server_id)
        if place is None:
            continue
        if record.state == DutyRecordState.CONFIRMED:
            place.outside = record
        else:
            place.pending.append(record)
    return {pk: sorted(rows, key=lambda d: (d.on_record, d.server.name)) for pk, rows in duties.items()}


def record_outside(server_id: int, *, user, node_id: int | None, reason: str, done_at=None) -> DutyRecord:
    """An operator records ``mhs_nadr_cfg TCP OFF`` done outside the portal; it counts once signed off."""
    if not (reason or "").strip():
        raise exc.ReasonRequired()
    with transaction.atomic():
        server = GroupmaxServer.objects.select_for_update().select_related("domain").get(pk=server_id)
        if not has_role(user, server.domain, DomainRoleName.OPERATOR):
            raise NotAllowed(domain=server.domain)
        if not server.uses_mail_server:
            raise exc.NotAMailServer(server=server.name)
        node = None
        if server.cluster_id:
            node = Node.objects.filter(cluster_id=server.cluster_id, pk=node_id or 0).first()
            if node is None:
                raise exc.NodeOfServerRequired(server=server.name)
        elif node_id:
            raise exc.NodeOfServerRequired(server=server.name)
        now = timezone.now()
        if done_at is not None and done_at > now:
            raise exc.DoneInTheFuture()
        return DutyRecord.objects.create(
            server=server, node=node, reason=reason.strip(), recorded_by=user, done_at=done_at or now
        )


def decide_outside(record_id: int, *, user, confirm: bool, note: str = "") -> DutyRecord:
    """A second person signs off (or rejects) an outside record: ``signoff`` says who may."""
    with transaction.atomic():
        record = DutyRecord.objects.select_for_update().select_related("server__domain").get(pk=record_id)
        signoff.refuse_role(Decision.CONFIRM_OUTSIDE_DUTY, user, record)
        signoff.refuse_involved(Decision.CONFIRM_OUTSIDE_DUTY, user, record)
        if record.state != DutyRecordState.PENDING:
            raise exc.DutyRecordDecided(state=record.get_state_display())
        (record.confirm if confirm else record.reject)(by=user, note=note)
        record.save()
    return record
