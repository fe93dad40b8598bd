"""Daphne serves the portal on the production profile: HTTPS only, pages for people of the domain, static files."""

import http.client
import re

import pytest
from django.test import Client
from django.urls import reverse

from procedures import services
from tests.fixtures.runs import build_world, console_step, make_plan

pytestmark = [pytest.mark.prod, pytest.mark.django_db(transaction=True)]


def get(server, path: str, *, cookie: str = "", https: bool = True) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Host": "127.0.0.1", "Accept-Language": "en"}
    if https:
        headers["X-Forwarded-Proto"] = "https"  # what the TLS proxy in front of Daphne says (docs/DEPLOY.md)
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def test_daphne_serves_the_run_page_over_https_only_with_hashed_static_files(daphne_server, settings):
    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)
    client = Client()
    client.force_login(w.viewer)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    url = reverse("procedures:run-detail", args=[run.pk])

    plain = get(daphne_server, url, cookie=cookie, https=False)
    assert plain.status == 301 and plain.getheader("Location") == f"https://127.0.0.1{url}"

    page = get(daphne_server, url, cookie=cookie)
    assert page.status == 200, daphne_server.log()
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    html = page.body.decode()
    assert w.cluster.name in html
    css = re.search(r'href="(/static/portal/portal\.[0-9a-f]{12}\.css)"', html)
    assert css, "the page does not link the collected, hashed stylesheet"
    static = get(daphne_server, css.group(1))
    assert static.status == 200 and static.getheader("Content-Type").startswith("text/css")
    assert "immutable" in static.getheader("Cache-Control", "")

    anonymous = get(daphne_server, url)
    assert anonymous.status == 302 and anonymous.getheader("Location").startswith(reverse("login"))
