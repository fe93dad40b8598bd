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


# OpenAPI links: which answer's id feeds which next call (a client may follow them; schemathesis' stateful
# phase chains calls along them). (operationId, status) → {link name: (target operationId, id expression)}.
LINKS = {
    ("runs_create", "201"): {
        "ReadRun": ("runs_retrieve", "$response.body#/id"),
        "ApproveRun": ("runs_approve_create", "$response.body#/id"),
        "StartRun": ("runs_start_create", "$response.body#/id"),
        "AbortRun": ("runs_abort_create", "$response.body#/id"),
        "FollowLog": ("runs_log_retrieve", "$response.body#/id"),
    },
    ("runs_retrieve", "200"): {
        "ReadFirstStep": ("steps_retrieve", "$response.body#/steps/0/id"),
        "ConfirmFirstStep": ("steps_confirm_create", "$response.body#/steps/0/id"),
        "SkipFirstStep": ("steps_skip_create", "$response.body#/steps/0/id"),
        "CloseRun": ("runs_close_create", "$response.body#/id"),
    },
    ("runs_approve_create", "200"): {"StartApprovedRun": ("runs_start_create", "$response.body#/id")},
    ("steps_skip_create", "200"): {"CountersignSkip": ("steps_countersign_create", "$response.body#/id")},
    ("servers_create", "201"): {
        "ReadServer": ("servers_retrieve", "$response.body#/id"),
        "ChangeServer": ("servers_partial_update", "$response.body#/id"),
        "DeleteServer": ("servers_destroy", "$response.body#/id"),
    },
    ("nodes_create", "201"): {
        "ReadNode": ("nodes_retrieve", "$response.body#/id"),
        "ChangeNode": ("nodes_partial_update", "$response.body#/id"),
    },
    ("token_create", "201"): {"RevokeToken": ("tokens_destroy", "$response.body#/id")},
}


def add_links(result, generator, request, public):
    """drf-spectacular post-processing hook: put ``LINKS`` into the responses they start from."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for (operation_id, status), links in LINKS.items():
                if operation.get("operationId") == operation_id and status in operation.get("responses", {}):
                    operation["responses"][status]["links"] = {
                        name: {"operationId": target, "parameters": {"id": expression}}
                        for name, (target, expression) in links.items()
                    }
    return result
