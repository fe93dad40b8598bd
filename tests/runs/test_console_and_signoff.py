"""Console steps, four-eyes sign-off, roles per domain, the approver's queue and the audit trail.

No SSH here: the steps that need a person are driven through the services, the run page, the queue page
and the admin, as the people would. The race runs threads with their own SQLite connections.
"""

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation
from PIL import Image

from clusters.choices import DomainRoleName, ServerRole
from portal.errors import NotAllowed
from procedures import services
from procedures.choices import RunState, StepState
from procedures.exceptions import (
    AlreadySignedOff,
    ChecklistIncomplete,
    ScreenshotRefused,
    SecondPersonRequired,
)
from procedures.models import ConsoleScreenshot, RunEvent
from procedures.plan import ChecklistItem, Kind, PlannedStep, Target, text
from procedures.queue import queue_for, waiting_count
from tests.factories import MembershipFactory, ServerFactory, UserFactory
from tests.fixtures.runs import build_world, make_plan
from tests.runs.races import run_sign_off_race, sign_off_race

B36 = (
    ChecklistItem(
        "server_list", text("サーバ一覧 → ドメイン名/ホスト名", "Server List → domain name/host name"), "addpkg"
    ),
    ChecklistItem("mail_server", text("メールサーバ設定", "Mail Server Settings: the address server is a mail server")),
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(width=40, height=20, colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def upload(content: bytes, name="dialog.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def english(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def console_run(world, *, needs_signoff=False, started_by=None, steps=None):
    """Approved and started: the console step waits for its checklist."""
    steps = steps or [console_step("b36", needs_signoff=needs_signoff, checklist_items=B36)]
    run = services.create_run(world.cluster, make_plan(world.cluster, steps), user=world.operator)
    services.approve_run(run.pk, user=world.approver)
    services.start_run(run.pk, user=started_by or world.operator)
    return run


def console_step(key, *, checklist_items=B36, **extra):
    """A console step with B-36-like checklist items, expected values included."""
    return PlannedStep(
        key=key,
        seed_ids=("B-36",),
        kind=Kind.CONSOLE,
        target=Target.CONSOLE,
        title=text(f"コンソール {key}", f"Console {key}"),
        instruction=text("運転席で確認", "Check in the console"),
        checklist=tuple(checklist_items),
        **extra,
    )


# ---------------------------------------------------------------- console confirmation


def test_unticked_checklist_item_is_refused_naming_the_item(client, state_world):
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    with translation.override("en"), pytest.raises(ChecklistIncomplete) as refused:
        services.confirm_step(step.pk, user=w.operator, ticked=["server_list"])
    assert "Mail Server Settings: the address server is a mail server" in str(refused.value)
    assert "Server List" not in str(refused.value)

    page = english(client, w.operator).get(run.get_absolute_url())
    assert page.status_code == 200
    form = page.content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="screenshot"' in form
    assert "Server List → domain name/host name" in form and "<code" in form and "addpkg</code>" in form
    response = client.post(
        reverse("procedures:step-confirm", args=[step.pk]), {"checked": ["mail_server"], "note": "x"}, follow=True
    )
    assert any(
        "Tick every item" in m and "Server List → domain name/host name = addpkg" in m for m in messages_of(response)
    )
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    assert not RunEvent.objects.filter(step=step, action__in=["tick", "confirm"]).exists()


def test_confirmation_records_every_tick_the_note_and_the_screenshot_hash(client, state_world, media):
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    image = png()
    english(client, w.operator).post(
        reverse("procedures:step-confirm", args=[step.pk]),
        {"checked": ["server_list", "mail_server"], "note": "addpkg shown, not gmx2a", "screenshot": upload(image)},
        REMOTE_ADDR="192.0.2.44",
    )
    step.refresh_from_db()
    run.refresh_from_db()
    assert step.state == StepState.CONFIRMED and step.confirmed_by == w.operator
    assert run.state == RunState.COMPLETED
    ticks = list(RunEvent.objects.filter(step=step, action="tick").order_by("pk"))
    assert [t.details["item"] for t in ticks] == ["server_list", "mail_server"]
    assert ticks[0].details["expected"] == "addpkg" and ticks[0].address == "192.0.2.44"
    assert all(t.actor == w.operator for t in ticks)
    digest = hashlib.sha256(image).hexdigest()
    confirm = RunEvent.objects.get(step=step, action="confirm")
    assert confirm.reason == "addpkg shown, not gmx2a"
    assert confirm.details["ticked"] == ["server_list", "mail_server"]
    assert confirm.details["screenshot"]["sha256"] == digest
    assert confirm.details["screenshot"]["type"] == "image/png"
    assert RunEvent.objects.get(step=step, action="screenshot").reason.startswith(f"sha256:{digest}")
    shot = ConsoleScreenshot.objects.get(step=step)
    stored = Path(shot.image.path)
    assert stored.is_relative_to(media) and stored.read_bytes() == image
    assert "dialog" not in stored.name  # never the client's file name


def test_screenshot_is_checked_by_its_content_and_its_size(state_world, settings):
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    ticked = ["server_list", "mail_server"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    for content, name in (
        (b"#!/bin/sh\nrm -rf /\n", "dialog.png"),  # a script called .png
        (gif.getvalue(), "dialog.png"),  # an image, but not PNG or JPEG
        (png()[:40], "dialog.png"),  # a PNG cut short
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "dialog.jpg"),  # JPEG magic, no JPEG
    ):
        with translation.override("en"), pytest.raises(ScreenshotRefused, match="only PNG and JPEG"):
            services.confirm_step(step.pk, user=w.operator, ticked=ticked, screenshot=upload(content, name))
    settings.PORTAL_SCREENSHOT_MAX_BYTES = 1000
    noise = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(noise, format="PNG")  # > 1000 bytes
    with translation.override("en"), pytest.raises(ScreenshotRefused, match="MB is accepted"):
        services.confirm_step(step.pk, user=w.operator, ticked=ticked, screenshot=upload(noise.getvalue()))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION and not ConsoleScreenshot.objects.exists()
    settings.PORTAL_SCREENSHOT_MAX_BYTES = 5 * 1024 * 1024
    services.confirm_step(
        step.pk, user=w.operator, ticked=ticked, screenshot=upload(jpeg(), "photo.png", "image/png")
    )  # the content decides, not the name
    assert ConsoleScreenshot.objects.get(step=step).content_type == "image/jpeg"


def test_refused_screenshot_on_the_page_says_why(client, state_world):
    w = state_world
    step = console_run(w).steps.get()
    response = english(client, w.operator).post(
        reverse("procedures:step-confirm", args=[step.pk]),
        {"checked": ["server_list", "mail_server"], "screenshot": upload(b"GIF89a not really", "x.png")},
        follow=True,
    )
    assert any("The screenshot x.png was refused" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION


def test_screenshot_is_served_only_to_people_with_a_role_in_the_domain(client, state_world, outsider):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    image = png()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"], screenshot=upload(image))
    shot = ConsoleScreenshot.objects.get()
    url = shot.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url  # anonymous
    english(client, w.viewer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image
    assert "no-store" in response["Cache-Control"]
    client.logout()
    assert english(client, outsider).get(url).status_code == 404
    assert client.get(f"/media/{shot.image.name}").status_code == 404  # not published as media
    assert client.get(f"/static/{shot.image.name}").status_code == 404


# ---------------------------------------------------------------- four eyes and roles


def test_operator_cannot_sign_off_their_own_work_and_is_told_why(client, state_world):
    w = state_world
    run = console_run(w, needs_signoff=True, started_by=w.approver2)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.approver2, ticked=["server_list", "mail_server"])
    english(client, w.approver2)
    page = client.get(run.get_absolute_url())
    response = client.post(reverse("procedures:step-action", args=[step.pk, "sign-off"]), follow=True)
    assert any("You did step 1; another person must sign it off." in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF
    assert waiting_count(w.approver2) == 0  # not in their queue either
    client.logout()
    response = english(client, w.operator).post(
        reverse("procedures:step-action", args=[step.pk, "sign-off"]), follow=True
    )
    assert any("You have no role that allows this" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF and page.status_code == 200
    client.logout()
    english(client, w.approver).post(reverse("procedures:step-action", args=[step.pk, "sign-off"]))
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED and step.signed_off_by == w.approver


def test_approver_of_one_domain_cannot_act_in_another(client, state_world):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    elsewhere = ServerFactory(role=ServerRole.MASTER).domain
    stranger = UserFactory(username="approver-of-y")
    MembershipFactory(domain=elsewhere, user=stranger, role=DomainRoleName.APPROVER)
    english(client, stranger)
    assert client.get(run.get_absolute_url()).status_code == 404
    assert client.post(reverse("procedures:step-action", args=[step.pk, "sign-off"])).status_code == 404
    assert client.post(reverse("procedures:run-action", args=[run.pk, "abort"]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("procedures:step-confirm", args=[step.pk])).status_code == 404
    with pytest.raises(NotAllowed):
        services.sign_off_step(step.pk, user=stranger)
    assert waiting_count(stranger) == 0
    assert f"queue-step-{step.pk}" not in client.get(reverse("procedures:queue")).content.decode()
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF


def test_viewer_sees_the_console_step_but_gets_no_form_and_cannot_act(client, state_world):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    page = english(client, w.viewer).get(run.get_absolute_url()).content.decode()
    assert f'data-testid="step-{step.position}-state"' in page and "Console b36" in page
    assert "step-1-confirm" not in page and 'name="checked"' not in page
    response = client.post(
        reverse("procedures:step-confirm", args=[step.pk]), {"checked": ["server_list", "mail_server"]}, follow=True
    )
    assert any("You have no role that allows this" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    page = client.get(run.get_absolute_url()).content.decode()
    assert "step-1-signoff" not in page
    client.post(reverse("procedures:step-action", args=[step.pk, "sign-off"]))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_SIGNOFF


def test_an_approver_countersigns_a_skip_but_not_one_they_asked_for(state_world):
    w = state_world
    run = console_run(w, steps=[console_step("a"), console_step("b")])
    first = run.steps.get(position=1)
    services.request_resolution(first.pk, user=w.approver, resolution="skip", reason="done last week")
    assert waiting_count(w.approver) == 0 and waiting_count(w.approver2) == 1
    with pytest.raises(SecondPersonRequired):
        services.countersign(first.pk, user=w.approver, request=1)
    with pytest.raises(NotAllowed):
        services.countersign(first.pk, user=w.operator2, request=1)
    services.countersign(first.pk, user=w.approver2, request=1)
    with translation.override("en"), pytest.raises(AlreadySignedOff, match="already signed off by run-approver2"):
        services.countersign(first.pk, user=w.approver, request=1)


@pytest.mark.django_db(transaction=True)
def test_two_approvers_signing_off_at_once_give_one_decision(settings):
    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    outcomes = sign_off_race(step.pk, [w.approver, w.approver2])
    decided = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(decided) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], AlreadySignedOff)
    step.refresh_from_db()
    assert step.state == StepState.SUCCEEDED
    assert step.signed_off_by.username in str(refused[0])  # "already signed off by <the winner>"
    assert RunEvent.objects.filter(step=step, action__startswith="signoff_").count() == 1

    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    outcomes = run_sign_off_race(run.pk, [w.approver, w.approver2])
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadySignedOff", "ProcedureRun"]
    run.refresh_from_db()
    assert run.state == RunState.SIGNED_OFF
    assert run.signed_off_by.username in str(next(o for o in outcomes if isinstance(o, Exception)))
    assert RunEvent.objects.filter(run=run, action="sign_off").count() == 1
    connection.close()


def test_the_second_sign_off_is_told_who_decided(client, state_world):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    services.sign_off_step(step.pk, user=w.approver)
    response = english(client, w.approver2).post(
        reverse("procedures:step-action", args=[step.pk, "sign-off"]), follow=True
    )
    assert "Step 1 was already signed off by run-approver; yours was not recorded." in messages_of(response)


# ---------------------------------------------------------------- the approver's queue


def test_queue_shows_what_waits_for_the_approver_and_never_their_own_work(client, state_world):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(
        step.pk, user=w.operator, ticked=["server_list", "mail_server"], note="seen", screenshot=upload(png())
    )
    mine = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.approver)
    theirs = services.create_run(w.cluster, make_plan(w.cluster, [console_step("d")]), user=w.operator2)

    assert waiting_count(w.approver) == 2  # the step and theirs; not the run they planned
    assert waiting_count(w.approver2) == 3
    assert waiting_count(w.operator) == 0 and waiting_count(w.viewer) == 0

    page = english(client, w.approver).get(reverse("procedures:queue"))
    html = page.content.decode()
    assert f'data-testid="queue-step-{step.pk}"' in html and f'data-testid="queue-run-{theirs.pk}"' in html
    assert f'data-testid="queue-run-{mine.pk}"' not in html
    assert "addpkg" in html and "seen" in html
    assert ConsoleScreenshot.objects.get().get_absolute_url() in html
    assert '<span class="badge warn" data-testid="queue-count">2</span>' in html  # the header
    client.logout()
    page = english(client, w.viewer).get(reverse("procedures:queue")).content.decode()
    assert "queue-count" not in page and f"queue-step-{step.pk}" not in page


def test_header_badge_and_queue_page_show_the_real_count_within_two_queries(
    client, state_world, django_assert_max_num_queries
):
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    planned_by_approver = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.approver)
    planned_by_operator = services.create_run(w.cluster, make_plan(w.cluster, [console_step("d")]), user=w.operator2)
    waiting = {f"queue-step-{step.pk}", f"queue-run-{planned_by_approver.pk}", f"queue-run-{planned_by_operator.pk}"}

    from django.template import Context, Template
    from django.test import RequestFactory

    from portal.context_processors import approver_queue

    request = RequestFactory().get("/")
    request.user = w.approver2
    context = approver_queue(request)
    with django_assert_max_num_queries(2):
        shown = Template("{{ approver_queue_count }}").render(Context(context))
    assert shown == str(len(waiting))

    html = english(client, w.approver2).get(reverse("procedures:queue")).content.decode()
    assert f'<span class="badge warn" data-testid="queue-count">{len(waiting)}</span>' in html  # the header
    assert sorted(re.findall(r'data-testid="(queue-(?:step|run)-\d+)"', html)) == sorted(waiting)  # one row each
    assert f"{len(waiting)} items wait for you." in html  # the queue page's own count


# ---------------------------------------------------------------- admin


@pytest.fixture
def admin_user(state_world):
    user = UserFactory(username="run-admin", is_staff=True, is_superuser=True)
    return user


def test_admin_confirms_a_console_step_through_the_same_service(client, state_world, admin_user):
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    english(client, admin_user)
    url = reverse("admin:procedures_steprun_confirm", args=[step.pk])
    assert url in client.get(reverse("admin:procedures_steprun_change", args=[step.pk])).content.decode()
    action = client.post(
        reverse("admin:procedures_steprun_changelist"),
        {"action": "confirm_console_step", "_selected_action": [step.pk]},
    )
    assert action.status_code == 302 and action.url == url  # the changelist's action leads to the same form
    form = client.get(url)
    assert form.status_code == 200 and "Server List → domain name/host name = addpkg" in form.content.decode()
    response = client.post(url, {"checked": ["server_list"]}, follow=True)
    assert any("Mail Server Settings" in m and "Tick every item" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    response = client.post(
        url,
        {"checked": ["server_list", "mail_server"], "note": "from the admin", "screenshot": upload(png())},
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.state == StepState.CONFIRMED and step.confirmed_by == admin_user
    confirm = RunEvent.objects.get(step=step, action="confirm")
    assert (confirm.address, confirm.reason) == ("198.51.100.9", "from the admin")
    assert RunEvent.objects.filter(step=step, action="tick").count() == 2
    assert confirm.details["screenshot"]["sha256"] == ConsoleScreenshot.objects.get().sha256


def test_admin_confirmation_still_needs_a_role_in_the_domain(client, state_world):
    w = state_world
    step = console_run(w).steps.get()
    staff = UserFactory(username="staff-without-role", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_steprun"))
    english(client, staff)
    url = reverse("admin:procedures_steprun_confirm", args=[step.pk])
    response = client.post(url, {"checked": ["server_list", "mail_server"]})
    assert response.status_code == 404  # as on the run pages: another domain's step does not exist for them
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION
    assert client.get(reverse("admin:procedures_steprun_change", args=[step.pk])).status_code in (302, 404)
    assert str(step.run) not in client.get(reverse("admin:procedures_steprun_changelist")).content.decode()


def test_admin_confirmation_by_a_viewer_of_the_domain_is_refused_by_the_service(client, state_world):
    """Seeing the step (a viewer's role) is not enough to confirm it: the service asks for an operator."""
    w = state_world
    step = console_run(w).steps.get()
    from django.contrib.auth.models import Permission

    w.viewer.is_staff = True
    w.viewer.save()
    w.viewer.user_permissions.add(Permission.objects.get(codename="view_steprun"))
    english(client, w.viewer)
    url = reverse("admin:procedures_steprun_confirm", args=[step.pk])
    response = client.post(url, {"checked": ["server_list", "mail_server"]}, follow=True)
    assert any("You have no role that allows this" in m for m in messages_of(response))
    step.refresh_from_db()
    assert step.state == StepState.AWAITING_CONFIRMATION


def test_audit_trail_cannot_be_altered_through_the_admin(client, state_world, admin_user):
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"], screenshot=upload(png()))
    event = RunEvent.objects.get(step=step, action="confirm")
    shot = ConsoleScreenshot.objects.get()
    before = list(RunEvent.objects.order_by("pk").values_list("pk", "action", "reason", "actor_id"))
    english(client, admin_user)
    for model, obj in (("runevent", event), ("consolescreenshot", shot)):
        assert client.get(reverse(f"admin:procedures_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:procedures_{model}_add")).status_code == 403
        assert client.post(reverse(f"admin:procedures_{model}_add"), {"action": "x"}).status_code == 403
        change = reverse(f"admin:procedures_{model}_change", args=[obj.pk])
        assert client.get(change).status_code == 200  # to read
        assert client.post(change, {"reason": "rewritten", "action": "nothing"}).status_code == 403
        assert client.post(reverse(f"admin:procedures_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code in (
            403,
            404,
        )
        bulk = client.post(
            reverse(f"admin:procedures_{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302)
    assert list(RunEvent.objects.order_by("pk").values_list("pk", "action", "reason", "actor_id")) == before
    assert ConsoleScreenshot.objects.filter(pk=shot.pk).exists()
    # Inventory history: no admin pages of its own (no add, change or delete of a historical row).
    node = w.node1
    node.host_name = "renamed1"
    node.save()
    for historical in ("historicalnode", "historicalcluster", "historicaldomainmembership"):
        assert client.get(f"/admin/clusters/{historical}/").status_code == 404
    history = client.get(reverse("admin:clusters_node_history", args=[node.pk]))
    assert history.status_code == 200 and "renamed1" in history.content.decode()
    assert node.history.count() >= 1


def test_pages_that_show_the_record_refuse_every_write(client, state_world):
    """No HTTP verb rewrites the record: the run page, the screenshot and the queue only read."""
    w = state_world
    run = console_run(w)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"], screenshot=upload(png()))
    before = list(RunEvent.objects.order_by("pk").values_list("pk", "action", "reason"))
    english(client, w.approver)
    for url in (
        run.get_absolute_url(),
        ConsoleScreenshot.objects.get().get_absolute_url(),
        reverse("procedures:queue"),
    ):
        for verb in (client.put, client.patch, client.delete):
            assert (
                verb(url, data="reason=rewritten", content_type="application/x-www-form-urlencoded").status_code == 405
            )
    assert client.post(ConsoleScreenshot.objects.get().get_absolute_url()).status_code == 405
    assert list(RunEvent.objects.order_by("pk").values_list("pk", "action", "reason")) == before
    assert ConsoleScreenshot.objects.count() == 1


def test_a_second_approval_of_the_same_plan_is_told_who_approved(state_world):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    with translation.override("en"), pytest.raises(AlreadySignedOff, match=f"The plan of run {run.pk} was already"):
        services.approve_run(run.pk, user=w.approver2)


def test_pages_that_read_the_queue_give_the_header_the_same_count_as_the_union(client, state_world):
    """Home and the queue page hand their queue's count to the header; it is the UNION's, person by person."""
    w = state_world
    run = console_run(w, needs_signoff=True)
    step = run.steps.get()
    services.confirm_step(step.pk, user=w.operator, ticked=["server_list", "mail_server"])
    services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.approver)
    services.create_run(w.cluster, make_plan(w.cluster, [console_step("d")]), user=w.operator2)
    for person in (w.approver, w.approver2):
        expected = waiting_count(person)
        assert queue_for(person).count == queue_for(person, brief=True).count == expected > 0
        for url in ("/", reverse("procedures:queue")):
            html = english(client, person).get(url).content.decode()
            assert f'<span class="badge warn" data-testid="queue-count">{expected}</span>' in html, (person, url)
