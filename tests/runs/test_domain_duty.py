"""The domain's mhs_nadr_cfg duty page: which mail servers the portal's runs recorded it for."""

from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.choices import HostState
from procedures.models import StepHostResult
from tests.factories import ServerFactory
from tests.fixtures.runs import command_step, host_ref, make_plan


def page(client, user, domain) -> str:
    client.force_login(user)
    response = client.get(reverse("procedures:domain-duty", args=[domain.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def recorded_mhs_run(w, *, state=HostState.SUCCEEDED):
    """A run whose mhs_nadr_cfg step has a host result on node 1 (as the executor writes it)."""
    steps = [command_step("a44.mhs_nadr_cfg", [host_ref(w.node1, "/opt/HIGroupMail/bin/mhs_nadr_cfg TCP OFF")])]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    step = run.steps.get()
    StepHostResult.objects.create(
        step=step, attempt=1, host_label=f"{w.node1.host_name} (node 1)", host_name=w.node1.host_name,
        node=w.node1, state=state, exit_code=0, finished_at=timezone.now(),
    )  # fmt: skip
    return run


def test_a_standalone_mail_server_without_a_record_is_flagged(client, state_world):
    w = state_world
    standalone = ServerFactory(
        domain=w.domain, cluster=None, name="mailsv03", host_name="mailsv03", ssh_address="127.0.30.1",
        uses_mail_server=True,
    )  # fmt: skip
    run = recorded_mhs_run(w)
    html = page(client, w.viewer, w.domain)
    assert "1 mail server has no mhs_nadr_cfg TCP OFF on record." in html
    master_row = html.split(f'data-testid="duty-{w.cluster.server.name}"')[1].split("</tr>")[0]
    assert "not on record" not in master_row and run.get_absolute_url() in master_row
    standalone_row = html.split(f'data-testid="duty-{standalone.name}"')[1].split("</tr>")[0]
    assert "not on record" in standalone_row


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
