"""Errors an operator can act on: each carries its HTTP status and a translated message."""

from django.utils.translation import gettext_lazy as _


class PortalError(Exception):
    """Shown to the user as it is; views turn it into a message, the API into a JSON body."""

    status, code, message = 400, "invalid", _("This request cannot be carried out.")

    def __init__(self, message=None, **params):
        self.params = params
        super().__init__(str(message or self.message).format(**params))


class NotAllowed(PortalError):
    status, code, message = 403, "forbidden", _("You have no role that allows this in domain {domain}.")
