"""Every refusal of the API as one JSON shape, in the reader's language: ``{"detail", "code"[, "fields"]}``.

The services raise ``PortalError`` subclasses that carry their HTTP status (400 bad input, 403 no role,
409 not from this state, …) and a translated message; this one handler turns them, DRF's own errors and the
model's validation into that shape, so no endpoint maps an error by itself.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import PortalError

NON_FIELD = "non_field_errors"


def field_errors(error: DjangoValidationError) -> dict:
    """A model's ``ValidationError`` as DRF keys it: field name → messages (``non_field_errors`` for the rest)."""
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in error.message_dict.items()}
    return {NON_FIELD: error.messages}


def _first(errors, path: str = "") -> tuple[str, str]:
    """The first message of a DRF error tree and the dotted path of the field it belongs to."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            return _first(value, f"{path}.{key}" if path else str(key))
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict | list):
            return _first(first, f"{path}.0" if path else "0")
        return path, str(first)
    return path, str(errors)


def _body(detail: str, code: str, **extra) -> dict:
    return {"detail": detail, "code": code, **extra}


def exception_handler(exc, context):
    if isinstance(exc, PortalError):
        if exc.field:  # bad input of one field: named, and in the same place as a serializer's errors
            return Response(_body(f"{exc.field}: {exc}", exc.code, fields={exc.field: [str(exc)]}), status=exc.status)
        return Response(_body(str(exc), exc.code), status=exc.status)
    if isinstance(exc, TransitionNotAllowed | ConcurrentTransition):
        return Response(_body(_("Someone changed this first; read it again."), "conflict"), status=409)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(_body(_("Other records still refer to this one; it cannot be deleted."), "in_use"), status=409)
    if isinstance(exc, IntegrityError):
        return Response(_body(_("This conflicts with a record saved meanwhile."), "conflict"), status=409)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(field_errors(exc))
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()  # one answer, translated, never naming the model: nothing to tell apart
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's own 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        path, message = _first(exc.detail)
        detail = message if path in ("", NON_FIELD) else f"{path}: {message}"
        response.data = _body(
            detail, "invalid", fields=exc.detail if isinstance(exc.detail, dict) else {NON_FIELD: exc.detail}
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = _body(str(exc.detail), codes if isinstance(codes, str) else "error")
    elif isinstance(exc, PermissionDenied):
        response.data = _body(str(response.data.get("detail", "")), "forbidden")
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (documented on each operation of the schema)."""

    detail = serializers.CharField(help_text="What was refused and why, in the reader's language (Accept-Language).")
    code = serializers.CharField(
        help_text="A stable code: invalid, not_authenticated, forbidden, not_found, run_state…"
    )
    fields = serializers.DictField(
        required=False, help_text="400 only: every field's messages, by field name (nested fields by their path)."
    )


STATUS_TEXT = {
    status.HTTP_400_BAD_REQUEST: "Bad input; detail names the field.",
    status.HTTP_401_UNAUTHORIZED: "No valid token or session.",
    status.HTTP_403_FORBIDDEN: "No role that allows this in the object's domain.",
    status.HTTP_404_NOT_FOUND: "No such object among those you may see (objects of other domains included).",
    status.HTTP_409_CONFLICT: "Not allowed from the current state; detail names the state.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Too many attempts: throttled, or log-in locked.",
    status.HTTP_502_BAD_GATEWAY: "The machine could not be reached over SSH.",
}


@csrf_exempt  # it changes nothing: a POST to no endpoint is told 404, not the CSRF page
def not_found(request, *args, **kwargs):
    """Any other path under /api/: the same JSON 404 as for an object one may not see (never Django's HTML page)."""
    return JsonResponse(_body(str(exceptions.NotFound.default_detail), "not_found"), status=404)
