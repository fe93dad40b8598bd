"""A generated domain for the report figure: N clustered servers (every other one a mail server) and M runs.

Written with ``bulk_create`` straight into the bench database (the portal's own models and constraints), so
that a domain of 200 servers and 20,000 runs takes seconds, not the hours real runs would. Each run looks like
what the executor leaves: three steps (mhs_nadr_cfg on node 1, nxsrepstat, a console step), host results,
the package check's ``cmviewcl`` lines and the nxsrepstat output, the usual events, and now and then a retry
or a countersigned skip, spread over the last year.
"""

from __future__ import annotations

import datetime as dt
import random

PROCEDURES = ("k5-1a", "k5-1b", "k5-2")


def build(servers: int, runs: int, *, operator, approver, viewer, seed: int = 19) -> tuple:
    """(big domain, empty domain); ``viewer`` gets the viewer role in both."""
    from django.utils import timezone

    from clusters.choices import DomainRoleName, ServerRole
    from clusters.models import AddressDomain, Cluster, DomainMembership, GroupmaxServer, Node, Site
    from procedures.choices import PACKAGE_VIEW_HOST, RunState, StepState
    from procedures.models import ProcedureRun, RunEvent, RunLogLine, StepHostResult, StepRun

    rnd = random.Random(seed)  # noqa: S311 (made-up data, not a secret)
    site = Site.objects.create(name="report-bench-site", time_zone="Asia/Tokyo")
    big = AddressDomain.objects.create(site=site, name="report-bench-domain")
    empty = AddressDomain.objects.create(site=site, name="report-bench-empty")
    for domain in (big, empty):
        DomainMembership.objects.create(domain=domain, user=viewer, role=DomainRoleName.VIEWER)
    clusters = Cluster.objects.bulk_create(
        Cluster(
            name=f"rbcl{i:03d}", package_name=f"rbpkg{i}", package_host=f"rbhost{i}",
            package_ip=f"10.{i // 250}.{i % 250}.100", package_subnet=f"10.{i // 250}.{i % 250}.0",
            volume_group="vggmax",
            control_script_path=f"/etc/cmcluster/rbpkg{i}/control.sh",
        )
        for i in range(servers)
    )  # fmt: skip
    nodes = Node.objects.bulk_create(
        Node(cluster=c, position=p, host_name=f"{c.name}n{p}", primary_ip=f"10.{i // 250}.{i % 250}.{p}",
             ssh_address=f"10.{i // 250}.{i % 250}.{p}")
        for i, c in enumerate(clusters)
        for p in (1, 2)
    )  # fmt: skip
    GroupmaxServer.objects.bulk_create(
        GroupmaxServer(domain=big, name=f"rbsv{i:03d}", role=ServerRole.MASTER if i == 0 else ServerRole.ADDRESS,
                       uses_mail_server=i % 2 == 0, schema_name="GMAXSCH", cluster=c)
        for i, c in enumerate(clusters)
    )  # fmt: skip
    node1 = {n.cluster_id: n for n in nodes if n.position == 1}
    server_name = {c.pk: f"rbsv{i:03d}" for i, c in enumerate(clusters)}
    now = timezone.now()
    # A plan snapshot of a few kB (a real K.5 one is about 100 kB): large enough that a row read for a run is not
    # free, as it is not on a real database, while 20,000 of them stay quick to write.
    plan = {
        "title": {"ja": "ベンチ", "en": "Bench"},
        "steps": [{"key": f"s{i:02d}", "command": "cmviewcl -v -p gmaxpkg; " * 4} for i in range(40)],
    }
    run_rows = []
    for i in range(runs):
        cluster = clusters[i % servers]
        created = now - dt.timedelta(minutes=rnd.randint(60, 365 * 24 * 60))
        started = created + dt.timedelta(minutes=10)
        state = rnd.choice((RunState.SIGNED_OFF,) * 8 + (RunState.COMPLETED, RunState.ABORTED))
        run_rows.append(
            ProcedureRun(
                cluster=cluster, procedure=PROCEDURES[i % 3], plan=plan, plan_digest="0" * 64, state=state,
                planned_by=operator, approved_by=approver, started_by=operator,
                signed_off_by=approver if state == RunState.SIGNED_OFF else None, created_at=created,
                approved_at=created, started_at=started,
                finished_at=started + dt.timedelta(minutes=rnd.randint(20, 240)),
            )
        )  # fmt: skip
    run_rows = ProcedureRun.objects.bulk_create(run_rows, batch_size=2000)
    steps = []
    for run in run_rows:
        steps += [
            StepRun(run=run, position=1, key="a44.mhs_nadr_cfg", kind="command", state=StepState.SUCCEEDED, attempt=1,
                    executed_by=operator, started_at=run.started_at, finished_at=run.started_at),
            StepRun(run=run, position=2, key="c41.nxsrepstat", kind="command", state=StepState.SUCCEEDED,
                    attempt=rnd.choice((1, 1, 1, 2)), executed_by=operator, started_at=run.started_at,
                    finished_at=run.started_at),
            StepRun(run=run, position=3, key="a38.console", kind="console", state=StepState.CONFIRMED, attempt=0,
                    confirmed_by=operator, started_at=run.started_at, finished_at=run.finished_at),
        ]  # fmt: skip
    steps = StepRun.objects.bulk_create(steps, batch_size=5000)
    results, lines, events = [], [], []
    for k in range(0, len(steps), 3):
        mhs, rep, console = steps[k : k + 3]
        run = mhs.run
        node = node1[run.cluster_id]
        label = f"{node.host_name} (node 1)"
        owner_label = f"{server_name[run.cluster_id]}: node running package {run.cluster.package_name}"  # resolved host
        for step, host_label in ((mhs, owner_label), (rep, label)):
            results.append(
                StepHostResult(step=step, attempt=step.attempt, host_label=host_label, host_name=node.host_name,
                               node=node, state="succeeded", exit_code=0, started_at=step.started_at,
                               finished_at=step.finished_at)
            )  # fmt: skip
        view = PACKAGE_VIEW_HOST.format(node=node.host_name)
        texts = [
            (mhs, owner_label, "mhs_nadr_cfg: TCP を OFF に設定しました。"),
            (mhs, view, f"    {run.cluster.package_name}  up  running  enabled  {node.host_name}"),
            (rep, label, "トランザクションレコードなし" if rnd.random() < 0.9 else "トランザクションレコードあり (2)"),
        ]
        for seq, (step, host, text) in enumerate(texts, start=1):
            lines.append(RunLogLine(run=run, step=step, attempt=step.attempt, host=host, seq=seq, stream="out",
                                    text=text, at=step.finished_at))  # fmt: skip
        for action, by, step in (
            ("plan", operator, None),
            ("approve", approver, None),
            ("start", operator, None),
            ("confirm", operator, console),
            ("sign_off", approver, None),
        ):
            events.append(RunEvent(run=run, step=step, action=action, actor=by, at=run.started_at))
        if rep.attempt > 1:
            events.append(RunEvent(run=run, step=rep, action="retry", actor=operator, at=run.started_at))
        if k % 300 == 0:
            events.append(RunEvent(run=run, step=console, action="skip", actor=approver, reason="shown on the console",
                                   details={"requested_by": operator.username}, at=run.finished_at))  # fmt: skip
    StepHostResult.objects.bulk_create(results, batch_size=5000)
    RunLogLine.objects.bulk_create(lines, batch_size=5000)
    RunEvent.objects.bulk_create(events, batch_size=5000)
    return big, empty
