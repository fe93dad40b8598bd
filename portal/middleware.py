"""Every page needs a logged-in user, except the log-in page itself and static files.

A script asking for JSON (the run page's log client) gets a 403 JSON answer it can act on, not a log-in page.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

OPEN_PREFIXES = ("/static/", "/i18n/")


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
