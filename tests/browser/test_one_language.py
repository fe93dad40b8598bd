"""Every main page speaks the reader's language only: walked in Chromium, in English and in Japanese, from ``/``.

One run of K.5 (1)(a) on the lab's master cluster has run its first steps over real SSH (step results, system
log lines) and waits for a second person's approval of A-08's command. A domain administrator with access to
the administration walks, by clicking from ``/``, the home page, the runs list, that run's page, the sign-offs,
the domain, cluster and plan pages, the report, the duty page, the sign-off rules, the host key page, the
inventory forms and roles, and the administration's runs, nodes and change history. On each page every text a
person sees (text, the values of buttons, placeholders, titles, labels, the options of lists, every
``<details>`` opened) is read, with the rules of ``tests/language.py``:

- in English, no Japanese character (kana, kanji, full-width forms);
- in Japanese, no English word but the technical terms (commands, products, standards), IDs and code-like
  words, and the names people entered (``names_in_the_inventory``) or the catalog gives (procedure and step
  codes).

What is shown as it is, in no language, is left out on principle, not by a list of places: ``code``, ``pre``,
``kbd``, ``samp`` and ``textarea`` (commands, log lines, file contents, fingerprints, what a form holds) and
what a template marks ``data-verbatim`` (the language picker, which names each language in its own words).
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import override_settings
from playwright.sync_api import expect

from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, Cluster, Credential, GroupmaxServer, Node, SharedFilesystem, Site
from procedures import services
from procedures.catalog import PROCEDURES, render_plan
from procedures.choices import StepState
from procedures.models import ProcedureRun, StepRun
from tests.browser.base import BrowserTestCase
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import inventory_from_lab
from tests.language import JAPANESE, english_words

# Every text a person can see, with where it is; what is verbatim is left out.
VISIBLE_TEXTS = "\n".join(
    line for line in (Path(__file__).parent / "visible_texts.js").read_text().splitlines() if not line.startswith("//")
)


def names_in_the_inventory() -> set[str]:
    """The names people entered (sites, domains, servers, clusters, nodes, packages, paths, people): data."""
    names = set()
    for model, fields in (
        (
            Cluster,
            ("name", "package_name", "package_host", "volume_group", "database_directory", "control_script_path"),
        ),
        (Node, ("host_name",)),
        (GroupmaxServer, ("name", "host_name", "schema_name")),
        (SharedFilesystem, ("logical_volume", "mount_point")),
        (Credential, ("name", "key_path")),
    ):
        for row in model.objects.values_list(*fields):
            names.update(str(v) for v in row if v)
    names.update(AddressDomain.objects.values_list("name", flat=True))
    names.update(Site.objects.values_list("name", flat=True))
    names.update(get_user_model().objects.values_list("username", flat=True))
    names.update(PROCEDURES)  # the catalog's codes of procedures (k5-1a) and steps (a01.vg_activate): IDs
    names.update(StepRun.objects.values_list("key", flat=True))
    return names


class OneLanguageTest(BrowserTestCase):
    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    @pytest.mark.timeout(900)
    def test_every_main_page_shows_only_the_readers_language(self):
        self.build_world()
        self.found = {}
        for language in ("en", "ja"):
            self.language = language
            self.allowed = names_in_the_inventory()
            self.walk(self.log_in("walker", language=language))
        problems = "\n".join(
            f"[{lang}] {page}: {text!r} at {where}"
            for (lang, page), items in self.found.items()
            for text, where in items
        )
        (self.artefacts / "other-language.txt").write_text(problems)
        assert not problems, f"text of the other language on these pages:\n{problems}"

    # ------------------------------------------------------------ the world

    def build_world(self):
        self.domain = inventory_from_lab(self.lab)
        self.cluster = self.domain.master.cluster
        operator, approver = UserFactory(username="run-operator"), UserFactory(username="run-approver")
        MembershipFactory(domain=self.domain, user=operator, role=DomainRoleName.OPERATOR)
        MembershipFactory(domain=self.domain, user=approver, role=DomainRoleName.APPROVER)
        walker = UserFactory(username="walker", is_staff=True)
        walker.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=("clusters", "procedures"), codename__regex=r"^(view|change)_"
            )
        )
        MembershipFactory(domain=self.domain, user=walker, role=DomainRoleName.DOMAIN_ADMIN)
        plan = render_plan(self.cluster, "k5-1a")
        with override_settings(PORTAL_DISPATCH="inline"):
            run = services.create_run(self.cluster, plan, user=operator)
            services.approve_run(run.pk, user=approver)
            services.start_run(run.pk, user=operator)
        self.run = ProcedureRun.objects.get(pk=run.pk)
        waiting = self.run.steps.filter(state=StepState.AWAITING_APPROVAL).first()
        assert waiting is not None, [(s.position, s.key, s.state, s.message) for s in self.run.steps.all()[:12]]
        assert self.run.steps.filter(state=StepState.SUCCEEDED).count() >= 5

    # ------------------------------------------------------------ reading a page

    def check(self, page, name: str):
        page.wait_for_load_state()
        items = page.evaluate(VISIBLE_TEXTS)
        assert len(items) > 10, f"{name}: the page shows almost nothing: {items}"
        bad = []
        for item in {(i["text"], i["where"]): i for i in items}.values():
            text = item["text"]
            if self.language == "en":
                if JAPANESE.search(text):
                    bad.append((text[:160], item["where"]))
            else:
                words = english_words(text, self.allowed)
                if words:
                    bad.append((f"{' '.join(words)[:80]} in {text[:120]}", item["where"]))
        if bad:
            self.found[(self.language, name)] = bad
            self.shot(page, f"{self.language}-{name}", full_page=False)

    # ------------------------------------------------------------ the walk

    def walk(self, page):
        run, domain, cluster = self.run, self.domain, self.cluster
        node1 = cluster.nodes.get(position=1)
        self.check(page, "home")

        page.get_by_test_id("nav-runs").click()
        expect(page.get_by_test_id("run-list")).to_be_visible()
        self.check(page, "runs")
        page.get_by_test_id(f"run-row-{run.pk}").get_by_role("link", name=f"#{run.pk}").click()
        expect(page.get_by_test_id("run-state")).to_be_visible()
        self.check(page, "run")

        page.get_by_test_id("queue-link").click()
        expect(page.locator("main h1")).to_be_visible()
        self.check(page, "sign-offs")

        page.get_by_test_id("nav-domains").click()
        self.check(page, "domains")
        page.get_by_test_id("domain-list").get_by_role("link", name=domain.name).first.click()
        self.check(page, "domain")
        page.get_by_test_id("duty-link").click()
        self.check(page, "duty")
        page.go_back()
        page.get_by_test_id("domain-report-link").click()
        self.check(page, "report")
        page.go_back()
        page.get_by_test_id("signoff-rules-link").click()
        self.check(page, "sign-off-rules")
        page.go_back()
        page.get_by_test_id("server-list").get_by_role("link", name=cluster.name).first.click()
        expect(page.get_by_test_id("procedure-offers")).to_be_visible()
        self.check(page, "cluster")
        page.get_by_test_id(f"host-key-{node1.host_name}").click()
        self.check(page, "host-key")
        page.go_back()
        page.get_by_test_id(f"edit-node-{node1.host_name}").click()
        self.check(page, "node-form")
        page.go_back()
        page.get_by_test_id("edit-cluster").click()
        self.check(page, "cluster-form")
        page.go_back()
        page.get_by_test_id("offer-k5-1a-show").click()
        expect(page.get_by_test_id("plan-toc")).to_be_visible()
        self.check(page, "plan")

        page.get_by_test_id(f"inventory-roles-{domain.name}").click()
        self.check(page, "roles")

        page.get_by_test_id("nav-admin").click()
        self.check(page, "admin")
        page.locator('#content-main a[href$="/clusters/node/"]').first.click()
        self.check(page, "admin-nodes")
        page.locator("#result_list tbody a").first.click()
        self.check(page, "admin-node")
        page.locator(".object-tools a.historylink").click()
        self.check(page, "admin-node-history")
        page.locator("#site-name a").click()
        page.locator('#content-main a[href$="/procedures/procedurerun/"]').first.click()
        self.check(page, "admin-runs")
        page.locator("#result_list tbody a").first.click()
        self.check(page, "admin-run")
