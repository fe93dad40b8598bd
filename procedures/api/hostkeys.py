"""Host keys over the API: what a machine presents now, pinning a first key a person confirmed, and deciding a
changed key (accept, sign off, reject).

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
from clusters.models import HostKeyChange
from clusters.rules import has_role
from procedures import hostkeys
from procedures.api.serializers import UserNameField


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


class HostKeyChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    host = serializers.SerializerMethodField(help_text="The machine: a node's or a standalone server's name.")
    state = serializers.CharField(help_text="detected, accepted (waiting for its sign-off), pinned or rejected.")
    old_fingerprint = serializers.CharField(help_text="The pinned key's SHA256 fingerprint.")
    new_fingerprint = serializers.CharField(help_text="The presented key's SHA256 fingerprint.")
    seen_at = serializers.DateTimeField()
    accepted_by = UserNameField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    signed_off_by = UserNameField()
    rejected_by = UserNameField()

    def get_host(self, change) -> str:
        return change.node.host_name if change.node_id else change.server.name


def _change(request, pk: int):
    """A change of a machine in a domain where the reader holds a role, else 404 (as the comparison page)."""
    related = ("node__cluster__server__domain", "server__domain", "accepted_by", "signed_off_by", "rejected_by")
    change = HostKeyChange.objects.visible_to(request.user).select_related(*related).filter(pk=pk).first()
    if change is None:
        raise Http404
    return change


def _decided(request, pk: int, decide, *, confirmed: bool):
    _change(request, pk)
    if confirmed:
        given = PinSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        decide(pk, user=request.user, confirmed_fingerprint=given.validated_data["fingerprint"])
    else:
        decide(pk, user=request.user)
    return Response(HostKeyChangeSerializer(_change(request, pk)).data)


class HostKeyChangeView(APIView):
    @extend_schema(responses={200: HostKeyChangeSerializer}, tags=["inventory"])
    def get(self, request, pk: int):
        """A changed host key: the pinned and the presented fingerprints, and who decided what."""
        return Response(HostKeyChangeSerializer(_change(request, pk)).data)


class AcceptHostKeyChangeView(APIView):
    extra_error_statuses = (502,)

    @extend_schema(request=PinSerializer, responses={200: HostKeyChangeSerializer}, tags=["inventory"])
    def post(self, request, pk: int):
        """A domain administrator accepts the new key he compared (the machine must still present it); it is
        pinned only after a second person's sign-off."""
        return _decided(request, pk, hostkeys.accept_host_key, confirmed=True)


class SignOffHostKeyChangeView(APIView):
    extra_error_statuses = (502,)

    @extend_schema(request=PinSerializer, responses={200: HostKeyChangeSerializer}, tags=["inventory"])
    def post(self, request, pk: int):
        """A second person, who did not accept it, signs the acceptance off: the new key is pinned."""
        return _decided(request, pk, hostkeys.sign_off_host_key, confirmed=True)


class RejectHostKeyChangeView(APIView):
    @extend_schema(request=None, responses={200: HostKeyChangeSerializer}, tags=["inventory"])
    def post(self, request, pk: int):
        """A domain administrator refuses the new key: it is never pinned and the old key stays."""
        return _decided(request, pk, hostkeys.reject_host_key, confirmed=False)
