"""The portal walked as its people walk it, in Chromium, from ``/`` and by clicking only.

First a domain administrator finds, from the home page's warning, the lab node that has no pinned host key and
pins it by fetch-and-confirm: "Fetch host key" is a real SSH key exchange with the lab node's sshd (from the Daphne
process that serves the page), and the fingerprint and known_hosts line shown are held against the lab's key and
what ``ssh-keygen -lf`` prints. Then two people, two browser contexts: an operator finds the lab's master
cluster, plans K.5 (1)(a) there and follows it on the home page; an approver approves it from the Sign-offs
queue; the operator starts it and sees its progress advance. The run then goes to its end the same way: the
operator confirms each console step, the approver approves each four-eyes step's command before it is sent,
signs off what needs a second look and, at the end, the run (neither did the other's part). Every step runs
over real SSH on the lab's nodes in the live server's own executor (node 1 with the key the administrator
pinned). Last, the operator finds the finished run in the runs list by filtering. Each person logs in once at
``/`` (the only ``goto``); every later page is reached
by clicking. Screenshots and axe-core reports go to the test's artefacts folder.

The walk is a list of acts (``ACTS``) run in order, each reached by clicking from where the last left its person.
"""

import time

import pytest
from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from clusters.models import Node
from procedures.choices import RunState, StepState
from procedures.models import ProcedureRun
from tests.browser.base import BrowserTestCase, ssh_keygen_l
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import PEOPLE, inventory_from_lab

STEP_WAIT_S = 240  # the longest one K.5 step takes on the lab on a loaded 2-core machine, with room to spare
RUN_WAIT_S = 1500
REGION_WAIT_MS = 30_000  # the page reads its changed parts again after a push; the machine may be busy


class PortalWalkTest(BrowserTestCase):
    ACTS = (
        "domain_admin_pins_a_new_nodes_host_key_by_fetch_and_confirm",
        "operator_finds_the_master_cluster_and_plans_k5_1a",
        "operator_follows_the_run_on_the_home_page",
        "approver_approves_it_from_the_sign_off_queue",
        "operator_starts_it_and_sees_progress_advance",
        "people_take_the_run_to_its_end",
        "operator_finds_the_finished_run_by_filtering",
    )

    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    # ------------------------------------------------------------ people

    def person(self, role: str):
        """The page of one person (``run-<role>``), logged in at ``/`` the first time it is asked for."""
        if role not in self.pages:
            self.pages[role] = self.log_in(f"run-{role}", language="en")
        return self.pages[role]

    def the_run(self) -> ProcedureRun:
        return ProcedureRun.objects.get(pk=self.run_id)

    # ------------------------------------------------------------ the walk

    @pytest.mark.timeout(RUN_WAIT_S + 300)
    def test_operator_and_approver_walk_a_k5_1a_run_from_the_home_page_by_clicking(self):
        self.domain = inventory_from_lab(self.lab)
        self.cluster = self.domain.master.cluster
        for name, role in PEOPLE:
            MembershipFactory(domain=self.domain, user=UserFactory(username=f"run-{name}"), role=role)
        admin = UserFactory(username="run-domain-admin")
        MembershipFactory(domain=self.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
        self.node = self.cluster.nodes.get(position=1)
        Node.objects.filter(pk=self.node.pk).update(host_key="")  # a new machine: its key is pinned in the walk
        self.pages, self.run_id = {}, None
        for act in self.ACTS:
            getattr(self, act)()

    def domain_admin_pins_a_new_nodes_host_key_by_fetch_and_confirm(self):
        page, host = self.person("domain-admin"), self.node.host_name
        warnings = page.get_by_test_id("home-warnings")
        expect(warnings).to_contain_text(f"Node {host} has no pinned host key.")
        warnings.get_by_role("link", name=self.cluster.name, exact=True).click()
        expect(page.get_by_test_id(f"node-key-{host}")).to_contain_text("not pinned")
        page.get_by_test_id(f"host-key-{host}").click()
        self.assert_accessible(page, "host-key")
        # Fetch host key: the key type, the SHA256 fingerprint and the known_hosts line, before anything is pinned.
        page.get_by_test_id("fetch-host-key").click()
        lab_node = self.lab.node(host)
        expect(page.get_by_test_id("key-type")).to_have_text("ssh-ed25519")
        expect(page.get_by_test_id("seen-fingerprint")).to_have_text(lab_node.host_key_fingerprint)
        known_hosts_line = page.get_by_test_id("known-hosts-line").inner_text()
        assert known_hosts_line == lab_node.host_key_line
        expect(page.get_by_test_id("keygen-line")).to_have_text(ssh_keygen_l(known_hosts_line))
        assert Node.objects.get(pk=self.node.pk).host_key == ""  # shown, not pinned
        self.assert_accessible(page, "host-key-fetched")
        page.get_by_test_id("confirm-compared").check()
        page.get_by_test_id("pin-host-key").click()
        expect(page.locator("ul.messages")).to_contain_text(f"Host key {lab_node.host_key_fingerprint} pinned.")
        expect(page.get_by_test_id(f"node-key-{host}")).to_contain_text(lab_node.host_key_fingerprint)
        pinned = Node.objects.get(pk=self.node.pk)
        assert pinned.host_key == lab_node.host_key
        assert pinned.history.first().history_user.username == "run-domain-admin"
        page.get_by_test_id("nav-home").click()
        expect(page.get_by_test_id("home-warnings")).not_to_contain_text(f"Node {host} has no pinned host key.")

    def operator_finds_the_master_cluster_and_plans_k5_1a(self):
        page = self.person("operator")
        expect(page.get_by_test_id("home-panels")).to_be_visible()
        self.shot(page, "home-before")
        page.get_by_test_id("nav-domains").click()
        page.get_by_role("link", name=self.domain.name).first.click()
        page.get_by_test_id("server-list").get_by_role("link", name=f"cluster {self.cluster.name}").click()
        expect(page.get_by_test_id("procedure-offers")).to_be_visible()
        expect(page.get_by_test_id("offer-k5-1b")).to_have_count(0)  # an address server's procedure: not offered
        self.shot(page, "cluster")
        page.get_by_test_id("offer-k5-1a-show").click()
        expect(page.get_by_test_id("plan-toc")).to_be_visible()
        # The plan's filters: four-eyes steps only, then everything again.
        steps = page.locator("ol.plan-steps > li")
        total = steps.count()
        page.get_by_test_id("filter-signoff").check()
        expect(page.locator("ol.plan-steps > li:visible")).not_to_have_count(total)
        page.get_by_test_id("filter-signoff").uncheck()
        expect(page.locator("ol.plan-steps > li:visible")).to_have_count(total)
        self.assert_accessible(page, "plan")
        page.get_by_test_id("plan-run").get_by_role("button", name="Plan a run with this plan").click()
        expect(page.locator("ul.messages")).to_contain_text("Run planned")
        self.run_id = ProcedureRun.objects.get(cluster=self.cluster, procedure="k5-1a").pk
        expect(page.get_by_test_id("run-state")).to_have_attribute("data-state", "planned")

    def operator_follows_the_run_on_the_home_page(self):
        page = self.person("operator")
        page.get_by_test_id("nav-home").click()
        row = page.get_by_test_id(f"home-run-{self.run_id}")
        expect(row).to_be_visible()
        expect(page.get_by_test_id(f"home-run-{self.run_id}-next")).to_contain_text("approve the plan")

    def approver_approves_it_from_the_sign_off_queue(self):
        page = self.person("approver")
        expect(page.get_by_test_id("queue-count")).to_have_text("1")
        page.get_by_test_id("queue-link").click()
        page.get_by_test_id(f"queue-run-{self.run_id}").get_by_role("link", name="Open").click()
        page.get_by_test_id("run-actions").get_by_role("button", name="Approve run").click()
        expect(page.locator("ul.messages")).to_contain_text("Run approved.")
        assert page.url.endswith("#run-actions")
        # The operator's home page, never reloaded, now says it is the operator's turn.
        operator = self.person("operator")
        expect(operator.get_by_test_id(f"home-run-{self.run_id}-next")).to_contain_text("start the run")
        expect(operator.get_by_test_id(f"waiting-start-{self.run_id}")).to_be_visible()
        self.shot(operator, "home")
        self.assert_accessible(operator, "home")

    def operator_starts_it_and_sees_progress_advance(self):
        page = self.person("operator")
        page.get_by_test_id(f"waiting-start-{self.run_id}").click()
        page.get_by_test_id("run-actions").get_by_role("button", name="Start run").click()
        expect(page.locator("ul.messages")).to_contain_text("Run started.")
        total = self.the_run().steps.count()
        expect(page.get_by_test_id("run-progress")).to_contain_text(f"of {total} steps done")
        expect(page.get_by_test_id("run-progress")).not_to_contain_text(
            f"0 of {total} steps done", timeout=STEP_WAIT_S * 1000
        )
        expect(page.get_by_test_id("run-now")).to_be_visible()
        self.shot(page, "run", full_page=False)  # the top: summary, progress, what it waits for
        self.assert_accessible(page, "run")

    def people_take_the_run_to_its_end(self):
        """Each person acts where the run page says something waits for them, until the run is over."""
        operator, approver = self.person("operator"), self.person("approver")
        deadline = time.monotonic() + RUN_WAIT_S
        while time.monotonic() < deadline:
            run, step = self.settled()
            if run.state == RunState.COMPLETED:
                break
            assert run.state == RunState.WAITING, run.state
            if step.state == StepState.AWAITING_CONFIRMATION:
                self.confirm(operator, step)
            elif step.state == StepState.AWAITING_APPROVAL:
                self.approve_command(approver, step)
            elif step.state == StepState.AWAITING_SIGNOFF:
                self.sign_off(approver, step)
            else:
                pytest.fail(f"step {step.position} {step.key} is {step.state}: {step.message}\n{run.wait_message}")
        else:
            pytest.fail("the run did not finish in time")
        expect(operator.get_by_test_id("run-state")).to_have_attribute("data-state", "completed")
        approver.get_by_test_id("queue-link").click()
        approver.get_by_test_id(f"queue-run-{self.run_id}").get_by_role("link", name="Open").click()
        approver.get_by_test_id("run-actions").get_by_role("button", name="Sign off run").click()
        expect(approver.get_by_test_id("run-state")).to_have_attribute("data-state", "signed_off")

    def operator_finds_the_finished_run_by_filtering(self):
        page = self.person("operator")
        page.get_by_test_id("nav-runs").click()
        filters = page.get_by_test_id("run-filters")
        filters.get_by_label("Cluster").select_option(label=self.cluster.name)
        filters.get_by_label("State").select_option(["signed_off"])
        filters.get_by_label("Procedure").select_option("k5-1a")
        filters.get_by_test_id("filter-apply").click()
        row = page.get_by_test_id(f"run-row-{self.run_id}")
        expect(row).to_be_visible()
        expect(page.get_by_test_id("run-list").locator("tbody tr")).to_have_count(1)
        self.shot(page, "runs")
        self.assert_accessible(page, "runs")
        row.get_by_role("link", name=f"#{self.run_id}").click()
        expect(page.get_by_test_id("run-state")).to_have_attribute("data-state", "signed_off")
        expect(page.get_by_test_id("run-events")).to_contain_text("run-approver signed off the run.")

    # ------------------------------------------------------------ acting on the run page

    def settled(self):
        """The run once it no longer runs a step by itself: (run, its first unfinished step)."""
        end = time.monotonic() + STEP_WAIT_S
        while time.monotonic() < end:
            run = self.the_run()
            step = run.steps.exclude(state__in=sorted(StepState.FINISHED)).order_by("position").first()
            busy = run.state == RunState.RUNNING or (step is not None and step.state == StepState.RUNNING)
            if not busy:
                return run, step
            time.sleep(0.2)
        pytest.fail("a step took too long")

    def wait_for_step(self, step, *states):
        end = time.monotonic() + STEP_WAIT_S
        while time.monotonic() < end:
            step.refresh_from_db()
            if step.state not in states:
                return
            time.sleep(0.1)
        pytest.fail(f"step {step.position} stayed {step.state}")

    def confirm(self, page, step):
        """The page says what waits: jump there, tick what the checklist shows, confirm."""
        page.get_by_test_id("jump-to-mine").click()
        form = page.get_by_test_id(f"step-{step.position}-confirm")
        expect(form).to_be_visible(timeout=REGION_WAIT_MS)
        for box in form.locator('input[name="checked"]').all():
            box.check()
        form.get_by_role("button", name="Confirm step done").click()
        expect(page.locator("ul.messages")).to_contain_text("Step confirmed.")
        assert page.url.endswith(f"#step-{step.pk}")  # the page stays at the step
        self.wait_for_step(step, StepState.AWAITING_CONFIRMATION)

    def approve_command(self, page, step):
        """A four-eyes step: the approver reads its exact command and host, then approves it to run."""
        page.get_by_test_id("jump-to-mine").click()
        form = page.get_by_test_id(f"step-{step.position}-approve")
        expect(form).to_be_visible(timeout=REGION_WAIT_MS)
        form.get_by_role("button", name="Approve and run").click()
        expect(page.locator("ul.messages")).not_to_have_count(0)
        assert page.url.endswith(f"#step-{step.pk}")
        self.wait_for_step(step, StepState.AWAITING_APPROVAL)

    def sign_off(self, page, step):
        page.get_by_test_id("jump-to-mine").click()
        form = page.get_by_test_id(f"step-{step.position}-signoff")
        expect(form).to_be_visible(timeout=REGION_WAIT_MS)
        form.get_by_role("button", name="Sign off step").click()
        expect(page.locator("ul.messages")).to_contain_text("Sign-off recorded.")
        assert page.url.endswith(f"#step-{step.pk}")
        self.wait_for_step(step, StepState.AWAITING_SIGNOFF)
