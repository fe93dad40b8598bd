"""Plan from where you are: the cluster page offers the procedures of its server; the plan page has contents,
filters and collapsible details."""

import itertools

from django.urls import reverse

from clusters.choices import ServerRole
from tests.factories import ServerFactory


def login(client, user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client


def test_a_master_cluster_offers_k5_1a_and_k5_2_an_address_server_k5_1b_and_k5_2(client, state_world):
    w = state_world
    login(client, w.operator)
    master = client.get(w.cluster.get_absolute_url()).content.decode()
    assert 'data-testid="offer-k5-1a"' in master and 'data-testid="offer-k5-2"' in master
    assert 'data-testid="offer-k5-1b"' not in master
    assert f'action="{reverse("procedures:plan", args=[w.cluster.pk])}"' in master
    assert 'name="db_files_precreated"' in master  # (1)(a)'s option, on its own form
    address = ServerFactory(domain=w.domain, role=ServerRole.ADDRESS).cluster
    page = client.get(address.get_absolute_url()).content.decode()
    assert 'data-testid="offer-k5-1b"' in page and 'data-testid="offer-k5-1a"' not in page


def test_the_offer_leads_to_the_plan_page_with_its_options(client, state_world):
    w = state_world
    url = reverse("procedures:plan", args=[w.cluster.pk])
    page = login(client, w.operator).get(url, {"procedure": "k5-1a", "db_files_precreated": "on"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="db_files_precreated" value="1"' in html  # "Plan a run with this plan" keeps the option
    assert 'data-testid="plan-toc"' in html and 'href="#phase-1"' in html
    assert 'data-testid="filter-deviation"' in html and 'data-testid="filter-console"' in html
    assert "<details data-step-details>" in html
    sections = page.context["shown"]["sections"]
    assert all(step["target"] == s["target"] for s in sections for step in s["steps"])  # one place per phase
    assert all(a["target"] != b["target"] for a, b in itertools.pairwise(sections))
    assert any(s["title"].startswith("Node 2: ") for s in sections)  # named by the node's host name
    assert sum(len(s["steps"]) for s in sections) == len(page.context["shown"]["steps"])


def test_breadcrumbs_name_each_level_once(client, state_world):
    w = state_world
    page = login(client, w.viewer).get(w.cluster.get_absolute_url()).content.decode()
    crumbs = page.split('data-testid="crumbs"')[1].split("</nav>")[0]
    assert crumbs.count(w.cluster.name) == 1 and w.domain.name in crumbs and w.cluster.server.name in crumbs
    domain_page = client.get(w.domain.get_absolute_url()).content.decode()
    assert domain_page.split('data-testid="crumbs"')[1].split("</nav>")[0].count(w.domain.name) == 1
