"""Host keys over the API: what a machine presents now, and pinning a first key a person confirmed.

The same functions as the verify-connection page (``procedures.hostkeys``): reading needs the operator role,
pinning the domain administrator role; a machine of a domain where the reader has no role is 404.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters.choices import DomainRoleName
from clusters.rules import has_role
from procedures import hostkeys


class HostKeySerializer(serializers.Serializer):
    address = serializers.CharField(help_text="address:port the portal connected to.")
    seen = serializers.CharField(help_text="The fingerprint the machine presents now.")
    expected = serializers.CharField(allow_blank=True, help_text="The pinned key's fingerprint; empty when none.")
    matches = serializers.BooleanField()
    pinned = serializers.BooleanField()


class PinSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(max_length=200, help_text="The fingerprint you were shown and checked.")


class PinnedSerializer(serializers.Serializer):
    pinned = serializers.CharField(help_text="The fingerprint now pinned.")


def _target(request, kind: str, pk: int):
    try:
        target = hostkeys.ssh_target(kind, pk)
    except (ObjectDoesNotExist, LookupError):
        raise Http404 from None
    if not has_role(request.user, hostkeys.target_domain(target), DomainRoleName.VIEWER):
        raise Http404
    return target


class VerifyHostKeyView(APIView):
    extra_error_statuses = (502,)

    @extend_schema(responses={200: HostKeySerializer}, tags=["inventory"])
    def get(self, request, kind: str, pk: int):
        """Connect and read the host key the machine presents, beside the pinned one; nothing is stored."""
        _target(request, kind, pk)
        scan = hostkeys.verify_connection(kind, pk, user=request.user)
        return Response(HostKeySerializer(scan).data)


class PinHostKeyView(APIView):
    extra_error_statuses = (502,)

    @extend_schema(request=PinSerializer, responses={200: PinnedSerializer}, tags=["inventory"])
    def post(self, request, kind: str, pk: int):
        """Pin the machine's first host key, only if it still presents the fingerprint you confirmed."""
        _target(request, kind, pk)
        given = PinSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        seen = hostkeys.pin_host_key(
            kind, pk, user=request.user, confirmed_fingerprint=given.validated_data["fingerprint"]
        )
        return Response({"pinned": seen})
