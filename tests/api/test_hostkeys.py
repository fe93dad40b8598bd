"""Host keys over the API, against the lab's real sshds: read what a node presents, pin a first key as confirmed."""

import pytest

from clusters.choices import DomainRoleName
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.api import api_client

pytestmark = pytest.mark.lab


def test_a_node_is_verified_and_a_first_key_pinned_only_as_confirmed(run_world):
    w = run_world
    admin = UserFactory(username="lab-domain-admin")
    MembershipFactory(domain=w.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
    pinned = api_client(w.operator).get(f"/api/hosts/node/{w.node1.pk}/verify/").json()
    assert pinned["matches"] is True and pinned["seen"] == w.node1.host_key_fingerprint

    w.node2.host_key = ""
    w.node2.save()
    url = f"/api/hosts/node/{w.node2.pk}/"
    assert api_client(w.viewer).get(url + "verify/").status_code == 403  # reading a key needs an operator
    seen = api_client(w.operator).get(url + "verify/").json()
    assert seen["pinned"] is False and seen["seen"].startswith("SHA256:")
    assert api_client(w.operator).post(url + "pin/", {"fingerprint": seen["seen"]}, format="json").status_code == 403
    wrong = api_client(admin).post(url + "pin/", {"fingerprint": "SHA256:nope"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["code"] == "fingerprint_mismatch"
    done = api_client(admin).post(url + "pin/", {"fingerprint": seen["seen"]}, format="json")
    assert done.status_code == 200 and done.json() == {"pinned": seen["seen"]}
    w.node2.refresh_from_db()
    assert w.node2.host_key_fingerprint == seen["seen"]
    outsider = UserFactory(username="lab-outsider")
    MembershipFactory(user=outsider, role=DomainRoleName.DOMAIN_ADMIN)
    assert api_client(outsider).get(url + "verify/").status_code == 404
