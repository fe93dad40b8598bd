"""Runs as the executor leaves them, made directly: a step with a host result and its log lines."""

from __future__ import annotations

from django.utils import timezone

from procedures import services
from procedures.choices import HostState, Stream
from procedures.models import RunLogLine, StepHostResult
from procedures.models.logs import store_lines
from tests.fixtures.runs import command_step, host_ref, make_plan


def recorded_run(w, steps, *, procedure="k5-1a", cluster=None):
    """``steps``: (key, node or None, server or None, output lines, host state) per step; one host each."""
    cluster = cluster or w.cluster
    node_for_plan = cluster.nodes.order_by("position").first()
    planned = [command_step(key, [host_ref(node or node_for_plan, "true")]) for key, node, *_rest in steps]
    run = services.create_run(cluster, make_plan(cluster, planned, procedure=procedure), user=w.operator)
    seq = RunLogLine.objects.last_seq(run.pk)
    rows = []
    now = timezone.now()
    for step, (_key, node, server, lines, state) in zip(run.steps.order_by("position"), steps, strict=True):
        label = f"{node.host_name} (node {node.position})" if node else f"{server.name} (standalone)"
        StepHostResult.objects.create(
            step=step, attempt=1, host_label=label, host_name=node.host_name if node else server.host_name,
            node=node, server=server, state=state, exit_code=0 if state == HostState.SUCCEEDED else 1,
            started_at=now, finished_at=now,
        )  # fmt: skip
        for text in lines:
            seq += 1
            rows.append((run.pk, step.pk, 1, label, seq, Stream.STDOUT, text, now))
    store_lines(rows)
    return run


def mhs(node=None, server=None, state=HostState.SUCCEEDED, key="a44.mhs_nadr_cfg"):
    return (key, node, server, ["mhs_nadr_cfg: TCP を OFF に設定しました。"], state)
