"""The run log over HTTP: pages by sequence number, search, one step's lines, the full download, for the domain only."""

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse
from django.utils import timezone

from clusters.choices import DomainRoleName
from procedures import services
from procedures.live import emitter
from procedures.models.logs import store_lines
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_run(state_world):
    """A two-step run: step one printed lines 1–6 (line 4 on stderr), step two 7–9, then one run-wide line (10)."""
    w = state_world
    plan = make_plan(w.cluster, [command_step("one", [host_ref(w.node1, "true")]), command_step("two", [])])
    run = services.create_run(w.cluster, plan, user=w.operator)
    one, two = run.steps.order_by("position")
    now = timezone.now()
    rows = [
        (run.pk, one.pk, 1, "gmx1a (node 1)", n, "err" if n == 4 else "out", f"one line {n}", now) for n in range(1, 7)
    ]
    rows += [(run.pk, two.pk, 1, "gmx1b (node 2)", n, "out", f"two Line {n}", now) for n in range(7, 10)]
    rows += [(run.pk, None, 0, "", 10, "sys", "run-wide note", now)]
    store_lines(rows)
    return w, run, one, two


def get_log(client, run, **params):
    return client.get(reverse("procedures:run-log", args=[run.pk]), params)


def body(response) -> str:
    """The streamed download (an async iterator: Daphne serves it chunk by chunk)."""

    async def collect():
        return b"".join([part async for part in response.streaming_content])

    return async_to_sync(collect)().decode()


def seqs(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [m["seq"] for m in emitter.expand(response.json()["lines"])]


def test_lines_after_a_seq_come_in_order_with_every_field(client, logged_run):
    w, run, one, _ = logged_run
    client.force_login(w.viewer)
    response = get_log(client, run, after=3, limit=2)
    assert seqs(response) == [4, 5]
    first = emitter.expand(response.json()["lines"])[0]
    assert first == {**first, "type": "log", "step": one.pk, "host": "gmx1a (node 1)", "stream": "err"}
    assert first["text"] == "one line 4" and first["ts"]
    assert response.json()["last_seq"] == 10
    assert seqs(get_log(client, run)) == list(range(1, 11))


def test_lines_before_a_seq_are_the_ones_just_before_it_oldest_first(client, logged_run):
    w, run, _, _ = logged_run
    client.force_login(w.operator)
    assert seqs(get_log(client, run, before=6, limit=3)) == [3, 4, 5]
    assert seqs(get_log(client, run, before=0, limit=4)) == [7, 8, 9, 10]  # 0: the tail of the log


def test_one_steps_lines_only(client, logged_run):
    w, run, one, two = logged_run
    client.force_login(w.operator)
    assert seqs(get_log(client, run, step=two.pk)) == [7, 8, 9]
    assert seqs(get_log(client, run, step=one.pk, before=0, limit=2)) == [5, 6]
    assert seqs(get_log(client, run, step=one.pk, after=5)) == [6]
    assert seqs(get_log(client, run, step="run")) == [10]  # the run-wide lines: those of no step
    assert seqs(get_log(client, run, step="run", q="line")) == []


def test_search_finds_lines_case_insensitively_within_a_step_or_the_run(client, logged_run):
    w, run, _one, two = logged_run
    client.force_login(w.operator)
    assert seqs(get_log(client, run, q="LINE")) == list(range(1, 10))
    assert seqs(get_log(client, run, q="line 8")) == [8]
    assert seqs(get_log(client, run, q="line", step=two.pk)) == [7, 8, 9]
    assert seqs(get_log(client, run, q="no such text")) == []


def test_the_download_holds_every_line_with_its_number_time_host_and_stream(client, logged_run):
    w, run, _, two = logged_run
    client.force_login(w.viewer)
    response = client.get(reverse("procedures:run-log-download", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}.log"'
    lines = body(response).splitlines()
    fields = [line.split("\t") for line in lines]
    assert [int(f[0]) for f in fields] == list(range(1, 11))
    assert fields[3][2:] == ["gmx1a (node 1)", "err", "one line 4"]
    assert fields[9][2:] == ["-", "sys", "run-wide note"]
    step_only = client.get(reverse("procedures:run-log-download", args=[run.pk]), {"step": two.pk})
    assert [line.split("\t")[4] for line in body(step_only).splitlines()] == [
        "two Line 7",
        "two Line 8",
        "two Line 9",
    ]


def test_the_download_of_a_long_log_is_complete(client, logged_run):
    w, run, one, _ = logged_run
    now = timezone.now()
    store_lines([(run.pk, one.pk, 1, "gmx1a", n, "out", f"bulk {n}", now) for n in range(11, 12_011)])
    client.force_login(w.operator)
    response = client.get(reverse("procedures:run-log-download", args=[run.pk]))
    numbers = [int(line.split("\t", 1)[0]) for line in body(response).splitlines()]
    assert numbers == list(range(1, 12_011))


def test_an_anonymous_visitor_is_sent_to_the_log_in_page(client, logged_run):
    _, run, _, _ = logged_run
    for name in ("procedures:run-log", "procedures:run-log-download"):
        response = client.get(reverse(name, args=[run.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_anonymous_script_asking_for_json_gets_403_json(client, logged_run):
    """The page's log client, after the session expired, reads a clear refusal rather than a log-in page."""
    _, run, _, _ = logged_run
    response = client.get(reverse("procedures:run-log", args=[run.pk]), HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["login"] == reverse("login")
    assert "seq" not in response.content.decode()


def test_a_user_of_another_domain_gets_404_and_no_line(client, logged_run):
    _, run, _, _ = logged_run
    outsider = UserFactory(username="elsewhere")
    MembershipFactory(user=outsider, role=DomainRoleName.OPERATOR)
    client.force_login(outsider)
    for name in ("procedures:run-log", "procedures:run-log-download"):
        response = client.get(reverse(name, args=[run.pk]))
        assert response.status_code == 404
        assert b"one line" not in response.content


def test_a_step_of_another_run_shows_nothing(client, logged_run):
    w, _run, one, _ = logged_run
    other = services.create_run(w.cluster, make_plan(w.cluster, [command_step("x", [])]), user=w.operator)
    client.force_login(w.operator)
    assert seqs(get_log(client, other, step=one.pk)) == []
