"""The run page in Chromium: a step's lines appear while it runs, states change, search, download, lost connection.

The run is started from the page, so its steps run in the live server's own executor (the embedded profile:
thread pool and in-memory channel layer in the Daphne process) over real SSH to the lab's nodes.
"""

import re
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from procedures import services
from procedures.models.logs import store_lines
from tests.browser.base import BrowserTestCase
from tests.browser.relay import TcpRelay
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, inventory_from_lab, make_plan
from tests.live.server import FreshDaphneProcess

GATE = "/var/opt/portal-live-{token}-{name}"  # a file on the lab node that lets the step go on


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class RunLivePageTest(BrowserTestCase):
    ProtocolServerProcess = FreshDaphneProcess  # may follow websocket tests in the same session

    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    def people(self, domain):
        users = {}
        for name, role in (("operator", DomainRoleName.OPERATOR), ("approver", DomainRoleName.APPROVER)):
            users[name] = UserFactory(username=f"live-{name}")
            MembershipFactory(domain=domain, user=users[name], role=role)
        return users

    def open_gate(self, name):
        result = self.lab.node("gmx1a").run(f"touch {GATE.format(token=self.token, name=name)}")
        assert result.returncode == 0, result.stderr

    def panel(self, page, step):
        return page.locator(f'[data-step-log="{step.pk}"]')

    def operator_through_relay(self, run, users):
        """The operator's run page reached through a TCP relay the test can cut and restore (a network drop)."""
        relay = TcpRelay(self._port).start()
        self.addCleanup(relay.cut)
        page = self.new_page("en")
        page.goto(relay.url + run.get_absolute_url())
        page.locator("#id_username").fill(users["operator"].username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("button[type=submit].primary").click()
        return relay, page

    def scroll_state(self, page, step) -> dict:
        return page.locator(f'[data-step-log="{step.pk}"]').evaluate(
            "el => ({top: el.scrollTop, bottom: el.scrollHeight - el.clientHeight})"
        )

    def test_an_operator_watches_a_running_step_live_searches_it_and_downloads_its_log(self):
        domain = inventory_from_lab(self.lab)
        users = self.people(domain)
        cluster = domain.master.cluster
        node1 = cluster.nodes.get(position=1)
        self.token = uuid.uuid4().hex[:12]  # this test's own gates on the shared lab

        def gate(name):
            return f"while [ ! -e {GATE.format(token=self.token, name=name)} ]; do sleep 0.1; done"

        step_one = (
            'for i in $(seq 1 30); do echo "first $i"; done; '
            + gate("a")
            + '; for i in $(seq 1 30); do echo "second $i"; done; echo "careful: on stderr" >&2; '
            + gate("b")
            + '; echo "step one done"'
        )
        step_two = gate("c") + '; echo "step two done"'
        plan = make_plan(
            cluster,
            [
                command_step("one", [host_ref(node1, step_one)], timeout_s=300),
                command_step("two", [host_ref(node1, step_two)], timeout_s=300),
            ],
        )
        run = services.create_run(cluster, plan, user=users["operator"])
        services.approve_run(run.pk, user=users["approver"])
        one, two = run.steps.order_by("position")

        page = self.log_in("live-operator", then=run.get_absolute_url(), language="en")
        page.get_by_role("button", name="Start run").click()
        log_one = self.panel(page, one)
        expect(log_one).to_contain_text("first 30")
        expect(page.get_by_test_id("step-1-state")).to_have_text("Running")
        page.evaluate("window.sameDocument = true")  # gone if the page reloads

        # Follow mode: the view sits at the end; scrolling up pauses it, lines keep coming without moving it.
        wait_for(lambda: self.scroll_state(page, one)["bottom"] > 0, what="the log to overflow its panel")
        wait_for(lambda: abs(self.scroll_state(page, one)["top"] - self.scroll_state(page, one)["bottom"]) < 10)
        follow = page.locator(f'[data-log-follow="{one.pk}"]')
        expect(follow).to_be_checked()
        log_one.evaluate("el => { el.scrollTop = 0; }")
        expect(follow).not_to_be_checked()
        self.open_gate("a")
        expect(log_one).to_contain_text("second 30")
        expect(log_one.locator(".line.err")).to_have_text("gmx1a (node 1) careful: on stderr")
        assert self.scroll_state(page, one)["top"] < 10, "a paused log must not scroll by itself"
        follow.check()
        wait_for(lambda: abs(self.scroll_state(page, one)["top"] - self.scroll_state(page, one)["bottom"]) < 10)

        # States, times and progress change live.
        expect(page.get_by_test_id("run-progress")).to_contain_text("0 of 2 steps done")
        self.open_gate("b")
        expect(log_one).to_contain_text("step one done")
        expect(page.get_by_test_id("step-1-state")).to_have_text("Succeeded")
        expect(page.get_by_test_id("step-2-state")).to_have_text("Running")
        expect(page.get_by_test_id("run-progress")).to_contain_text("1 of 2 steps done")
        expect(page.get_by_test_id("step-1-time")).to_have_text(re.compile(r"^\d+\.\d s$"))
        expect(page.get_by_test_id("step-2-time")).to_have_text(re.compile(r"^running for \d+\.\d s$"))
        assert page.evaluate("window.sameDocument") is True, "the page reloaded"

        # Search: hits of the whole step listed, and highlighted in the lines shown.
        page.locator(f'[data-log-search="{one.pk}"]').fill("second 1")
        hits = page.locator(f'[data-log-hits="{one.pk}"] li')
        expect(hits).to_have_count(11)  # second 1, second 10 … second 19
        expect(hits.first).to_contain_text("second 1")
        expect(page.locator(f'[data-log-hit-count="{one.pk}"]')).to_have_text("11 matching lines")
        expect(log_one.locator("mark")).to_have_count(11)
        expect(log_one.locator("mark").first).to_have_text("second 1")
        page.locator(f'[data-log-search="{one.pk}"]').fill("")
        expect(log_one.locator("mark")).to_have_count(0)

        # Download: the step's full log, every line in order.
        with page.expect_download() as info:
            page.locator(f'[data-log-download="{one.pk}"]').click()
        rows = [line.split("\t") for line in Path(info.value.path()).read_text().splitlines()]
        output = [r[4] for r in rows if r[3] in ("out", "err")]
        expected = [f"first {i}" for i in range(1, 31)] + [f"second {i}" for i in range(1, 31)]
        assert output == [*expected, "careful: on stderr", "step one done"]
        numbers = [int(r[0]) for r in rows]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)

        # The run ends while the operator is searching step two's log: the page does not reload under them; its
        # buttons and summary follow the new state in place, the search stays, and a reload shows the same.
        page.locator(f'[data-log-search="{two.pk}"]').fill("done")
        self.open_gate("c")
        expect(self.panel(page, two)).to_contain_text("step two done")
        expect(page.get_by_test_id("run-state")).to_have_text("Completed")
        expect(page.get_by_test_id("run-progress")).to_contain_text("2 of 2 steps done")
        expect(page.get_by_test_id("run-actions")).not_to_contain_text("Abort run")  # the buttons follow the state
        expect(page.locator(f'[data-log-search="{two.pk}"]')).to_have_value("done")  # the reader's search stays
        expect(page.get_by_test_id("change-notice")).to_be_hidden()
        assert page.evaluate("window.sameDocument") is True
        page.get_by_test_id("crumbs").get_by_role("link", name=f"Run #{run.pk}").click()
        page.wait_for_function("() => window.sameDocument === undefined")
        expect(page.get_by_test_id("run-state")).to_have_text("Completed")
        expect(self.panel(page, two)).to_contain_text("step two done")
        expect(page.locator('[data-step-log="run"] .line')).to_have_count(0)  # run-wide lines only, none here
        with page.expect_download() as info:
            page.locator('[data-log-download="run"]').click()
        rows = [line.split("\t") for line in Path(info.value.path()).read_text().splitlines()]
        output = [r[4] for r in rows if r[3] in ("out", "err")]
        assert output == [*expected, "careful: on stderr", "step one done", "step two done"]

    def test_the_banner_shows_while_the_network_is_down_and_the_lines_written_meanwhile_arrive(self):
        run, step, users = self.run_with_lines(5)
        relay, page = self.operator_through_relay(run, users)
        log = self.panel(page, step)
        expect(log.locator(".line")).to_have_count(5)
        banner = page.get_by_test_id("connection-banner")
        expect(banner).to_be_hidden()
        page.evaluate("window.sameDocument = true")

        relay.cut()
        expect(banner).to_be_visible()
        expect(banner).to_have_text("Connection lost; reconnecting…")
        write(run, step, 6, 8)  # written while the page could not hear of them
        page.wait_for_timeout(1500)  # a few reconnection attempts fail meanwhile
        expect(banner).to_have_text("Connection lost; reconnecting…")
        relay.start()
        expect(banner).to_have_text("Connection restored.")
        expect(banner).to_be_hidden()
        expect(log.locator(".line")).to_have_count(8)
        expect(log.locator(".line .t")).to_have_text([f"line {n}" for n in range(1, 9)])
        assert page.evaluate("window.sameDocument") is True

    def test_a_viewer_whose_role_is_removed_is_told_so_instead_of_reconnecting_for_ever(self):
        run, step, users = self.run_with_lines(3)
        relay, page = self.operator_through_relay(run, users)
        expect(self.panel(page, step).locator(".line")).to_have_count(3)
        banner = page.get_by_test_id("connection-banner")

        relay.cut()
        expect(banner).to_have_text("Connection lost; reconnecting…")
        users["operator"].domain_memberships.all().delete()  # an administrator removes the operator's role
        relay.start()
        expect(banner).to_have_text(
            "The portal no longer lets you watch this run (logged out, or your role was removed): reload the page."
        )
        page.wait_for_timeout(3000)  # no retry turns it back into "reconnecting"
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("role was removed")

    def test_a_hole_in_the_pushed_lines_is_filled_from_the_log_api(self):
        """A lossy hop between server and browser drops one frame; the page reads the missing lines back."""
        run, step, users = self.run_with_lines(5)
        page = self.log_in(users["operator"].username, then="/", language="en")
        dropped = []

        def relay(ws):
            server = ws.connect_to_server()

            def from_server(message):
                if '"seq":6' in message and not dropped:
                    dropped.append(message)  # lost on the way
                    return
                ws.send(message)

            server.on_message(from_server)
            ws.on_message(lambda message: server.send(message))

        page.route_web_socket(re.compile(r"/ws/runs/"), relay)
        page.goto(self.live_server_url + run.get_absolute_url())
        log = self.panel(page, step)
        expect(log.locator(".line")).to_have_count(5)
        write(run, step, 6, 8)  # the server's idle check sends these; the hop drops them
        end = time.monotonic() + 20
        while not dropped and time.monotonic() < end:
            page.wait_for_timeout(100)
        assert dropped, "the server never sent lines 6–8"
        write(run, step, 9, 10)
        expect(log.locator(".line")).to_have_count(10)
        expect(log.locator(".line .t")).to_have_text([f"line {n}" for n in range(1, 11)])
        assert page.locator("#run-live").get_attribute("data-filled") == "3"

    def test_a_long_log_opens_with_its_tail_and_earlier_lines_load_on_scrolling_up(self):
        run, step, users = self.run_with_lines(30_000)
        page = self.log_in(users["operator"].username, then=run.get_absolute_url(), language="en")
        log = self.panel(page, step)
        expect(log.locator(".line").last).to_have_text("gmx1a (node 1) line 30000")
        rendered = log.locator(".line").count()
        assert rendered <= 2000, "the server renders only the last lines"
        first = int(log.locator(".line").first.get_attribute("data-seq"))
        log.evaluate("el => { el.scrollTop = 0; }")
        expect(log.locator(f'.line[data-seq="{first - 1}"]')).to_have_count(1)
        assert log.locator(".line").count() > rendered
        expect(page.locator(f'[data-log-follow="{step.pk}"]')).not_to_be_checked()
        expect(page.locator('[data-step-log="run"] .line')).to_have_count(0)  # the step's lines stay in its panel

        # A search hit far from what is loaded: clicking it brings that part of the log into the panel.
        page.locator(f'[data-log-search="{step.pk}"]').fill("line 12345")
        hit = page.locator(f'[data-log-hits="{step.pk}"] li button')
        expect(hit).to_have_count(1)
        hit.click()
        line = log.locator('.line[data-seq="12345"]')
        expect(line).to_be_in_viewport()
        expect(line.locator("mark")).to_have_text("line 12345")
        assert log.locator(".line").count() <= 500 + 1, "only a window around the hit is loaded"

    # helpers

    def run_with_lines(self, count: int):
        domain = inventory_from_lab(self.lab)
        users = self.people(domain)
        cluster = domain.master.cluster
        node1 = cluster.nodes.get(position=1)
        plan = make_plan(cluster, [command_step("one", [host_ref(node1, "true")])])
        run = services.create_run(cluster, plan, user=users["operator"])
        step = run.steps.get()
        write(run, step, 1, count)
        return run, step, users


def write(run, step, first: int, last: int) -> None:
    rows = [
        (run.pk, step.pk, 1, "gmx1a (node 1)", n, "out", f"line {n}", timezone.now()) for n in range(first, last + 1)
    ]
    for i in range(0, len(rows), 5000):
        with transaction.atomic():  # as the step's log writer stores a batch
            store_lines(rows[i : i + 5000])
