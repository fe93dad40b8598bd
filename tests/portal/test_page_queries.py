"""Every page of the walk reads the same number of queries however many runs, domains, clusters and servers.

The pages are read by an approver of every domain (the benchmark's viewer, ``benchmarks/figures.py`` ``pages``):
each domain added brings a master cluster (a mail server) with a run in progress, an address server's cluster
(a mail server too), a standalone mail server, nodes without a pinned host key, so every panel of the home page
(runs, warnings, the mhs_nadr_cfg duty of every domain) has more to show. The approver's queue reads one query
per kind of subject that has something waiting (``procedures.queue.queue_for``), so both worlds have runs to approve.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clusters.choices import DomainRoleName
from clusters.models import DomainMembership
from procedures import services
from tests.factories import DomainFactory, MasterFactory, ServerFactory
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan

MOST = 30  # queries of the costliest page (home), whatever the size


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured.captured_queries)


def add_domain(w, n: int):
    """A domain of its own with servers of every kind and a run in progress on its master cluster."""
    domain = DomainFactory(site=w.domain.site)
    for user, role in ((w.operator, DomainRoleName.OPERATOR), (w.approver, DomainRoleName.APPROVER)):
        DomainMembership.objects.create(domain=domain, user=user, role=role)
    master = MasterFactory(domain=domain).cluster
    ServerFactory(domain=domain, uses_mail_server=True)
    ServerFactory(
        domain=domain, cluster=None, uses_mail_server=True, host_name=f"standalone{n}", ssh_address=f"127.9.{n}.1"
    )
    node = master.nodes.get(position=1)
    steps = [console_step("c", items=("screen",)), command_step("cmd", [host_ref(node, "echo hi")])]
    run = services.create_run(master, make_plan(master, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    return run


def pages(run) -> dict[str, str]:
    runs = reverse("procedures:run-list")
    return {
        "home": "/",
        "home panels": reverse("procedures:home-panels"),
        "runs": runs,
        "runs filtered": f"{runs}?state=running&sort=-cluster",
        "run": run.get_absolute_url(),
        "cluster": run.cluster.get_absolute_url(),
        "domain": run.cluster.server.domain.get_absolute_url(),
        "plan": reverse("procedures:plan", args=[run.cluster.pk]),
        "queue": reverse("procedures:queue"),
    }


def test_every_page_reads_as_many_queries_for_one_domain_as_for_six(client, state_world):
    w = state_world
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(w.approver)
    first = add_domain(w, 1)
    urls = pages(first)
    to_approve = [services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)]
    small = {name: queries(client, url) for name, url in urls.items()}
    for n in range(2, 7):
        add_domain(w, n)
    for _ in range(3):
        to_approve.append(services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator))
    big = {name: queries(client, url) for name, url in urls.items()}
    assert big == small
    assert max(big.values()) <= MOST, big
    home = client.get("/").content.decode()
    assert all(f"waiting-approve-{run.pk}" in home for run in to_approve)  # the bigger world was on the page
