"""A domain administrator, clicking only from ``/``: corrects a node through the portal's form (told in words what
is wrong first) and gives a colleague a role. axe-core finds no serious or critical violation on the inventory
forms. Pinning a new node's host key by fetch-and-confirm is the first act of the walk (tests/browser/test_walk.py).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from clusters.models import DomainMembership, Node
from tests.browser.axe import assert_accessible
from tests.browser.base import BrowserTestCase
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import inventory_from_lab

ARTEFACTS = Path(os.environ.get("PORTAL_TEST_ARTEFACTS", Path(__file__).resolve().parents[2] / "var/test-artefacts"))


class InventoryByDomainAdminTest(BrowserTestCase):
    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    def test_edit_a_node_and_give_a_role(self):
        folder = ARTEFACTS / "inventory-by-domain-admin"
        domain = inventory_from_lab(self.lab)
        cluster = domain.master.cluster
        node1, node2 = cluster.nodes.order_by("position")
        MembershipFactory(domain=domain, user=UserFactory(username="domain-admin"), role=DomainRoleName.DOMAIN_ADMIN)
        UserFactory(username="colleague")

        page = self.log_in("domain-admin", language="en")
        page.get_by_role("link", name=domain.name).first.click()
        page.get_by_role("link", name=f"cluster {cluster.name}").click()
        expect(page.get_by_test_id(f"node-key-{node1.host_name}")).to_contain_text(node1.host_key_fingerprint)

        # Edit a node: a wrong value is refused in words, a right one saved with its history.
        page.get_by_test_id(f"edit-node-{node2.host_name}").click()
        assert_accessible(page, "node-form", folder)
        page.get_by_label("Standby-LAN local IP address").fill("10.0.0.300")
        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("field-error-standby_ip")).to_contain_text(
            "“10.0.0.300” is not a valid IPv4 or IPv6 address."
        )
        assert_accessible(page, "node-form-with-errors", folder)
        standby = node2.primary_ip.rsplit(".", 2)[0] + ".12.2"
        page.get_by_label("Standby-LAN local IP address").fill(standby)
        page.get_by_test_id("save").click()
        expect(page.locator("ul.messages")).to_contain_text("Saved:")
        expect(page.get_by_test_id("node-list")).to_contain_text(standby)
        assert Node.objects.get(pk=node2.pk).history.first().history_user.username == "domain-admin"

        # The form for a new clustered server passes axe too (and is left without saving).
        page.get_by_role("link", name=domain.name).first.click()
        page.get_by_test_id("add-clustered-server").click()
        assert_accessible(page, "clustered-server-form", folder)
        page.get_by_role("link", name="Cancel").click()

        # Give a colleague a role, from the inventory line of the header.
        page.get_by_test_id(f"inventory-roles-{domain.name}").click()
        assert_accessible(page, "roles", folder)
        grant = page.get_by_test_id("grant-form")
        grant.get_by_label("User name").fill("colleague")
        grant.get_by_label("Role").select_option(DomainRoleName.OPERATOR)
        page.get_by_test_id("grant").click()
        expect(page.locator("ul.messages")).to_contain_text(f"colleague is now Operator in {domain.name}.")
        expect(page.get_by_test_id("role-colleague")).to_contain_text("Operator")
        expect(page.get_by_test_id("role-history")).to_contain_text("colleague")
        membership = DomainMembership.objects.get(domain=domain, user__username="colleague")
        assert membership.history.first().history_user.username == "domain-admin"
