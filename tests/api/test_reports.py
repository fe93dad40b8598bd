"""The domain report as JSON: the report service's own ``as_dict()``, for viewers of the domain only."""

import pytest

from tests.fixtures.api import api_client

pytestmark = pytest.mark.django_db


def test_a_viewer_reads_the_domain_report_and_another_domains_is_404(api_world):
    w = api_world
    answer = api_client(w.viewer).get(f"/api/domains/{w.domain.pk}/report/")
    assert answer.status_code == 200, answer.content
    assert isinstance(answer.json(), dict) and answer.json()
    assert api_client(w.viewer).get(f"/api/domains/{w.hidden.domain.pk}/report/").status_code == 404


def test_a_malformed_report_parameter_is_a_400_naming_it(api_world):
    w = api_world
    answer = api_client(w.viewer).get(f"/api/domains/{w.domain.pk}/report/", {"since": "yesterday"})
    assert answer.status_code == 400 and answer.json()["detail"].startswith("since: ")
