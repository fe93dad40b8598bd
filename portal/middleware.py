"""Every page needs a logged-in user, except the log-in page itself and static files."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

OPEN_PREFIXES = ("/static/", "/i18n/")


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        open_paths = {reverse("login"), reverse("admin:login")}
        if request.user.is_authenticated or path in open_paths or path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
