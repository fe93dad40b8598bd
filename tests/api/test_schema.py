"""The OpenAPI schema and its Swagger UI: served by the portal itself, to logged-in people only, from no CDN."""

import re

import pytest
import yaml
from django.test import Client

from tests.fixtures.api import api_client

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_log_in_and_documents_every_endpoint_with_its_errors(api_world):
    assert api_client().get("/api/schema/").status_code == 401
    schema = yaml.safe_load(api_client(api_world.viewer).get("/api/schema/").content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/token/", "/api/tokens/{id}/", "/api/servers/", "/api/runs/", "/api/runs/{id}/close/",
                 "/api/steps/{id}/confirm/", "/api/steps/{id}/mark-done/", "/api/runs/{id}/log/",
                 "/api/steps/{id}/log.txt"):  # fmt: skip
        assert path in paths, path
    approve = paths["/api/runs/{id}/approve/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(approve)
    assert approve["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "429" in paths["/api/token/"]["post"]["responses"]


def test_swagger_ui_is_served_from_the_package_without_a_cdn(api_world):
    client = Client()
    client.force_login(api_world.viewer)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    bundle = client.get(next(s for s in sources if s.endswith("swagger-ui-bundle.js")))
    assert bundle.status_code == 200
