"""Errors an operator can act on: each carries its HTTP status and a translated message."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class PortalError(Exception):
    """Shown to the user as it is; views turn it into a message, the API into a JSON body."""

    status, code, message = 400, "invalid", _("This request cannot be carried out.")
    field = ""  # bad input: the request field it is about (the API names it; a page shows the message)

    def __init__(self, message=None, **params):
        self.params = params
        self.template = message or self.message  # its id and parameters, to store and show in any language
        super().__init__(str(message or self.message).format(**params))


class NotAllowed(PortalError):
    status, code, message = 403, "forbidden", _("You have no role that allows this in domain {domain}.")


class BadParameter(PortalError):
    status, code = 400, "bad_parameter"
    message = _("The parameter “{name}” must be a whole number (digits 0–9), not “{value}”.")


def whole_number(value, *, name: str, default: int | None = None) -> int | None:
    """A query or form parameter as a non-negative int; absent -> ``default``; anything else -> ``BadParameter``.

    ``str.isdigit()`` is not enough: it accepts "²" and other digits that ``int()`` refuses.
    """
    if value is None or value == "":
        return default
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadParameter(name=name, value=repr(text)[1:-1][:40])
    return int(text)


class PortalErrorMiddleware:
    """A ``PortalError`` that no view caught (a malformed parameter, above all) is its status with its message.

    JSON for a script that asks for JSON, the portal's error page otherwise; never a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PortalError):
            return None
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": str(exception), "code": exception.code}, status=exception.status)
        template = {403: "403.html", 404: "404.html"}.get(exception.status, "400.html")
        return render(request, template, {"message": str(exception)}, status=exception.status)
