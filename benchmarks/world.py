"""The lab the benchmarks run on, and its inventory and people in the bench database.

The lab has ``clusters`` two-node clusters on a free 127.x octet (one run per cluster at a time is the
portal's rule, so ten runs at once need ten clusters). Its inventory is built the way the tests build it
(``tests.fixtures.runs.inventory_from_lab``: host keys pinned from the lab, the portal's key as credential).
"""

from __future__ import annotations

from dataclasses import dataclass

from clusters.lab import ClusterSpec, FilesystemSpec, LabSpec, NodeSpec, ServerSpec

SSH_PORT = 2222


def bench_spec(clusters: int) -> LabSpec:
    from tests.fixtures.lab import _free, _octets

    octet = None
    while octet is None:
        candidate = next(_octets) % 250 + 2
        if all(_free(f"127.{candidate}.{i}.{n}", SSH_PORT) for i in range(1, clusters + 1) for n in (1, 2)):
            octet = candidate
    a = f"127.{octet}"
    nodes, cluster_specs, servers = [], [], []
    for i in range(1, clusters + 1):
        names = (f"bench{i:02d}a", f"bench{i:02d}b")
        for n, name in enumerate(names, start=1):
            nodes.append(NodeSpec(name, f"{a}.{i}.{n}", SSH_PORT, (f"{a}.{i}.{n}",), f"benchcl{i:02d}"))
        vg = f"vgbench{i:02d}"
        cluster_specs.append(
            ClusterSpec(
                f"benchcl{i:02d}", f"pkg{i:02d}", f"pkghost{i:02d}", f"{a}.{i}.100", f"{a}.{i}.0", vg, names,
                (FilesystemSpec(f"/dev/{vg}/lvol1", "/var/opt/GroupMail"),
                 FilesystemSpec(f"/dev/{vg}/lvol2", "/OBJSVFILE")),
                "/OBJSVFILE", f"/etc/cmcluster/pkg{i:02d}/control.sh",
            )
        )  # fmt: skip
        servers.append(ServerSpec(f"benchsv{i:02d}", "master" if i == 1 else "address", cluster=f"benchcl{i:02d}"))
    return LabSpec(
        name=f"bench-lab-{octet}", domain="bench-domain", nodes=tuple(nodes), clusters=tuple(cluster_specs),
        servers=tuple(servers),
    )  # fmt: skip


@dataclass
class World:
    lab: object
    domain: object
    clusters: list
    operator: object
    approver: object
    viewer: object
    sessions: dict

    @classmethod
    def build(cls, lab) -> World:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from benchmarks.harness import Session
        from clusters.choices import DomainRoleName
        from clusters.models import DomainMembership
        from tests.fixtures.runs import inventory_from_lab

        domain = inventory_from_lab(lab)
        clusters = sorted((s.cluster for s in domain.servers.exclude(cluster=None)), key=lambda c: c.name)
        people, sessions = {}, {}
        for name, role in (
            ("operator", DomainRoleName.OPERATOR),
            ("approver", DomainRoleName.APPROVER),
            ("viewer", DomainRoleName.VIEWER),
        ):
            user = get_user_model().objects.create_user(f"bench-{name}", password="bench-password-1")  # noqa: S106
            DomainMembership.objects.create(domain=domain, user=user, role=role)
            client = Client()
            client.force_login(user)  # Django's own login: a real session row, as the log-in page makes
            people[name] = user
            sessions[name] = Session(user.username, client.cookies["sessionid"].value)
        return cls(lab=lab, domain=domain, clusters=clusters, sessions=sessions, **people)

    def node1(self, cluster):
        return cluster.nodes.get(position=1)

    def new_run(self, cluster, command: str, *, key: str = "bench", timeout_s: int = 3600):
        """A planned and approved run of one command step on the cluster's node 1: (run, step)."""
        from procedures import services
        from tests.fixtures.runs import command_step, host_ref, make_plan

        step = command_step(key, [host_ref(self.node1(cluster), command)], timeout_s=timeout_s)
        run = services.create_run(cluster, make_plan(cluster, [step], procedure="bench"), user=self.operator)
        services.approve_run(run.pk, user=self.approver)
        return run, run.steps.get()
