"""The portal's own texts (step results, why a run waits, its system log lines) are shown in the reader's language.

They are stored as message ids with their parameters (``procedures.texts``), so one run reads in English to an
English reader and in Japanese to a Japanese one, on the page, in the log API and download, and on the socket.
"""

import importlib
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.choices import RunState, Stream
from procedures.live import emitter
from procedures.live.routing import websocket_urlpatterns
from procedures.models import ProcedureRun, RunLogLine, StepHostResult, StepRun
from procedures.models.logs import store_lines
from procedures.plan import host_message, host_shown, node_label
from procedures.texts import MARK, message, render_message
from tests.fixtures.runs import command_step, host_ref, make_plan, wait_until

ENGLISH = ("Step 1, attempt 1", "exit code 3", "Failed: exit code 3", "Connecting to")
JAPANESE = ("手順 1、試行 1", "終了コード 3", "失敗: 終了コード 3", "に接続しています")


@pytest.fixture
def failed_run(run_world):
    """A run whose one step failed on the lab node with exit code 3: it waits, with a step result to read."""
    w = run_world
    plan = make_plan(w.cluster, [command_step("fails", [host_ref(w.node1, "echo out; exit 3")])])
    run = services.create_run(w.cluster, plan, user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)

    def waiting():
        found = ProcedureRun.objects.get(pk=run.pk)
        return found if found.state == RunState.WAITING and found.wait_message else None

    return w, wait_until(waiting, what="the run to wait after its failed step")


def page(client, user, run, **language):
    client.force_login(user)
    return client.get(run.get_absolute_url(), **language).content.decode()


def test_a_run_page_shows_step_results_and_system_lines_in_the_readers_language(client, failed_run):
    w, run = failed_run
    step = run.steps.get()
    assert step.message.startswith(MARK) and run.wait_message.startswith(MARK)  # stored as messages, not text
    assert RunLogLine.objects.filter(run=run, stream=Stream.SYSTEM, text__startswith=MARK).count() >= 3
    english = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="en")
    japanese = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="ja")
    for text in ENGLISH:
        assert text in english and text not in japanese
    for text in JAPANESE:
        assert text in japanese and text not in english
    assert MARK not in english and MARK not in japanese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switcher's choice beats the browser's
    assert "Failed: exit code 3" in page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="ja")


def test_the_log_api_search_and_download_speak_the_readers_language(client, failed_run):
    w, run = failed_run
    client.force_login(w.viewer)
    url = reverse("procedures:run-log", args=[run.pk])
    for language, expected in (("en", ENGLISH), ("ja", JAPANESE)):
        answer = client.get(url, HTTP_ACCEPT_LANGUAGE=language).json()["lines"]
        texts = [m["text"] for m in emitter.expand(answer)]
        assert "out" in texts and all(any(e in t for t in texts) for e in expected)
        assert not any(t.startswith(MARK) for t in texts)
        found = client.get(url, {"q": expected[1]}, HTTP_ACCEPT_LANGUAGE=language).json()["lines"]
        assert found and all(
            expected[1] in m["text"] for m in emitter.expand(found)
        )  # search finds what the reader reads
    download = client.get(reverse("procedures:run-log-download", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = b"".join(async_to_sync(_collect)(download.streaming_content)).decode()
    assert "Failed: exit code 3" in body and "終了コード" not in body and MARK not in body


async def _collect(chunks):
    return [chunk async for chunk in chunks]


@pytest.mark.django_db(transaction=True)
def test_the_socket_sends_backlog_and_pushes_in_each_viewers_language(state_world):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [])]), user=w.operator)
    step = run.steps.get()
    services.system_line(run.pk, message("exit code {code}", code=3), step_id=step.pk, attempt=1)
    StepRun.objects.filter(pk=step.pk).update(message=message("exit code {code}", code=4))

    async def watch(language):
        ws = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/runs/{run.pk}/", headers=[(b"accept-language", language)]
        )
        ws.scope["user"] = w.viewer
        assert (await ws.connect())[0]
        got = json.loads(await ws.receive_from(timeout=10)) + json.loads(await ws.receive_from(timeout=10))
        return ws, got

    async def scenario():
        (en, en_got), (ja, ja_got) = await watch(b"en"), await watch(b"ja,en;q=0.5")
        now = timezone.now()
        row = (run.pk, step.pk, 1, "", 2, Stream.SYSTEM, message("This step names no host."), now)
        await database_sync_to_async(services.system_line)(run.pk, row[6], step_id=step.pk, attempt=1)
        await database_sync_to_async(emitter.publish_lines)(run.pk, [row])
        en_got += json.loads(await en.receive_from(timeout=10))
        ja_got += json.loads(await ja.receive_from(timeout=10))
        await en.disconnect()
        await ja.disconnect()
        return en_got, ja_got

    en_got, ja_got = async_to_sync(scenario)()

    def shown(messages):
        return [
            m.get("text") or m.get("message") for m in emitter.expand(messages) if m.get("text") or m.get("message")
        ]

    assert shown(en_got) == ["exit code 3", "exit code 4", "This step names no host."]
    assert shown(ja_got) == ["終了コード 3", "終了コード 4", "この手順には対象ホストがありません。"]


def test_a_stored_message_never_formats_attributes_and_free_text_stays_as_it_is():
    assert render_message("a note from a person {x}", "en") == "a note from a person {x}"
    crafted = MARK + json.dumps({"m": "{p.__class__.__mro__}", "p": {"p": "x"}})
    assert render_message(crafted, "en") == "{p.__class__.__mro__}"  # shown as stored, never formatted
    nested = message("Aborted; {why}", why=message("exit code {code}", code=1))
    assert render_message(nested, "en") == "Aborted; exit code 1"
    assert render_message(MARK + "{not json", "en") == MARK + "{not json"


@pytest.mark.django_db
def test_the_migration_turns_old_texts_into_messages_and_leaves_free_text_readable(state_world):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [])]), user=w.operator)
    step = run.steps.get()
    old = {
        "失敗: 終了コード 3": "Failed: exit code 3",
        "手順 1、試行 2: one": "Step 1, attempt 2: one",
        "Aborted; Worker w1 is gone (its process ended); the outcome on the host is unknown.": None,
        "a person's own words": "a person's own words",
    }
    now = timezone.now()
    store_lines([(run.pk, step.pk, 1, "", n, Stream.SYSTEM, text, now) for n, text in enumerate(old, start=1)])
    StepRun.objects.filter(pk=step.pk).update(message="終了コード 3")
    migration = importlib.import_module("procedures.migrations.0009_stored_messages")
    state = MigrationExecutor(connection).loader.project_state(("procedures", "0009_stored_messages"))
    migration.to_messages(state.apps, None)  # the models as the migration sees them
    stored = list(RunLogLine.objects.filter(run=run).order_by("seq").values_list("text", flat=True))
    assert [text.startswith(MARK) for text in stored] == [True, True, True, False]
    assert [render_message(text, "en") for text in stored] == [english or text for text, english in old.items()]
    assert render_message(stored[2], "ja").startswith("中止")
    assert render_message(StepRun.objects.get(pk=step.pk).message, "en") == "exit code 3"
    assert stored[3] == "a person's own words"


def test_a_japanese_reader_sees_audit_actions_step_kinds_and_file_titles_in_japanese(client, state_world):
    w = state_world
    steps = [command_step("cmd", [host_ref(w.node1, "echo hi")])]
    run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    japanese = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="ja")
    english = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="en")
    # The trail reads as sentences in the reader's language (procedures/audit.py); the codes stay for support.
    assert "run-approver が計画を承認しました。" in japanese and "approved the plan" not in japanese
    assert "run-approver approved the plan." in english
    assert "<small>コマンド" in japanese and "<small>command" in english
    assert ">approve<" not in japanese  # the code stays only as the cell's title
    client.force_login(w.operator)
    url = reverse("procedures:plan", args=[w.cluster.pk])
    plan_ja = client.get(url, {"procedure": "k5-1a"}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    plan_en = client.get(url, {"procedure": "k5-1a"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h3>パッケージ構成ファイル — " in plan_ja and "<h3>package configuration — " not in plan_ja
    assert "<h3>package configuration — " in plan_en and "両ノード" in plan_ja and "both nodes" in plan_en


def test_the_admin_shows_stored_messages_rendered(client, state_world, admin_user):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [])]), user=w.operator)
    step = run.steps.get()
    StepRun.objects.filter(pk=step.pk).update(message=message("exit code {code}", code=5))
    ProcedureRun.objects.filter(pk=run.pk).update(wait_message=message("This step names no host."))
    client.force_login(admin_user)
    for url in (
        reverse("admin:procedures_procedurerun_change", args=[run.pk]),
        reverse("admin:procedures_steprun_change", args=[step.pk]),
    ):
        shown = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "exit code 5" in shown and MARK not in shown and "\\u001e" not in shown
    assert (
        "この手順には対象ホストがありません。"
        in client.get(
            reverse("admin:procedures_procedurerun_change", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    )


def test_host_labels_read_in_the_readers_language_on_the_page_and_in_stored_messages(client, state_world):
    """A host's label stays the key it is in the snapshot and the results; the page shows it in each language."""
    w = state_world
    label = host_ref(w.node1).label
    assert label == node_label(w.node1.host_name, 1) == f"{w.node1.host_name} (node 1)"
    assert host_shown(label, "ja") == f"{w.node1.host_name}（ノード 1）" and host_shown(label, "en") == label
    assert host_shown("mailsv03 (standalone)", "ja") == "mailsv03（単独サーバ）"
    assert host_shown("a free name", "ja") == "a free name"  # not a label's form: shown as it is
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [host_ref(w.node1, "true")])]),
                              user=w.operator)  # fmt: skip
    step = run.steps.get()
    StepHostResult.objects.create(step=step, attempt=1, host_label=label, host_name=w.node1.host_name)
    outcome = message("{host}: {outcome}", host=host_message(label), outcome=message("exit code {code}", code=0))
    StepRun.objects.filter(pk=step.pk).update(message=outcome)
    japanese = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="ja")
    english = page(client, w.viewer, run, HTTP_ACCEPT_LANGUAGE="en")
    assert f"{w.node1.host_name}（ノード 1）: 終了コード 0" in japanese and "(node 1)" not in japanese
    assert f"<td>{w.node1.host_name}（ノード 1）</td>" in japanese  # the host results table
    assert f"{label}: exit code 0" in english and "ノード" not in english


@pytest.mark.django_db
def test_the_migration_turns_host_labels_in_stored_messages_into_messages(state_world):
    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [])]), user=w.operator)
    step = run.steps.get()
    old = message("{host}: {outcome}", host="gmx1a (node 1)", outcome=message("exit code {code}", code=0))
    StepRun.objects.filter(pk=step.pk).update(message=message("{hosts}", hosts=[old]))
    store_lines([(run.pk, step.pk, 1, "gmx1a (node 1)", 1, Stream.SYSTEM,
                  message("Connecting to {host} ({address}:{port}).", host="gmx1a (node 1)", address="::1", port=22),
                  timezone.now())])  # fmt: skip
    migration = importlib.import_module("procedures.migrations.0012_host_labels_in_messages")
    state = MigrationExecutor(connection).loader.project_state(("procedures", "0012_host_labels_in_messages"))
    migration.to_messages(state.apps, None)
    assert render_message(StepRun.objects.get(pk=step.pk).message, "ja") == "gmx1a（ノード 1）: 終了コード 0"
    line = RunLogLine.objects.get(run=run)
    assert line.host == "gmx1a (node 1)"  # the log's host column is a key: left as it is
    assert render_message(line.text, "ja") == "gmx1a（ノード 1） (::1:22) に接続しています。"
    migration.to_labels(state.apps, None)
    assert render_message(StepRun.objects.get(pk=step.pk).message, "ja") == "gmx1a (node 1): 終了コード 0"


def test_the_admins_event_list_names_each_kind_of_action_in_the_readers_language(client, state_world, admin_user):
    """The filter offers "計画承認" / "Plan approved", not the stored code ``approve``, and filters by it."""
    from procedures.audit import ACTION_NAMES, SENTENCES

    w = state_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [command_step("one", [])]), user=w.operator)
    services.approve_run(run.pk, user=w.approver)
    client.force_login(admin_user)
    url = reverse("admin:procedures_runevent_changelist")
    japanese = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "計画承認" in japanese and "Plan approved" not in japanese
    assert "Plan approved" in english and "計画承認" not in english
    assert ">approve<" not in japanese and ">approve<" not in english
    only = client.get(url, {"action": "approve"}, HTTP_ACCEPT_LANGUAGE="en").context["cl"].result_list
    assert [e.action for e in only] == ["approve"]
    assert set(ACTION_NAMES) >= {action for action, _with_step in SENTENCES}  # every kind the trail tells has a name


def test_why_no_node_could_say_where_the_package_runs_reads_in_each_readers_language(state_world):
    """The nodes' refusals are kept as errors inside the stored message, not as this process's text of them."""
    from clusters.models import Node
    from procedures import exceptions as exc
    from procedures.execution import engine
    from procedures.plan import HostRef

    w = state_world
    Node.objects.filter(pk__in=[w.node1.pk, w.node2.pk]).update(credential=None)
    ref = HostRef(
        label="package owner",
        host_name=w.node1.host_name,
        node_id=w.node1.pk,
        resolve="package_owner",
        package="gmaxpkg",
        candidate_node_ids=(w.node1.pk, w.node2.pk),
    )
    with pytest.raises(exc.PackageOwnerUnreachable) as refused:
        engine._owner_of_package(ref, steplog=None)  # neither node can be asked: nothing is written to a log
    kept = engine._refusal(refused.value)
    english, japanese = render_message(kept, "en"), render_message(kept, "ja")
    assert english.startswith(f"No node among {w.node1.host_name}, {w.node2.host_name} reports package gmaxpkg")
    assert f"Host {w.node2.host_name} has no SSH credential in the inventory." in english
    assert "パッケージ" in japanese and w.node2.host_name in japanese and "has no SSH credential" not in japanese
    assert "No node among" in str(refused.value) and "[" not in str(refused.value)  # the log's text: no list repr
