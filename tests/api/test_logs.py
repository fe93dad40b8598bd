"""A run's log over the API: stored lines after a sequence number, in order, with whether the run has ended;
a step's whole log as streamed text."""

import pytest
from django.utils import timezone

from procedures import services
from procedures.choices import Stream
from procedures.models.logs import store_lines
from tests.fixtures.api import api_client
from tests.fixtures.runs import console_step, make_plan

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")]


@pytest.fixture
def logged(api_world):
    w = api_world
    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("a"), console_step("b")]), user=w.operator)
    a, b = run.steps.order_by("position")
    now = timezone.now()
    rows = [(run.pk, (a if seq <= 30 else b).pk, 1, "gmx1a", seq, Stream.STDOUT, f"line {seq}", now)
            for seq in range(1, 51)]  # fmt: skip
    rows.append((run.pk, None, 0, "", 51, Stream.SYSTEM, "run-wide", now))
    store_lines(rows)
    return w, run, a, b


def test_lines_come_after_the_given_seq_in_order_and_in_bounded_pages(logged):
    w, run, a, _b = logged
    client = api_client(w.viewer)
    seen, after = [], 0
    while True:
        page = client.get(f"/api/runs/{run.pk}/log/", {"after": after, "limit": 20}).json()
        if not page["lines"]:
            break
        seen += page["lines"]
        after = page["lines"][-1]["seq"]
    assert [line["seq"] for line in seen] == list(range(1, 52))
    assert set(seen[0]) == {"seq", "step", "host", "stream", "text", "at"}
    assert seen[0]["step"] == a.pk and seen[-1]["step"] is None and page["last_seq"] == 51
    assert page["finished"] is False
    only_a = client.get(f"/api/runs/{run.pk}/log/", {"step": a.pk}).json()["lines"]
    assert len(only_a) == 30


def test_finished_says_the_run_ended(logged):
    w, run, _a, _b = logged
    services.abort_run(run.pk, user=w.operator, reason="done")
    assert api_client(w.viewer).get(f"/api/runs/{run.pk}/log/").json()["finished"] is True


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("after", "x"),
        ("after", "-1"),
        ("limit", "0"),
        ("limit", "99999"),
        ("after", str(2**70)),
        ("step", str(2**70)),  # past what the database stores: not an overflow (500)
    ],
)
def test_a_malformed_parameter_is_a_400_naming_it(logged, param, value):
    w, run, _a, _b = logged
    answer = api_client(w.viewer).get(f"/api/runs/{run.pk}/log/", {param: value})
    assert answer.status_code == 400 and answer.json()["detail"].startswith(f"{param}: ")


def test_a_steps_whole_log_streams_as_text(logged):
    w, _run, a, _b = logged
    answer = api_client(w.viewer).get(f"/api/steps/{a.pk}/log.txt", HTTP_ACCEPT="text/plain")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    text = b"".join(answer).decode()  # the test client reads the async stream to its end
    assert [line.split("\t")[0] for line in text.splitlines()] == [str(n) for n in range(1, 31)]
    assert text.splitlines()[0].endswith("\tgmx1a\tout\tline 1")
    assert (
        api_client(w.viewer).get(f"/api/steps/{w.hidden.step.pk}/log.txt", HTTP_ACCEPT="text/plain").status_code == 404
    )


def test_reading_a_page_of_the_log_costs_a_few_queries(logged, django_assert_max_num_queries):
    w, run, _a, _b = logged
    client = api_client(w.viewer)
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/runs/{run.pk}/log/", {"limit": 5000}).status_code == 200
