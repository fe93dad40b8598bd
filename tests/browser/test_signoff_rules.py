"""A domain administrator, clicking only from ``/``: opens his domain's sign-off rules, asks two approvers for
starting or stopping the cluster and a rehearsal before K.5 (2), is told in words when a number is out of range,
and reads the change in the history; an approver of the domain sees the same rules without a form. axe-core finds
no serious or critical violation on the page."""

from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from procedures import signoff_rules
from procedures.models import RehearsalRule
from tests.browser.base import BrowserTestCase
from tests.factories import DomainFactory, MembershipFactory, UserFactory


class SignoffRulesTest(BrowserTestCase):
    def test_a_domain_administrator_sets_the_rules_and_an_approver_reads_them(self):
        domain = DomainFactory()
        MembershipFactory(domain=domain, user=UserFactory(username="rules-admin"), role=DomainRoleName.DOMAIN_ADMIN)
        MembershipFactory(domain=domain, user=UserFactory(username="rules-approver"), role=DomainRoleName.APPROVER)

        page = self.log_in("rules-admin", language="en")
        page.get_by_test_id("nav-domains").click()
        page.get_by_role("link", name=domain.name).first.click()
        page.get_by_test_id("signoff-rules-link").click()
        expect(page.get_by_test_id("approver-count")).to_contain_text("2 people")
        self.assert_accessible(page, "signoff-rules")

        page.get_by_label("Starting or stopping the cluster").fill("3")  # more than the domain's approvers
        page.get_by_test_id("save-signoff-rules").click()
        expect(page.get_by_test_id("form-errors")).to_be_visible()
        expect(page.get_by_test_id("quorum-cluster")).to_contain_text("3 approvers cannot be asked for")
        page.get_by_label("Starting or stopping the cluster").fill("2")
        page.get_by_test_id("rehearsal-k5-2").get_by_role("checkbox").check()
        page.get_by_test_id("save-signoff-rules").click()
        expect(page.locator("ul.messages")).to_contain_text("Starting or stopping the cluster: 1 → 2")
        expect(page.get_by_test_id("signoff-rules-history")).to_contain_text("1 → 2")
        expect(page.get_by_test_id("signoff-rules-history")).to_contain_text("not required → required")
        assert RehearsalRule.objects.filter(domain=domain, procedure="k5-2").exists()
        assert {q.kind: q.approvers for q in signoff_rules.rules_of(domain).quorums}["cluster"] == 2

        page = self.log_in("rules-approver", language="en")
        page.get_by_test_id("nav-domains").click()
        page.get_by_role("link", name=domain.name).first.click()
        page.get_by_test_id("signoff-rules-link").click()
        expect(page.get_by_test_id("quorum-cluster")).to_contain_text("2")
        expect(page.get_by_test_id("read-only")).to_be_visible()
        expect(page.get_by_test_id("signoff-rules-form")).to_have_count(0)
