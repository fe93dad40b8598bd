"""The client's address: X-Forwarded-For is believed only from a configured proxy, and only its right-most hop.

The log-in lock-out (django-axes) and the "from address" of history and run events use that one address.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from portal.middleware import forwarded_client
from tests.factories import PASSWORD, MasterFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.1"


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("198.51.100.9", "6.6.6.6", "198.51.100.9"),  # not from a proxy: the header is the client's own words
        (PROXY, "", PROXY),
        (PROXY, "203.0.113.7", "203.0.113.7"),
        (PROXY, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client wrote 6.6.6.6; the proxy appended its peer
        (PROXY, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # a second trusted proxy in the chain
        (PROXY, "203.0.113.7, not-an-address", PROXY),  # refuse to guess past a hop that is not an address
        (PROXY, "10.0.0.2", "10.0.0.2"),  # only proxies: the left-most of them
    ],
)
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer, header, expected):
    assert forwarded_client(peer, header, ("10.0.0.1", "10.0.0.2/32")) == expected


def test_no_daphne_command_believes_the_first_forwarded_address():
    """Daphne's --proxy-headers takes the first X-Forwarded-For value from anybody; the middleware does the work."""
    for name in ("Makefile", "docs/DEPLOY.md"):
        commands = re.findall(r"daphne [^\n`]*portal\.asgi:application", (ROOT / name).read_text(encoding="utf-8"))
        assert commands and not [c for c in commands if "--proxy-headers" in c], name
    assert '"--proxy-headers"' not in (ROOT / "tests/fixtures/prod.py").read_text(encoding="utf-8")
    assert "PORTAL_TRUSTED_PROXIES" in (ROOT / "docs/DEPLOY.md").read_text(encoding="utf-8")


def log_in(client, username, password, *, peer, forwarded=""):
    extra = {"REMOTE_ADDR": peer, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_rotating_the_header_does_not_escape_the_log_in_lock_out(client, settings):
    settings.PORTAL_TRUSTED_PROXIES = (PROXY,)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="victim")
    for n in range(settings.AXES_FAILURE_LIMIT):  # the attacker, behind the proxy, makes up a new "client" each time
        log_in(client, "victim", "guess", peer=PROXY, forwarded=f"192.0.2.{n}, 203.0.113.7")
    locked = log_in(client, "victim", PASSWORD, peer=PROXY, forwarded="192.0.2.99, 203.0.113.7")
    assert locked.status_code == 429 or "locked" in locked.content.decode().lower()
    direct = log_in(client, "victim", PASSWORD, peer="198.51.100.9", forwarded="203.0.113.8")  # forged, untrusted
    assert direct.status_code == 302  # this is another address: the attacker's lock-out is not the victim's


@pytest.mark.django_db
def test_clients_behind_one_proxy_are_told_apart(client, settings):
    settings.PORTAL_TRUSTED_PROXIES = (PROXY,)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="victim")
    for _n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "victim", "guess", peer=PROXY, forwarded="203.0.113.66")
    assert log_in(client, "victim", PASSWORD, peer=PROXY, forwarded="203.0.113.7").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "forwarded", "recorded"),
    [(PROXY, "6.6.6.6, 203.0.113.7", "203.0.113.7"), ("198.51.100.9", "6.6.6.6", "198.51.100.9")],
)
def test_the_history_records_the_clients_address_not_a_forged_one(
    client, admin_user, settings, peer, forwarded, recorded
):
    settings.PORTAL_TRUSTED_PROXIES = (PROXY,)
    site = MasterFactory().domain.site
    client.force_login(admin_user)
    url = reverse("admin:clusters_site_change", args=[site.pk])
    data = {"name": site.name, "display_name": "changed", "time_zone": site.time_zone}
    response = client.post(url, data, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 302
    assert site.history.latest().history_address == recorded
    assert re.fullmatch(r"[0-9.]+", recorded)
