"""An auditor's week: after the K.5 (1)(a) run, a viewer opens the domain's report from ``/`` by clicking and takes
the PDF and the CSV; the first PDF page, rendered by ``pdftoppm``, lands in the test's artefacts folder.

The run is the demo's: K.5 (1)(a) from the catalog on the lab's master cluster over real SSH, driven by its
people through the run pages (tests/e2e/people.py), executed by the portal's thread pool in this process.
"""

import csv
import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from procedures.choices import RunState
from tests.browser.base import BrowserTestCase
from tests.e2e.people import client_for, drive_run, plan_approve_start, post
from tests.factories import PASSWORD
from tests.fixtures.runs import _people, inventory_from_lab
from tests.support import require_binary

ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts"


@pytest.mark.lab
@pytest.mark.timeout(1200)
class DomainReportTest(BrowserTestCase):
    @pytest.fixture(autouse=True)
    def _lab(self, running_lab, executor_settings):
        self.lab = running_lab

    def artefacts(self) -> Path:
        folder = ARTEFACTS / self._testMethodName
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        return folder

    def test_a_viewer_opens_the_report_after_the_k5_1a_run_and_downloads_the_pdf_and_the_csv(self):
        domain = inventory_from_lab(self.lab)
        people = _people(domain)
        cluster = domain.master.cluster
        operator, approver = client_for(people["operator"]), client_for(people["approver"])
        run = plan_approve_start(cluster, "k5-1a", operator=operator, approver=approver)
        drive_run(run, operator=operator, second_approver=client_for(people["approver2"]))
        post(approver, reverse("procedures:run-action", args=[run.pk, "sign-off"]), what="the run's sign-off")
        run.refresh_from_db()
        assert run.state == RunState.SIGNED_OFF, run.state
        folder = self.artefacts()
        viewer = people["viewer"]  # made with the tests' fast hasher, which the served process does not know
        hasher = PBKDF2PasswordHasher()
        viewer.password = hasher.encode(PASSWORD, hasher.salt())
        viewer.save(update_fields=["password"])

        page = self.log_in("run-viewer", language="ja")  # at "/", then only clicks
        page.get_by_test_id("reports-link").click()
        page.get_by_test_id(f"report-{domain.name}").click()
        expect(page.get_by_test_id(f"report-run-{run.pk}")).to_contain_text("k5-1a")
        master = domain.master.name
        for position in (1, 2):  # K.5 (1)(a) sets it on node 1 and, after the switch, on node 2 (flaw 4)
            expect(page.get_by_test_id(f"report-duty-{master}-node{position}")).to_have_attribute("data-holds", "yes")
        standalone = domain.servers.filter(cluster=None, uses_mail_server=True).first()
        if standalone is not None:  # a mail server the run did not touch stays flagged
            expect(page.get_by_test_id(f"report-duty-{standalone.name}")).to_have_attribute("data-holds", "no")
        page.screenshot(path=str(folder / "report-page.png"), full_page=True)

        with page.expect_download() as pdf_download:
            page.get_by_test_id("report-pdf").click()
        pdf_path = folder / "report.pdf"
        pdf_download.value.save_as(pdf_path)
        with page.expect_download() as csv_download:
            page.get_by_test_id("report-csv").click()
        zip_path = folder / "report.zip"
        csv_download.value.save_as(zip_path)

        text = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
        assert domain.name in text and master in text and f"#{run.pk}" in text
        subprocess.run(
            [require_binary("pdftoppm", "poppler-utils"), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
             str(pdf_path), str(folder / "report-page-1")],
            check=True,
        )  # fmt: skip
        shot = folder / "report-page-1.png"
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        archive = zipfile.ZipFile(zip_path)
        runs = list(csv.reader(io.StringIO(archive.read("runs.csv").decode("utf-8-sig"))))
        assert runs[0][0] == "実行" and runs[1][0] == str(run.pk) and runs[1][1] == "k5-1a"
