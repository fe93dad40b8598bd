"""A domain administrator, clicking only from ``/``: pins a lab node's host key by fetch-and-confirm, corrects a
node through the portal's form (told in words what is wrong first) and gives a colleague a role. axe-core finds no
serious or critical violation on the host key page and the inventory forms.

The "Fetch host key" is a real SSH key exchange with the lab node's sshd, from the Daphne process that serves
the page; the fingerprint shown is compared with what ``ssh-keygen -lf`` prints for the known_hosts line shown.
"""

import os
import subprocess
import tempfile
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

    def test_fetch_and_confirm_a_host_key_edit_a_node_and_give_a_role(self):
        folder = ARTEFACTS / "inventory-by-domain-admin"
        domain = inventory_from_lab(self.lab)
        cluster = domain.master.cluster
        node1, node2 = cluster.nodes.order_by("position")
        Node.objects.filter(pk=node1.pk).update(host_key="")  # a new machine: no key pinned yet
        MembershipFactory(domain=domain, user=UserFactory(username="domain-admin"), role=DomainRoleName.DOMAIN_ADMIN)
        UserFactory(username="colleague")

        page = self.log_in("domain-admin", language="en")
        page.get_by_role("link", name=domain.name).first.click()
        page.get_by_role("link", name=f"cluster {cluster.name}").click()
        expect(page.get_by_test_id(f"node-key-{node1.host_name}")).to_contain_text("not pinned")

        # Fetch host key: the key type, the SHA256 fingerprint and the known_hosts line, before anything is pinned.
        page.get_by_test_id(f"host-key-{node1.host_name}").click()
        assert_accessible(page, "host-key", folder)
        page.get_by_test_id("fetch-host-key").click()
        lab_node = self.lab.node(node1.host_name)
        expect(page.get_by_test_id("key-type")).to_have_text("ssh-ed25519")
        expect(page.get_by_test_id("seen-fingerprint")).to_have_text(lab_node.host_key_fingerprint)
        known_hosts_line = page.get_by_test_id("known-hosts-line").inner_text()
        assert known_hosts_line == lab_node.host_key_line
        expect(page.get_by_test_id("keygen-line")).to_have_text(ssh_keygen_l(known_hosts_line))
        assert Node.objects.get(pk=node1.pk).host_key == ""  # shown, not pinned
        assert_accessible(page, "host-key-fetched", folder)
        page.get_by_test_id("confirm-compared").check()
        page.get_by_test_id("pin-host-key").click()
        expect(page.locator("ul.messages")).to_contain_text(f"Host key {lab_node.host_key_fingerprint} pinned.")
        expect(page.get_by_test_id(f"node-key-{node1.host_name}")).to_contain_text(lab_node.host_key_fingerprint)
        pinned = Node.objects.get(pk=node1.pk)
        assert pinned.host_key == lab_node.host_key
        assert pinned.history.first().history_user.username == "domain-admin"

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


def ssh_keygen_l(known_hosts_line: str) -> str:
    """What OpenSSH's own ``ssh-keygen -lf`` prints for a known_hosts line."""
    with tempfile.NamedTemporaryFile("w", suffix=".known_hosts") as file:
        file.write(known_hosts_line + "\n")
        file.flush()
        listed = subprocess.run(["ssh-keygen", "-lf", file.name], capture_output=True, text=True, check=True)
    return listed.stdout.strip()
