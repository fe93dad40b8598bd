"""The demo runs with debug off with its own error pages, says it is a demo; its passwords work nowhere else."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from clusters.demo import DEMO_USERS
from procedures.views.runs import RunListView
from tests.factories import MasterFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
TITLES = {
    "en": {400: "Bad request", 403: "Not allowed", 404: "Not found", 500: "Server error"},
    "ja": {400: "不正なリクエスト", 403: "許可されていません", 404: "見つかりません", 500: "サーバーエラー"},
}


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.search(rf"^{target}:.*?(?=^\S)", makefile, re.S | re.M).group(0)


def test_make_demo_runs_with_debug_off_and_as_a_demo():
    for target in ("demo", "demo-prod"):
        assert "PORTAL_DEBUG=true" not in recipe(target)
    assert recipe("demo").count("PORTAL_DEMO=true") == 2  # load_demo and Daphne
    assert "PORTAL_DEMO=true" in (ROOT / "bin/demo-prod").read_text(encoding="utf-8")  # what demo-prod runs


def member(role="viewer"):
    user = UserFactory()
    MembershipFactory(domain=MasterFactory().domain, user=user, role=role)
    return user


def client_in(language: str, user=None) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_wrong_run_id_shows_the_portals_own_404_not_the_url_patterns(language):
    response = client_in(language, member()).get("/procedures/runs/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in html and TITLES[language][404] in html
    assert "URLconf" not in html and "procedures/runs/<int:pk>" not in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_malformed_parameter_shows_the_portals_own_400_with_the_reason(language):
    response = client_in(language, member("operator")).post(reverse("procedures:run-plan"), {"cluster": "abc"})
    html = response.content.decode()
    assert response.status_code == 400 and TITLES[language][400] in html and "cluster" in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_refusal_shows_the_portals_own_403(language, admin_user):
    node = MasterFactory().cluster.primary
    url = reverse("admin:clusters_node_simple_history", args=[node.pk, node.history.latest().history_id])
    response = client_in(language, admin_user).post(url, {})
    assert response.status_code == 403 and TITLES[language][403] in response.content.decode()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_crash_shows_the_portals_own_500_without_a_traceback(language, monkeypatch):
    def crash(self, request):
        raise RuntimeError("secret detail of the crash")

    monkeypatch.setattr(RunListView, "get", crash)
    response = client_in(language, member()).get(reverse("procedures:run-list"))
    html = response.content.decode()
    assert response.status_code == 500 and TITLES[language][500] in html
    assert "secret detail" not in html and "Traceback" not in html


def test_static_files_are_served_with_debug_off():
    response = Client().get("/static/portal/portal.css")
    assert response.status_code == 200
    assert b".demo-banner" in b"".join(response.streaming_content)


@pytest.mark.parametrize("demo", [True, False])
def test_the_log_in_page_and_the_header_say_when_this_is_a_demo(settings, demo):
    settings.PORTAL_DEMO = demo
    login = Client().get(reverse("login")).content.decode()
    page = client_in("en", member()).get(reverse("clusters:domain-list")).content.decode()
    for html in (login, page):
        assert ('data-testid="demo-banner"' in html) is demo
    assert ('data-testid="demo-login-notice"' in login) is demo


def test_load_demo_refuses_a_portal_that_is_not_a_demo(settings):
    settings.PORTAL_DEMO = False
    with pytest.raises(CommandError, match="not a demonstration"):
        call_command("load_demo")
    assert not get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()


def test_the_demo_inventory_alone_makes_no_account_outside_a_demo(settings):
    from clusters.demo import load_demo_inventory

    settings.PORTAL_DEMO = False
    load_demo_inventory()
    assert not get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()


@pytest.mark.parametrize("demo_user", DEMO_USERS, ids=lambda u: u.username)
def test_a_published_password_logs_nobody_in_outside_the_demo(settings, demo_user):
    """An installation that once ran the demo still has the accounts: their published passwords are refused."""
    get_user_model().objects.create_user(demo_user.username, password=demo_user.password, is_staff=True)
    settings.PORTAL_DEMO = False
    credentials = {"username": demo_user.username, "password": demo_user.password}
    response = client_in("en").post(reverse("login"), credentials)
    assert response.status_code == 200 and "published with the demo" in response.content.decode()
    admin = client_in("en").post(reverse("admin:login"), credentials)
    assert admin.status_code == 200 and "_auth_user_id" not in admin.client.session
    settings.PORTAL_DEMO = True
    assert client_in("en").post(reverse("login"), credentials).status_code == 302


def test_nobody_may_choose_a_published_password_outside_the_demo(settings):
    settings.PORTAL_DEMO = False
    with pytest.raises(ValidationError):
        validate_password(DEMO_USERS[0].password)
