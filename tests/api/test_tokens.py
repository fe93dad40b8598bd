"""Tokens: made with a password (a log-in, so locked out and throttled like one), listed and revoked by their owner."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from portal.models import ApiToken, digest_of
from tests.factories import PASSWORD, UserFactory
from tests.fixtures.api import api_client

TOKEN_URL = "/api/token/"


@pytest.fixture
def person(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return UserFactory(username="scripter")


def test_a_token_is_made_with_the_password_shown_once_and_stored_only_as_its_digest(person):
    client = api_client()
    response = client.post(TOKEN_URL, {"username": "scripter", "password": PASSWORD, "name": "ci"}, format="json")
    assert response.status_code == 201, response.content
    key = response.json()["token"]
    stored = ApiToken.objects.get(user=person)
    assert stored.digest == digest_of(key) and key not in stored.digest and stored.name == "ci"
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = client.get("/api/tokens/").json()
    assert [t["id"] for t in listed["results"]] == [stored.pk]
    assert key not in str(listed) and stored.prefix == key[:8]
    assert ApiToken.objects.get(pk=stored.pk).last_used_at is not None


def test_a_wrong_password_is_400_naming_no_user_and_a_missing_field_is_named(person):
    client = api_client()
    wrong = client.post(TOKEN_URL, {"username": "scripter", "password": "nope"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "credentials"
    missing = client.post(TOKEN_URL, {"username": "scripter"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["detail"].startswith("password: ") and "password" in missing.json()["fields"]


def test_failed_token_requests_lock_the_user_out_like_the_log_in_page(person, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = api_client()
    for _attempt in range(3):
        client.post(TOKEN_URL, {"username": "scripter", "password": "wrong"}, format="json")
    assert AccessAttempt.objects.filter(username="scripter").exists()
    locked = client.post(TOKEN_URL, {"username": "scripter", "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json" and locked.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()
    page = api_client().post(reverse("login"), {"username": "scripter", "password": PASSWORD})
    assert page.status_code == 429 and b"<html" in page.content.lower()  # the page keeps its own answer


def test_token_creation_is_throttled(person, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})  # read at import otherwise
    client = api_client()
    answers = [
        client.post(TOKEN_URL, {"username": "scripter", "password": PASSWORD}, format="json").status_code
        for _ in range(3)
    ]
    assert answers == [201, 201, 429]


def test_an_owner_revokes_a_token_and_it_stops_working_at_once(person):
    client = api_client(person)
    other = UserFactory(username="someone-else")
    theirs, _key = ApiToken.issue(other)
    mine = ApiToken.objects.get(user=person)
    assert client.delete(f"/api/tokens/{theirs.pk}/").status_code == 404  # never another person's
    assert client.delete(f"/api/tokens/{mine.pk}/").status_code == 204
    gone = client.get("/api/tokens/")
    assert gone.status_code == 401 and gone["WWW-Authenticate"] == "Token"
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_no_credentials_is_401_in_json_and_a_bad_token_too(db):
    anonymous = api_client().get("/api/runs/")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    bad = api_client()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    answer = bad.get("/api/runs/")
    assert answer.status_code == 401 and answer.json()["code"] == "authentication_failed"


def test_the_browser_session_works_too_with_its_csrf_token(person):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.get("/api/tokens/").status_code == 200
    refused = client.post("/api/runs/", {}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
