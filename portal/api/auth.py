"""``Authorization: Token <key>``: DRF's token scheme over the portal's own tokens (several per person, hashed)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from portal.models import ApiToken


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user = ApiToken.holder_of(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid (revoked, or never issued)."))
        return user, key
