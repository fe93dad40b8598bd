"""A run holds every Groupmax server it will touch, from its start until it ends, and does not start when
another run holds one of them: its own cluster's, a standalone master, and the servers fan-out steps reach."""

import pytest
from django.utils import translation

from clusters.choices import DomainRoleName, ServerRole
from clusters.models import Cluster, GroupmaxServer
from procedures import services
from procedures.catalog import render_plan
from procedures.choices import RunState
from procedures.exceptions import ServerBusy
from procedures.models import ServerLock
from procedures.plan import HostRef
from tests.factories import MembershipFactory, ServerFactory, UserFactory
from tests.fixtures.runs import build_world, command_step, host_ref, make_plan
from tests.runs import lock_races


def run_of(w, cluster, steps):
    run = services.create_run(cluster, make_plan(cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    return run


def held(run) -> set[str]:
    return set(ServerLock.objects.filter(run=run).values_list("server__name", flat=True))


def test_a_standalone_master_is_held_like_a_clustered_one(state_world):
    w = state_world
    master = ServerFactory(
        domain=w.domain, role=ServerRole.ADDRESS, name="standalone-m", cluster=None, host_name="mastersv",
        ssh_address="192.0.2.50",
    )  # fmt: skip
    w.cluster.server.role = ServerRole.ADDRESS
    w.cluster.server.save()
    master.role = ServerRole.MASTER
    master.save()
    edit = command_step("gmpublicinfo", [HostRef(label="mastersv (standalone)", host_name="mastersv",
                                                 server_id=master.pk, command="true")], locks_master=True)  # fmt: skip
    first = run_of(w, w.cluster, [edit])
    services.start_run(first.pk, user=w.operator)
    assert held(first) == {w.cluster.server.name, "standalone-m"}

    other = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS).cluster
    second = run_of(
        w, other, [command_step("gmpublicinfo", [host_ref(other.nodes.first(), "true")], locks_master=True)]
    )
    with translation.override("en"), pytest.raises(ServerBusy) as refused:
        services.start_run(second.pk, user=w.operator)
    assert str(refused.value).startswith(f"Standalone server standalone-m (mastersv) is held by run {first.pk}")
    second.refresh_from_db()
    assert second.state == RunState.APPROVED and held(second) == set()  # all or nothing


def test_a_run_whose_fan_out_reaches_another_cluster_holds_it_and_waits_for_nobody(state_world):
    w = state_world
    other = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS, name="addsv-x").cluster
    node = other.nodes.order_by("position").first()
    fan_out = run_of(w, w.cluster, [command_step("mail_servers", [host_ref(w.node1, "true"), host_ref(node, "true")])])
    their_own = run_of(w, other, [command_step("x", [host_ref(node, "true")])])
    services.start_run(their_own.pk, user=w.operator2)
    with translation.override("en"), pytest.raises(ServerBusy, match=f"Server addsv-x \\(cluster {other.name}\\)"):
        services.start_run(fan_out.pk, user=w.operator)  # it would act on a cluster another run is working on
    fan_out.refresh_from_db()
    assert fan_out.state == RunState.APPROVED and held(fan_out) == set()
    services.abort_run(their_own.pk, user=w.operator2, reason="later")
    services.start_run(fan_out.pk, user=w.operator)
    assert held(fan_out) == {w.cluster.server.name, "addsv-x"}


@pytest.mark.parametrize(
    ("cluster", "procedure", "touched"),
    [
        ("gmxcl01", "k5-2", {"gmaxmaster", "addsv01", "gmxsv04", "mailsv03"}),  # C-32, C-40: other servers
        ("gmxcl02", "k5-1b", {"addsv01", "gmaxmaster"}),  # B-27 edits the master
    ],
)
def test_the_servers_a_k5_plan_touches_are_the_ones_its_run_holds(demo_inventory, cluster, procedure, touched):
    operator, approver = demo_inventory
    cluster = Cluster.objects.get(name=cluster)
    run = services.create_run(cluster, render_plan(cluster, procedure, {}), user=operator)
    assert {s.name for s in services.servers_touched(run)} == touched
    services.approve_run(run.pk, user=approver)
    services.start_run(run.pk, user=operator)
    assert held(run) == touched


@pytest.fixture
def demo_inventory(db, settings):
    from clusters.demo import load_demo_inventory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PORTAL_DISPATCH = "none"
    load_demo_inventory()
    domain = GroupmaxServer.objects.get(name="gmaxmaster").domain
    people = []
    for name, role in (("locks-operator", DomainRoleName.OPERATOR), ("locks-approver", DomainRoleName.APPROVER)):
        people.append(UserFactory(username=name))
        MembershipFactory(domain=domain, user=people[-1], role=role)
    return people


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scenario", [lock_races.one_standalone_server_two_runs, lock_races.crossing_fan_outs])
def test_two_runs_that_touch_one_server_started_at_once_one_starts(settings, scenario):
    settings.PORTAL_DISPATCH = "none"
    scenario(build_world())
