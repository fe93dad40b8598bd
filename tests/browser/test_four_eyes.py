"""Two people, two browsers: an operator confirms a console step and starts the run; the cluster start waits for
an approver, who reads its exact command and host in the queue and approves it; only then is it sent.

The cluster start is a real ``cmruncl -v`` sent over SSH to the lab's node (pinned host key) by the
portal's own executor, inside the Daphne process that serves both browsers; the operator's page follows
the run over its websocket and shows the approver's decision and the command's outcome without a reload.
"""

import io
import shutil
import tempfile

import pytest
from django.test import override_settings
from PIL import Image
from playwright.sync_api import expect

from procedures import services
from procedures.models import ConsoleScreenshot, RunEvent
from procedures.plan import ChecklistItem, Kind, PlannedStep, SuccessRule, Target, text
from tests.browser.base import BrowserTestCase
from tests.fixtures.runs import _people, command_step, host_ref, inventory_from_lab, make_plan
from tests.lab.test_mistakes import configure

STEP_WAIT_MS = 90_000  # an SSH command on a 2-core machine shared with other suites


def screenshot_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 60), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def server_list_step(cluster) -> PlannedStep:
    """B-36/A-41-like console dialog with the values it must show, rendered from the inventory."""
    return PlannedStep(
        key="a.console.server_list",
        seed_ids=("A-38",),
        kind=Kind.CONSOLE,
        target=Target.CONSOLE,
        title=text("サーバ一覧の確認", "Check the Server List"),
        instruction=text("運転席でサーバ一覧を開く。", "Open the Server List in the console."),
        checklist=(
            ChecklistItem(
                "host_field",
                text("ドメイン名/ホスト名", "Server List → domain name/host name field"),
                cluster.package_host,
            ),
            ChecklistItem(
                "mail_server", text("メールサーバ", "Mail Server Settings: the address server is a mail server")
            ),
        ),
    )


class FourEyesTest(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        cls.media = tempfile.mkdtemp(prefix="four-eyes-media-")
        # Before the Daphne process forks: it executes steps in its own thread pool and keeps screenshots here.
        cls.overrides = override_settings(MEDIA_ROOT=cls.media, PORTAL_DISPATCH="thread")
        cls.overrides.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.overrides.disable()
        shutil.rmtree(cls.media, ignore_errors=True)

    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    def test_operator_confirms_a_console_step_and_an_approver_approves_the_cluster_start_before_it_is_sent(self):
        domain = inventory_from_lab(self.lab)
        people = _people(domain)
        cluster = domain.master.cluster
        node1 = cluster.nodes.get(position=1)
        configure(self.lab, self.lab.spec.cluster(cluster.name))  # A-34 and the apply: the cluster can start
        start = command_step(
            "a.cm_run",
            [host_ref(node1, "cmruncl -v")],
            success=SuccessRule(expect_output="Cluster successfully formed."),
            needs_signoff=True,
            timeout_s=120,
        )
        run = services.create_run(
            cluster, make_plan(cluster, [server_list_step(cluster), start]), user=people["operator"]
        )
        services.approve_run(run.pk, user=people["approver"])

        operator = self.log_in("run-operator", then=run.get_absolute_url(), language="en")
        operator.get_by_role("button", name="Start run").click()
        confirm = operator.get_by_test_id("step-1-confirm")
        expect(confirm).to_be_visible()
        expect(operator.get_by_test_id("step-1-expected-1")).to_have_text(cluster.package_host)

        # One box left unticked: refused, and the message names the item.
        operator.get_by_test_id("step-1-item-1").check()
        confirm.get_by_role("button", name="Confirm step done").click()
        expect(operator.locator("ul.messages")).to_contain_text(
            "Mail Server Settings: the address server is a mail server"
        )
        expect(operator.get_by_test_id("step-1-state")).to_have_attribute("data-state", "awaiting_confirmation")

        operator.get_by_test_id("step-1-item-1").check()
        operator.get_by_test_id("step-1-item-2").check()
        operator.get_by_test_id("step-1-note").fill("addpkg shown in the host name field")
        operator.get_by_test_id("step-1-screenshot").set_input_files(
            files=[{"name": "server-list.png", "mimeType": "image/png", "buffer": screenshot_png()}]
        )
        operator.get_by_test_id("step-1-confirm").get_by_role("button", name="Confirm step done").click()
        expect(operator.locator("ul.messages")).to_contain_text("Step confirmed.")
        expect(operator.get_by_test_id("step-1-state")).to_have_attribute("data-state", "confirmed")
        # The cluster start waits for a second person before anything is sent; the page follows it live.
        expect(operator.get_by_test_id("step-2-state")).to_have_attribute("data-state", "awaiting_approval")
        expect(operator.get_by_test_id("step-2-approve")).to_have_count(0)  # not for the one who will run it
        node = self.lab.node(node1.host_name)
        assert not [c for c in node.commands() if "cmruncl" in c]  # nothing reached the node

        approver = self.log_in("run-approver", language="en")
        expect(approver.get_by_test_id("queue-count")).to_have_text("1")
        approver.get_by_test_id("queue-link").click()
        row = approver.get_by_test_id(f"queue-step-{run.steps.get(position=2).pk}")
        expect(row).to_contain_text("run-operator")  # who will run it
        expect(row).to_contain_text("cmruncl -v")  # the exact command, and where
        expect(row).to_contain_text(node1.host_name)
        row.get_by_role("button", name="Approve and run").click()
        expect(approver.locator("ul.messages")).to_contain_text("Decision recorded")
        expect(approver.get_by_test_id("run-state")).to_have_attribute("data-state", "completed", timeout=STEP_WAIT_MS)
        approver.reload()
        expect(approver.get_by_test_id("queue-count")).to_have_text("1")  # now the run's own sign-off

        # The operator's page, never reloaded, shows the approval and the command's outcome.
        expect(operator.get_by_test_id("step-2-state")).to_have_attribute("data-state", "succeeded")
        expect(operator.get_by_test_id("run-state")).to_have_attribute("data-state", "completed")
        assert len([c for c in node.commands() if "cmruncl -v" in c]) == 1  # sent once, after the approval

        # The record: who ticked what, the screenshot's hash, who ran the start and who signed it off.
        step1, step2 = run.steps.order_by("position")
        shot = ConsoleScreenshot.objects.get(step=step1)
        confirm_event = RunEvent.objects.get(step=step1, action="confirm")
        assert confirm_event.actor.username == "run-operator"
        assert confirm_event.details["screenshot"]["sha256"] == shot.sha256
        assert RunEvent.objects.filter(step=step1, action="tick").count() == 2
        approval = RunEvent.objects.get(step=step2, action="command_approve")
        assert (approval.actor.username, step2.executed_by.username) == ("run-approver", "run-operator")
        assert approval.at < RunEvent.objects.get(step=step2, action="claim").at  # approved, then taken by a worker
        status = self.lab.node(node1.host_name).run("cmviewcl").stdout.split()
        assert status[status.index(cluster.name) + 1] == "up"  # the cluster really formed on the lab
        assert status[status.index(cluster.package_name) + 1 : status.index(cluster.package_name) + 3] == [
            "up",
            "running",
        ]
