"""The home page: runs in progress with who acts next, what waits for me, finished runs, clusters with a warning."""

import pytest
from django.urls import reverse

from procedures import services
from tests.factories import ServerFactory
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


def login(client, user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the tests read the English texts
    client.force_login(user)
    return client


def plan(w, steps=None):
    steps = steps or [console_step("c", items=("screen",)), command_step("cmd", [host_ref(w.node1, "echo hi")])]
    return services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)


def test_the_root_is_the_home_page_with_the_header_by_role(client, state_world):
    w = state_world
    page = login(client, w.operator).get("/").content.decode()
    for testid in ("nav-home", "nav-runs", "nav-plan", "nav-domains", "reports-link", "nav-my-domains"):
        assert f'data-testid="{testid}"' in page, testid
    assert 'data-testid="queue-link"' not in page  # an operator approves nothing
    assert w.domain.name in page
    client.logout()
    page = login(client, w.viewer).get("/").content.decode()
    assert 'data-testid="nav-plan"' not in page and 'data-testid="nav-runs"' in page
    client.logout()
    page = login(client, w.approver).get("/").content.decode()
    assert 'data-testid="queue-link"' in page


def test_a_planned_run_waits_for_an_approver_and_an_approved_one_for_an_operator(client, state_world):
    w = state_world
    run = plan(w)
    page = login(client, w.approver).get("/").content.decode()
    assert f'data-testid="waiting-approve-{run.pk}"' in page
    client.logout()
    assert f"waiting-approve-{run.pk}" not in login(client, w.operator).get("/").content.decode()  # his own plan
    services.approve_run(run.pk, user=w.approver)
    assert f'data-testid="waiting-start-{run.pk}"' in client.get("/").content.decode()


def test_a_run_in_progress_shows_its_step_progress_and_who_acts_next(client, state_world):
    w = state_world
    run = plan(w)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get(position=1)
    page = login(client, w.operator).get("/").content.decode()
    assert f'data-testid="home-run-{run.pk}"' in page
    assert "0 of 2 steps done" in page
    assert "An operator: confirm step 1" in page
    assert f'data-testid="waiting-confirm-{step.pk}"' in page
    services.confirm_step(step.pk, user=w.operator, ticked=["screen"])
    page = client.get("/").content.decode()
    assert "1 of 2 steps done" in page
    assert "The portal: the step is running" in page


def test_warnings_name_unpinned_host_keys_and_a_mail_server_without_mhs_nadr_cfg(client, state_world):
    w = state_world
    w.node1.host_key = ""
    w.node1.save()
    page = login(client, w.viewer).get("/").content.decode()
    assert f"Node {w.node1.host_name} has no pinned host key." in page
    server = w.cluster.server
    assert server.uses_mail_server
    assert f"Mail server {server.name} has no mhs_nadr_cfg TCP OFF on record." in page


def test_home_shows_nothing_of_another_domain(client, state_world, outsider):
    w = state_world
    plan(w)
    page = login(client, outsider).get("/").content.decode()
    assert w.cluster.name not in page and "Nothing waits for you." in page


QUERIES = {"home": 30}


@pytest.mark.parametrize("runs", [1, 6])
def test_home_reads_a_fixed_number_of_queries_whatever_the_number_of_runs(
    client, state_world, django_assert_max_num_queries, runs
):
    w = state_world
    for _i in range(runs):
        cluster = ServerFactory(domain=w.domain).cluster
        run = services.create_run(cluster, make_plan(cluster, [console_step("c")]), user=w.operator)
        services.approve_run(run.pk, user=w.approver)
        services.start_run(run.pk, user=w.operator)
    login(client, w.approver)
    with django_assert_max_num_queries(QUERIES["home"]):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(QUERIES["home"]):
        assert client.get(reverse("procedures:home-panels")).status_code == 200


def test_a_planned_run_is_on_the_home_page_waiting_for_an_approver(client, state_world):
    w = state_world
    run = plan(w)
    page = login(client, w.operator).get("/").content.decode()
    assert f'data-testid="home-run-{run.pk}"' in page
    assert f"Approver other than {w.operator.username}: approve the plan" in page
