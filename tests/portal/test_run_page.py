"""The run page works for the person in front of it: it stays at the step acted on, says where the run is and
what waits for this person, offers "Continue" only when something continues, names steps by their source IDs,
and tells its history as sentences in the reader's language."""

from dataclasses import replace

from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun, StepRun
from procedures.plan import text
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan


def login(client, user, language="en"):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.force_login(user)
    return client


def started(w, steps):
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    return ProcedureRun.objects.get(pk=run.pk)


def test_after_a_confirmation_or_a_sign_off_the_page_goes_back_to_that_step(client, state_world):
    w = state_world
    run = started(w, [console_step("c", items=("screen",), needs_signoff=True)])
    step = run.steps.get()
    response = login(client, w.operator).post(reverse("procedures:step-confirm", args=[step.pk]), {"checked": "screen"})
    assert response.status_code == 302 and response.url == f"{run.get_absolute_url()}#step-{step.pk}"
    response = login(client, w.approver).post(
        reverse("procedures:step-action", args=[step.pk, "sign-off"]), {"verdict": "approve"}
    )
    assert response.url == f"{run.get_absolute_url()}#step-{step.pk}"
    response = client.post(reverse("procedures:run-action", args=[run.pk, "sign-off"]))
    assert response.url == f"{run.get_absolute_url()}#run-actions"


def test_the_page_says_where_the_run_is_and_jumps_to_what_waits_for_me(client, state_world):
    w = state_world
    run = started(w, [console_step("c", items=("screen",)), console_step("d")])
    step = run.steps.get(position=1)
    page = login(client, w.operator).get(run.get_absolute_url()).content.decode()
    assert 'data-testid="run-now"' in page and "step 1 of 2" in page
    assert f'href="#step-{step.pk}" data-testid="jump-to-mine"' in page
    assert f'<a href="#step-{step.pk}">Go to step 1</a>' in page  # "why it waits" links to the step
    viewer_page = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert 'data-testid="jump-to-mine"' not in viewer_page  # nothing waits for a viewer


def test_continue_is_offered_only_when_the_next_step_has_not_started(client, state_world):
    w = state_world
    run = started(w, [console_step("c", items=("screen",))])
    assert run.state == RunState.WAITING
    page = login(client, w.operator).get(run.get_absolute_url()).content.decode()
    assert "/resume/" not in page  # waiting at a console step: nothing to continue
    client.post(reverse("procedures:run-action", args=[run.pk, "resume"]))
    assert run.events.filter(action="resume").count() == 0  # and the service refuses it, saying so
    assert services.may_continue(run, list(run.steps.all())) is False


def test_steps_show_their_source_ids_once_numbered_and_not_their_internal_keys(client, state_world):
    w = state_world
    step = replace(
        command_step("a24.xodrc_same", [host_ref(w.node1, "echo " + "x" * 300)]),
        seed_ids=("A-24",),
        title=text("同じ xodrc", "Same xodrc"),
    )
    run = started(w, [console_step("c"), step])
    page = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert '<span class="badge seed" data-testid="step-2-seed">A-24</span>' in page
    assert "a24.xodrc_same" not in page
    assert '<ol class="steps">' in page and "Step 2</span>" in page
    assert '<pre class="command"><code>echo xxx' in page  # wrapped by the style sheet, not cut


def test_a_steps_heading_says_its_state_kind_four_eyes_and_attempt_in_the_readers_language(client, state_world):
    w = state_world
    risky = replace(
        command_step("rm", [host_ref(w.node1, "echo rm")]),
        seed_ids=("A-30",),
        title=text("<b>消す</b>", "<b>Delete</b> & go"),
        needs_signoff=True,
    )
    run = started(w, [command_step("echo", [host_ref(w.node1, "echo hi")]), risky])
    StepRun.objects.filter(run=run, position=1).update(attempt=2)
    first = run.steps.get(position=1)
    page = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert f'data-step-state="{first.pk}" data-state="running" data-testid="step-1-state">Running</span>' in page
    assert "<small>command · attempt 2</small>" in page
    assert f'data-started="{timezone.localtime(first.started_at).isoformat()}" data-finished=""' in page
    assert '<span class="badge seed" data-testid="step-2-seed">A-30</span> &lt;b&gt;Delete&lt;/b&gt; &amp; go' in page
    assert "<b>Delete" not in page  # the title is text, escaped
    assert "<small>command · four-eyes sign-off</small>" in page
    assert 'data-testid="step-2-time" data-started="" data-finished=""' in page  # not started yet
    japanese = login(client, w.viewer, "ja").get(run.get_absolute_url()).content.decode()
    assert '<span class="stepno">手順 1</span>' in japanese and " · 試行 2</small>" in japanese
    assert " · ダブルチェック承認</small>" in japanese and ">Running<" not in japanese


def test_a_confirmation_with_nothing_to_tick_says_what_is_confirmed_and_the_skip_form_is_behind_a_button(
    client, state_world
):
    w = state_world
    run = started(w, [console_step("c", items=())])
    page = login(client, w.operator).get(run.get_absolute_url()).content.decode()
    assert 'data-testid="step-1-confirms"' in page and "Tick each item" not in page
    assert 'data-testid="step-1-skip"><summary>Skip…</summary>' in page
    response = client.post(reverse("procedures:step-confirm", args=[run.steps.get().pk]))
    run.refresh_from_db()
    assert run.steps.get().state == StepState.CONFIRMED and response.status_code == 302


def test_the_trail_reads_as_sentences_in_the_readers_language_with_the_worker_in_details(client, state_world):
    w = state_world
    run = started(w, [console_step("c", items=("screen",)), command_step("cmd", [host_ref(w.node1, "true")])])
    services.confirm_step(run.steps.get(position=1).pk, user=w.operator, ticked=["screen"])
    services.claim_step(run.steps.get(position=2).pk, attempt=1, worker="vm:16922:140245")
    english = login(client, w.viewer).get(run.get_absolute_url()).content.decode()
    for sentence in (
        "run-operator planned the run.",
        "run-approver approved the plan.",
        "run-operator started the run.",
        "run-operator confirmed step 1.",
        "A portal worker took step 2 to run it.",
    ):
        assert sentence in english, sentence
    assert "signoff_approve" not in english.split('data-testid="run-events"')[1].split("<details>")[0]
    assert "<details><summary>For support</summary>" in english and "vm:16922:140245" in english
    japanese = login(client, w.viewer, "ja").get(run.get_absolute_url()).content.decode()
    assert "run-approver が計画を承認しました。" in japanese
