"""Run pages: who sees what, buttons for what each person may do, actions through the services."""

import pytest
from django.urls import reverse

from procedures import services
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


@pytest.fixture
def run(state_world):
    w = state_world
    steps = [console_step("c", items=("screen", "ip")), command_step("cmd", [host_ref(w.node1, "echo hi")])]
    return services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)


def login(client, user):
    client.force_login(user)
    return client


def test_outsider_gets_404_and_viewer_sees_no_buttons(client, state_world, run, outsider):
    assert login(client, outsider).get(run.get_absolute_url()).status_code == 404
    client.logout()
    page = login(client, state_world.viewer).get(run.get_absolute_url())
    assert page.status_code == 200
    assert b'data-testid="run-state"' in page.content
    assert b"/approve/" not in page.content and b"/start/" not in page.content
    assert client.post(reverse("procedures:run-action", args=[run.pk, "approve"])).status_code == 302
    run.refresh_from_db()
    assert run.state == RunState.PLANNED  # refused with a message, not done


def test_approver_approves_with_the_button_and_the_planner_is_refused(client, state_world, run):
    w = state_world
    services_refusal = login(client, w.operator).post(
        reverse("procedures:run-action", args=[run.pk, "approve"]), follow=True
    )
    assert services_refusal.status_code == 200
    run.refresh_from_db()
    assert run.state == RunState.PLANNED
    client.logout()
    login(client, w.approver)
    assert b"/approve/" in client.get(run.get_absolute_url()).content
    client.post(reverse("procedures:run-action", args=[run.pk, "approve"]), REMOTE_ADDR="198.51.100.4")
    run.refresh_from_db()
    assert run.state == RunState.APPROVED
    assert run.events.get(action="approve").address == "198.51.100.4"


def test_operator_starts_and_confirms_a_console_step_with_every_item_ticked(client, state_world, run):
    w = state_world
    services.approve_run(run.pk, user=w.approver)
    login(client, w.operator)
    client.post(reverse("procedures:run-action", args=[run.pk, "start"]))
    step = run.steps.get(position=1)
    page = client.get(run.get_absolute_url())
    assert b'name="checked" value="screen"' in page.content
    client.post(reverse("procedures:step-action", args=[step.pk, "confirm"]), {"checked": ["screen"]})
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    client.post(reverse("procedures:step-action", args=[step.pk, "confirm"]), {"checked": ["screen", "ip"]})
    step.refresh_from_db()
    assert step.state == StepState.CONFIRMED
    assert run.steps.get(position=2).state == StepState.RUNNING


def test_run_list_shows_only_visible_runs(client, state_world, run, outsider):
    assert str(run.pk).encode() in login(client, state_world.viewer).get(reverse("procedures:run-list")).content
    client.logout()
    assert (
        f'href="{run.get_absolute_url()}"'.encode()
        not in login(client, outsider).get(reverse("procedures:run-list")).content
    )


def test_plan_page_renders_the_catalog_plan(client, state_world):
    w = state_world
    login(client, w.operator)
    plan_page = client.get(reverse("procedures:plan", args=[w.cluster.pk]), {"procedure": "k5-1a"}).content.decode()
    assert 'data-testid="plan-run"' in plan_page  # planning starts from the plan the operator read
    assert client.get(reverse("procedures:run-plan")).status_code == 405  # no separate page to plan from
    response = client.post(reverse("procedures:run-plan"), {"cluster": w.cluster.pk, "procedure": "k5-1a"})
    assert response.status_code == 302
    run = ProcedureRun.objects.get(cluster=w.cluster)
    assert response.url == run.get_absolute_url()
    assert run.plan_digest == run.plan_object.digest and run.steps.count() == len(run.plan["steps"])


def test_a_skip_request_shows_the_countersign_button_to_an_approver_only(client, state_world, run):
    w = state_world
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get(position=1)
    services.request_resolution(step.pk, user=w.operator, resolution="skip", reason="done last week by hand")
    asked = login(client, w.operator2).get(run.get_absolute_url()).content.decode()
    assert "done last week by hand" in asked
    assert 'data-testid="step-1-countersign"' not in asked  # an operator cannot countersign
    client.logout()
    viewer_page = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert "done last week by hand" in viewer_page and 'data-testid="step-1-countersign"' not in viewer_page
    client.logout()
    assert 'data-testid="step-1-countersign"' in login(client, w.approver2).get(run.get_absolute_url()).content.decode()


def test_a_viewer_sees_what_was_ticked_on_a_confirmed_console_step(client, state_world, run):
    w = state_world
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    step = run.steps.get(position=1)
    services.confirm_step(step.pk, user=w.operator, ticked=["screen", "ip"])
    page = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert 'data-testid="step-1-evidence"' in page
    assert 'data-testid="step-1-confirm"' not in page


def test_planning_a_conversion_keeps_the_previous_database_directory_the_operator_reviewed(client, state_world):
    w = state_world
    login(client, w.operator)
    plan_page = client.get(
        reverse("procedures:plan", args=[w.cluster.pk]),
        {"procedure": "k5-2", "previous_database_directory": "/olddb/gmax"},
    ).content.decode()
    assert 'name="previous_database_directory" value="/olddb/gmax"' in plan_page
    form = {"cluster": w.cluster.pk, "procedure": "k5-2", "previous_database_directory": "/olddb/gmax"}
    client.post(reverse("procedures:run-plan"), form)
    run = ProcedureRun.objects.get(cluster=w.cluster)
    assert run.plan["options"]["previous_database_directory"] == "/olddb/gmax"
    assert run.plan["options"]["database_directory_renamed"] is True


def test_a_bad_previous_database_directory_is_refused_with_a_message_not_an_error_page(client, state_world):
    w = state_world
    login(client, w.operator)
    form = {"cluster": w.cluster.pk, "procedure": "k5-2", "previous_database_directory": "olddb; rm -rf /"}
    response = client.post(reverse("procedures:run-plan"), form, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("procedures:plan", args=[w.cluster.pk]))
    assert "is not an absolute path" in response.content.decode()
    assert not ProcedureRun.objects.exists()


def test_the_plan_form_takes_its_procedures_and_option_rules_from_the_catalog(state_world):
    from clusters.models import Cluster
    from procedures.catalog import PROCEDURES
    from procedures.forms import PlanForm

    form = PlanForm(
        {"cluster": state_world.cluster.pk, "procedure": "k5-2", "previous_database_directory": "/var/opt/GroupMail"},
        clusters=Cluster.objects.all(),
    )
    assert [code for code, _title in form.fields["procedure"].choices] == list(PROCEDURES)
    assert not form.is_valid()  # the catalog's rule, not only "an absolute path"
    assert "cannot be / or /var/opt/GroupMail" in str(form.errors["previous_database_directory"])


def test_planning_for_an_unseen_or_malformed_cluster_is_404_and_a_malformed_one_a_400(client, state_world, outsider):
    login(client, outsider)
    assert client.post(reverse("procedures:run-plan"), {"cluster": state_world.cluster.pk}).status_code == 404
    assert client.post(reverse("procedures:run-plan"), {"cluster": "abc", "procedure": "k5-1a"}).status_code == 400
    assert not ProcedureRun.objects.exists()


def test_a_broken_site_override_is_a_message_on_the_plan_page_and_plans_no_run(client, state_world):
    from procedures.models import SiteCommands

    w = state_world
    SiteCommands.objects.create(site=w.cluster.server.domain.site, overrides={"vg_activate": "vgchange {volume}"})
    login(client, w.operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("procedures:plan", args=[w.cluster.pk]), {"procedure": "k5-1a"})
    assert page.status_code == 400
    shown = page.content.decode()
    assert 'data-testid="plan-error"' in shown and "cannot be used" in shown and "{volume}" in shown
    assert 'data-testid="plan-steps"' not in shown  # no plan with other commands than the site stored
    response = client.post(reverse("procedures:run-plan"), {"cluster": w.cluster.pk, "procedure": "k5-1a"}, follow=True)
    assert "cannot be used" in response.content.decode()
    assert not ProcedureRun.objects.exists()
