from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from tests.browser.base import BrowserTestCase
from tests.factories import MasterFactory, MembershipFactory, UserFactory


class LogInTest(BrowserTestCase):
    def test_an_operator_logs_in_to_the_home_page_and_finds_the_domain_list_in_japanese(self):
        master = MasterFactory(name="gmaxmaster")
        MembershipFactory(domain=master.domain, user=UserFactory(username="operator"), role=DomainRoleName.OPERATOR)
        page = self.log_in("operator")
        expect(page.get_by_role("heading", name="いまの状況")).to_be_visible()  # the home page
        page.get_by_test_id("nav-domains").click()
        expect(page.get_by_role("heading", name="アドレス管理ドメイン")).to_be_visible()
        expect(page.get_by_test_id("domain-list")).to_contain_text(master.domain.name)
        page.get_by_role("link", name=master.domain.name).click()
        expect(page.get_by_test_id("server-list")).to_contain_text("gmaxmaster")
        expect(page.get_by_test_id("server-list")).to_contain_text("マスタ管理サーバ")

    def test_a_stranger_is_sent_to_the_log_in_page_and_a_wrong_password_is_refused(self):
        UserFactory(username="operator")
        page = self.new_page()
        page.goto(f"{self.live_server_url}/inventory/")
        expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
        page.locator("#id_username").fill("operator")
        page.locator("#id_password").fill("wrong")
        page.locator("button[type=submit].primary").click()
        expect(page.locator("p.error")).to_contain_text("一致しません")
