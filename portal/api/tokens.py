"""Tokens: made with a user name and password, listed and revoked by their owner.

Making one is a log-in: it goes through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts failures and locks the user name from that address exactly as for the log-in page, and DRF's throttle
(scope ``token``) bounds how often anyone may try.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.errors import PortalError
from portal.models import ApiToken

API_PREFIX = "/api/"


class WrongCredentials(PortalError):
    status, code, message = 400, "credentials", _("Wrong user name or password.")


class LockedOut(PortalError):
    status, code = 429, "locked_out"


def _locked_text() -> str:
    return str(
        _(
            "Too many failed log-ins for this user from this address. "
            "Try again in an hour, or ask an administrator to unlock it."
        )
    )


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out log-in: JSON for the API, the lock-out page for a person."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _locked_text(), "code": LockedOut.code}, status=LockedOut.status)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=LockedOut.status)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ("id", "name", "prefix", "created_at", "last_used_at")


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="Send it as “Authorization: Token <token>”. Shown this once only.")

    class Meta(TokenSerializer.Meta):
        fields = ("token", *TokenSerializer.Meta.fields)


class ObtainTokenView(APIView):
    authentication_classes = ()  # a log-in: no session (so no CSRF token) and no token needed
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"
    extra_error_statuses = (429,)

    @extend_schema(request=TokenRequestSerializer, responses={201: NewTokenSerializer}, tags=["tokens"])
    def post(self, request):
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            raise LockedOut(_locked_text())  # the middleware answers it with lockout_response
        if user is None:
            raise WrongCredentials()
        token, key = ApiToken.issue(user, data["name"])
        token.token = key
        return Response(NewTokenSerializer(token).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tokens"])
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your own tokens (never their keys); deleting one revokes it at once. Others' tokens are 404."""

    serializer_class = TokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks without a user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)
