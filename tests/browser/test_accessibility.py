"""axe-core on the pages people live in: home, runs list, run page, plan page; no serious or critical violation.

The run waits at a console step with its checklist form open, the state with the most controls on the page.
The pages are reached by clicking from the home page, in Japanese (the default) and in English.
"""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from procedures import services
from tests.browser.base import BrowserTestCase
from tests.fixtures.runs import build_world, command_step, console_step, host_ref, make_plan


class AccessibilityTest(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        cls.overrides = override_settings(PORTAL_DISPATCH="none")  # nothing is executed: no SSH behind this world
        cls.overrides.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.overrides.disable()

    def make_world(self):
        w = build_world()
        steps = [console_step("c", items=("screen", "ip")), command_step("cmd", [host_ref(w.node1, "echo hi")])]
        run = services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)
        services.approve_run(run.pk, user=w.approver)
        services.start_run(run.pk, user=w.operator)
        return w, run

    @pytest.mark.timeout(300)
    def test_home_runs_list_run_page_and_plan_page_have_no_serious_violation(self):
        w, run = self.make_world()
        for language in ("ja", "en"):
            page = self.log_in("run-operator", language=language)
            expect(page.get_by_test_id(f"home-run-{run.pk}")).to_be_visible()
            self.assert_accessible(page, f"home-{language}")

            page.get_by_test_id("nav-runs").click()
            expect(page.get_by_test_id(f"run-row-{run.pk}")).to_be_visible()
            self.assert_accessible(page, f"runs-{language}")

            page.get_by_test_id(f"run-row-{run.pk}").get_by_role("link", name=f"#{run.pk}").click()
            expect(page.get_by_test_id("step-1-confirm")).to_be_visible()
            self.assert_accessible(page, f"run-{language}")

            page.get_by_test_id("crumbs").get_by_role("link", name=w.cluster.name).click()
            page.get_by_test_id("offer-k5-1a-show").click()
            expect(page.get_by_test_id("plan-toc")).to_be_visible()
            self.assert_accessible(page, f"plan-{language}")
            page.context.close()
