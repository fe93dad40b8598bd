"""The OpenAPI schema: drf-spectacular, with the portal's error body documented on every operation.

A client (and schemathesis) may rely on the documented statuses: each operation lists the refusals it can
give, all in the one shape of ``portal.api.errors``.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from portal.api.errors import STATUS_TEXT, ErrorSerializer

ALWAYS = (400, 401, 403, 404)
CHANGES = (409,)


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [*ALWAYS, *(CHANGES if self.method in ("POST", "PUT", "PATCH", "DELETE") else ())]
        codes += getattr(self.view, "extra_error_statuses", ())
        for code in codes:
            if str(code) not in responses:
                response = OpenApiResponse(ErrorSerializer, description=STATUS_TEXT[code])
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses
