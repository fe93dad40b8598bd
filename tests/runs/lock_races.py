"""Two runs that touch one server, started at the same moment: exactly one starts, the other is refused naming it.

Shared by the SQLite test (tests/runs/test_server_locks.py) and the PostgreSQL one (tests/prod/test_lock_race.py).
"""

from __future__ import annotations

from functools import partial

from django.utils import translation

from clusters.choices import ServerRole
from procedures import services
from procedures.choices import RunState
from procedures.exceptions import ServerBusy
from procedures.models import ProcedureRun, ServerLock
from procedures.plan import HostRef
from tests.factories import ServerFactory
from tests.fixtures.runs import command_step, host_ref, make_plan
from tests.runs.races import race


def _approved(w, cluster, steps) -> ProcedureRun:
    run = services.create_run(cluster, make_plan(cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    return run


def _started_in_english(run_id, user):
    with translation.override("en"):
        return services.start_run(run_id, user=user)


def start_both(w, first, second) -> tuple[ProcedureRun, ServerBusy]:
    """Race the two starts; return the run that started and the other one's refusal, after checking the locks."""
    outcomes = race(
        [partial(_started_in_english, first.pk, w.operator), partial(_started_in_english, second.pk, w.operator2)]
    )
    started = [o for o in outcomes if isinstance(o, ProcedureRun)]
    refused = [o for o in outcomes if isinstance(o, ServerBusy)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    winner = started[0]
    loser = second if winner.pk == first.pk else first
    loser.refresh_from_db()
    assert loser.state == RunState.APPROVED and not ServerLock.objects.filter(run=loser).exists()  # all or nothing
    assert f"held by run {winner.pk}" in str(refused[0])
    return winner, refused[0]


def one_standalone_server_two_runs(w) -> None:
    """Two address clusters' runs both reach one standalone mail server (as B-46 and C-40 do)."""
    mail = ServerFactory(
        domain=w.domain, role=ServerRole.ADDRESS, name="mailsv-race", cluster=None, host_name="mailsvr",
        ssh_address="192.0.2.60", uses_mail_server=True,
    )  # fmt: skip
    reach = HostRef(label="mailsvr (standalone)", host_name="mailsvr", server_id=mail.pk, command="true")
    runs = []
    for name in ("addsv-race-a", "addsv-race-b"):
        cluster = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS, name=name).cluster
        runs.append(_approved(w, cluster, [command_step("mhs", [host_ref(cluster.nodes.first(), "true"), reach])]))
    winner, refusal = start_both(w, *runs)
    assert str(refusal).startswith("Standalone server mailsv-race (mailsvr) is held by run")
    assert ServerLock.objects.get(server=mail).run_id == winner.pk


def crossing_fan_outs(w) -> None:
    """Each run reaches the other's cluster: taken in one order (the servers' keys), so no deadlock, one refusal."""
    a = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS, name="addsv-cross-a").cluster
    b = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS, name="addsv-cross-b").cluster
    node_a, node_b = a.nodes.first(), b.nodes.first()
    on_a = _approved(w, a, [command_step("x", [host_ref(node_a, "true"), host_ref(node_b, "true")])])
    on_b = _approved(w, b, [command_step("x", [host_ref(node_b, "true"), host_ref(node_a, "true")])])
    start_both(w, on_a, on_b)
