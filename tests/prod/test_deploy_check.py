"""Django's deployment checks on the profile this suite runs, its PostgreSQL database included."""

import subprocess
import sys

import pytest

from tests.fixtures.prod import ROOT, process_env

pytestmark = [pytest.mark.prod, pytest.mark.django_db]


def test_check_deploy_is_clean_on_the_production_profile():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", "--database", "default"],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
