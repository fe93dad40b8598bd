"""The domain's mhs_nadr_cfg duty page: which mail servers the portal's runs recorded it for."""

from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.choices import DutyRecordState, HostState
from procedures.models import DutyRecord, StepHostResult
from tests.factories import ServerFactory
from tests.fixtures.runs import command_step, host_ref, make_plan


def page(client, user, domain) -> str:
    client.force_login(user)
    response = client.get(reverse("procedures:domain-duty", args=[domain.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def recorded_mhs_run(w, *, state=HostState.SUCCEEDED, nodes=None):
    """A run whose mhs_nadr_cfg steps have a host result on each node (as the executor writes them)."""
    nodes = nodes or (w.node1, w.node2)
    steps = [
        command_step(f"a44.mhs_nadr_cfg.{n.position}", [host_ref(n, "/opt/GroupMail/bin/mhs_nadr_cfg TCP OFF")])
        for n in nodes
    ]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    for step, node in zip(run.steps.order_by("position"), nodes, strict=True):
        StepHostResult.objects.create(
            step=step, attempt=1, host_label=f"{node.host_name} (node {node.position})", host_name=node.host_name,
            node=node, state=state, exit_code=0, finished_at=timezone.now(),
        )  # fmt: skip
    return run


def row_of(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</tr>")[0]


def test_a_standalone_mail_server_without_a_record_is_flagged(client, state_world):
    w = state_world
    standalone = ServerFactory(
        domain=w.domain, cluster=None, name="mailsv03", host_name="mailsv03", ssh_address="127.0.30.1",
        uses_mail_server=True,
    )  # fmt: skip
    run = recorded_mhs_run(w)
    html = page(client, w.viewer, w.domain)
    assert "1 mail server has no mhs_nadr_cfg TCP OFF on record." in html
    for position in (1, 2):
        master_row = row_of(html, f"duty-{w.cluster.server.name}-node{position}")
        assert "not on record" not in master_row and run.get_absolute_url() in master_row
    assert "not on record" in row_of(html, f"duty-{standalone.name}")


def test_set_on_node_1_only_is_flagged_for_node_2(client, state_world):
    w = state_world
    recorded_mhs_run(w, nodes=(w.node1,))
    html = page(client, w.viewer, w.domain)
    assert "1 mail server has no mhs_nadr_cfg TCP OFF on record." in html
    assert "not on record" not in row_of(html, f"duty-{w.cluster.server.name}-node1")
    assert "not on record" in row_of(html, f"duty-{w.cluster.server.name}-node2")


def test_done_outside_the_portal_through_the_page_needs_a_second_person(client, state_world):
    w = state_world
    recorded_mhs_run(w, nodes=(w.node1,))
    server = w.cluster.server
    client.force_login(w.operator)
    html = client.get(reverse("procedures:domain-duty", args=[w.domain.pk]), HTTP_ACCEPT_LANGUAGE="en").content
    assert f'value="{server.pk}:{w.node2.pk}"'.encode() in html
    url = reverse("procedures:duty-record-outside", args=[w.domain.pk])
    assert client.post(url, {"place": "x;1", "reason": "r"}).status_code == 400
    assert client.post(url, {"place": f"{server.pk}:{w.node2.pk}", "reason": "r", "done_at": "soon"}).status_code == 400
    client.post(url, {"place": f"{server.pk}:{w.node2.pk}", "reason": "run at the console by the vendor"})
    record = DutyRecord.objects.get()
    decide = reverse("procedures:duty-record-decide", args=[record.pk])
    client.force_login(w.operator2)  # an operator may record, never sign off
    client.post(decide, {"verdict": "confirm"})
    record.refresh_from_db()
    assert record.state == DutyRecordState.PENDING
    client.force_login(w.approver)
    html = page(client, w.approver, w.domain)
    assert f'data-testid="duty-record-{record.pk}-decide"' in html
    assert client.post(decide, {"verdict": "maybe"}).status_code == 400
    client.post(decide, {"verdict": "confirm", "note": "seen in the vendor's log"})
    record.refresh_from_db()
    assert (record.state, record.decided_by) == (DutyRecordState.CONFIRMED, w.approver)
    html = page(client, w.viewer, w.domain)
    assert "Every mail server of the domain has mhs_nadr_cfg TCP OFF on record." in html
    assert "run at the console by the vendor" in row_of(html, f"duty-{server.name}-node2")


def test_a_failed_attempt_is_not_a_record(client, state_world):
    w = state_world
    recorded_mhs_run(w, state=HostState.FAILED)
    html = page(client, w.viewer, w.domain)
    assert "1 mail server has no mhs_nadr_cfg TCP OFF on record." in html


def test_every_mail_server_on_record_says_so(client, state_world):
    w = state_world
    recorded_mhs_run(w)
    assert "Every mail server of the domain has mhs_nadr_cfg TCP OFF on record." in page(client, w.viewer, w.domain)


def test_the_domain_page_links_to_it_and_an_outsider_gets_404(client, state_world, outsider):
    w = state_world
    client.force_login(w.viewer)
    assert (
        reverse("procedures:domain-duty", args=[w.domain.pk])
        in client.get(w.domain.get_absolute_url()).content.decode()
    )
    client.force_login(outsider)
    assert client.get(reverse("procedures:domain-duty", args=[w.domain.pk])).status_code == 404
