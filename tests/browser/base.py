"""Browser tests: Debian's Chromium driven by Playwright against a real Daphne serving the whole ASGI app."""

import pytest
from channels.testing import ChannelsLiveServerTestCase
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
