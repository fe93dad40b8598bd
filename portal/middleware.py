"""The portal's own middleware: the client's address and log-in for every page.

Every page needs a logged-in user, except the log-in page itself and static files. A script asking for JSON
(the run page's log client) gets a 403 JSON answer it can act on, not a log-in page.
The JSON API under /api/ authenticates each request itself (a token or the session) and refuses an anonymous
one with 401 in JSON (``portal.api``), so it is left to the API here.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

OPEN_PREFIXES = ("/static/", "/i18n/", "/api/")


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in configured if entry.strip())


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str, trusted_proxies) -> str:
    """The client's address: ``peer``, or the right-most X-Forwarded-For hop that is not a trusted proxy.

    The header is believed only when it comes from a trusted proxy, and only as far as trusted proxies
    wrote it: each proxy appends the address it was reached from, so the hops left of the first untrusted
    one (from the right) are whatever the client chose to send. A hop that is not an address ends the walk
    at the last trusted one: refuse to guess.
    """
    networks = _networks(tuple(trusted_proxies))
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        client = hop
        if not _trusted(hop, networks):
            break
    return client


class ClientAddressMiddleware:
    """``REMOTE_ADDR`` becomes the client's real address before anything reads it (log-in lock-out, history, events).

    Daphne runs without ``--proxy-headers`` (which believes the *first* X-Forwarded-For value from anybody);
    this middleware believes the header only from ``PORTAL_TRUSTED_PROXIES`` (addresses or networks).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR") or ""
        proxies = getattr(settings, "PORTAL_TRUSTED_PROXIES", ())
        meta["REMOTE_ADDR"] = forwarded_client(peer, meta.get("HTTP_X_FORWARDED_FOR", ""), proxies)
        if not _trusted(peer, _networks(tuple(proxies))):
            meta.pop("HTTP_X_FORWARDED_FOR", None)  # nobody downstream may read a header no trusted proxy wrote
        return self.get_response(request)


def client_address(request) -> str | None:
    """The client's address, as ``ClientAddressMiddleware`` established it (django-axes asks this too)."""
    return request.META.get("REMOTE_ADDR") or None


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        open_paths = {reverse("login"), reverse("admin:login")}
        if request.user.is_authenticated or path in open_paths or path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": _("Log in first."), "login": resolve_url(settings.LOGIN_URL)}, status=403)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
