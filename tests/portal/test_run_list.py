"""The runs list: filters (django-filter), sorting and pagination (django-tables2), only what the person may see."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.choices import RunState
from tests.factories import ServerFactory
from tests.fixtures.runs import console_step, make_plan

URL = reverse("procedures:run-list")


def login(client, user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client


def runs_on(w, count: int, *, start: bool = False):
    made = []
    for _i in range(count):
        cluster = ServerFactory(domain=w.domain).cluster
        run = services.create_run(cluster, make_plan(cluster, [console_step("c")]), user=w.operator)
        if start:
            services.approve_run(run.pk, user=w.approver)
            services.start_run(run.pk, user=w.operator)
        made.append(run)
    return made


def rows(response) -> list[int]:
    return [r.pk for r in response.context["table"].page.object_list.data] if response.context["table"] else []


def test_filters_by_cluster_state_procedure_operator_and_date(client, state_world):
    w = state_world
    planned, started = runs_on(w, 1)[0], runs_on(w, 1, start=True)[0]
    login(client, w.viewer)
    assert set(rows(client.get(URL))) == {planned.pk, started.pk}
    assert rows(client.get(URL, {"cluster": started.cluster_id})) == [started.pk]
    assert rows(client.get(URL, {"state": [RunState.WAITING]})) == [started.pk]
    assert rows(client.get(URL, {"domain": w.domain.pk, "procedure": ""})) != []
    assert rows(client.get(URL, {"operator": w.operator.pk})) != []
    assert rows(client.get(URL, {"operator": w.approver.pk})) == []  # approved, but planned or did nothing
    today = timezone.localdate(planned.created_at).isoformat()  # the site's day (Tokyo), not UTC's
    assert set(rows(client.get(URL, {"planned_from": today, "planned_until": today}))) == {planned.pk, started.pk}
    assert rows(client.get(URL, {"planned_from": "2999-01-01"})) == []


@pytest.mark.parametrize(
    "query", [{"cluster": "x"}, {"state": "flying"}, {"planned_from": "yesterday"}, {"domain": "999999"}]
)
def test_a_malformed_filter_is_a_400_with_the_form_saying_what_is_wrong(client, state_world, query):
    response = login(client, state_world.viewer).get(URL, query)
    assert response.status_code == 400
    assert b'data-testid="filter-errors"' in response.content


def test_a_page_number_beyond_the_end_is_a_400_not_an_error_page(client, state_world):
    assert login(client, state_world.viewer).get(URL, {"page": "99"}).status_code == 400


def test_another_domains_runs_and_clusters_are_not_offered(client, state_world, outsider):
    runs_on(state_world, 1)
    response = login(client, outsider).get(URL)
    assert rows(response) == []
    assert state_world.cluster.name not in response.content.decode()
    assert login(client, outsider).get(URL, {"cluster": state_world.cluster.pk}).status_code == 400


def test_sorted_by_cluster_and_paginated(client, state_world):
    runs_on(state_world, 27)
    login(client, state_world.viewer)
    first = client.get(URL, {"sort": "cluster"})
    names = [r.cluster.name for r in first.context["table"].page.object_list.data]
    assert names == sorted(names) and len(names) == 25
    assert b'data-testid="next-page"' in first.content
    assert len(rows(client.get(URL, {"sort": "cluster", "page": 2}))) == 2


def test_cluster_and_domain_pages_show_their_run_history_and_link_to_the_filtered_list(client, state_world):
    w = state_world
    run = runs_on(w, 1)[0]
    login(client, w.viewer)
    cluster_page = client.get(run.cluster.get_absolute_url()).content.decode()
    assert f'href="{run.get_absolute_url()}"' in cluster_page
    assert f"{URL}?cluster={run.cluster.pk}" in cluster_page
    domain_page = client.get(w.domain.get_absolute_url()).content.decode()
    assert f'href="{run.get_absolute_url()}"' in domain_page and f"{URL}?domain={w.domain.pk}" in domain_page


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_pages_read_the_same_number_of_queries_for_one_run_in_progress_and_for_twenty(client, state_world):
    """Home, runs list, run page, cluster, domain and queue pages: a constant number of queries per page."""
    w = state_world
    login(client, w.approver)
    first = runs_on(w, 1, start=True)[0]
    pages = {
        "home": "/",
        "home panels": reverse("procedures:home-panels"),
        "runs": URL,
        "run": first.get_absolute_url(),
        "cluster": first.cluster.get_absolute_url(),
        "domain": w.domain.get_absolute_url(),
        "queue": reverse("procedures:queue"),
    }
    before = {name: queries(client, url) for name, url in pages.items()}
    runs_on(w, 19, start=True)
    after = {name: queries(client, url) for name, url in pages.items()}
    assert after == before
    assert max(after.values()) <= 30, after
