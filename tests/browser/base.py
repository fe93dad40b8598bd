"""Browser tests: Debian's Chromium driven by Playwright against a real Daphne serving the whole ASGI app."""

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD
from tests.live.server import FreshDaphneProcess
from tests.support import require_binary

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


BLOCKING = ("serious", "critical")  # axe-core impacts a page may not have


def artefacts_dir(test_id: str) -> Path:
    """Where a browser test leaves its screenshots and axe reports: PORTAL_TEST_ARTEFACTS, or var/test-artefacts."""
    root = Path(os.environ.get("PORTAL_TEST_ARTEFACTS") or settings.VAR_DIR / "test-artefacts")
    folder = root / re.sub(r"[^\w.-]+", "_", test_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
class BrowserTestCase(ChannelsLiveServerTestCase):
    host = "127.0.0.1"
    ProtocolServerProcess = FreshDaphneProcess  # a server forked after async tests still runs its consumers

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=require_binary("chromium"), args=CHROMIUM_ARGS, headless=True
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def new_page(self, language: str = "ja"):
        context = self.browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
        self.addCleanup(context.close)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def log_in(self, username: str, password: str = PASSWORD, *, then: str = "/", language: str = "ja"):
        page = self.new_page(language)
        page.goto(f"{self.live_server_url}{then}")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("button[type=submit].primary").click()
        page.wait_for_load_state()
        return page

    @property
    def artefacts(self) -> Path:
        return artefacts_dir(self.id())

    def shot(self, page, name: str, *, full_page: bool = True) -> Path:
        """A screenshot into the test's artefacts folder (the whole page unless told otherwise)."""
        path = self.artefacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, timeout=60_000)
        return path

    def assert_accessible(self, page, name: str) -> None:
        """axe-core (the copy bundled with axe-playwright-python, injected from a local file) finds no serious or
        critical violation; the full report goes to the artefacts folder."""
        results = Axe().run(page)
        violations = results.response.get("violations", [])
        (self.artefacts / f"axe-{name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
            for v in violations
            if v.get("impact") in BLOCKING
        ]
        assert not blocking, f"{name}: axe-core finds\n" + "\n".join(blocking)


def ssh_keygen_l(known_hosts_line: str) -> str:
    """What OpenSSH's own ``ssh-keygen -lf`` prints for a known_hosts line (to hold the page's line against)."""
    with tempfile.NamedTemporaryFile("w", suffix=".known_hosts") as file:
        file.write(known_hosts_line + "\n")
        file.flush()
        listed = subprocess.run(
            [require_binary("ssh-keygen", "openssh-client"), "-lf", file.name], capture_output=True, text=True,
            check=True,
        )  # fmt: skip
    return listed.stdout.strip()
