"""Shared test set-up. Each area keeps its fixtures in tests/fixtures/<area>.py, listed here."""

import os
from pathlib import Path

import pytest

from tests.servers import PROD_SUITE, prod_suite_named

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in this thread

pytest_plugins = [
    "tests.fixtures.lab",
    "tests.fixtures.inventory",
    "tests.fixtures.runs",
    "tests.fixtures.prod",
    "tests.fixtures.services",
    "tests.fixtures.api",
]


@pytest.fixture(autouse=True, scope="session")
def _no_reaper_thread_in_the_test_process():
    """Loading ``portal.asgi`` (a live server, a socket test) starts the embedded reaper; tests reap by hand.

    tests/runs/test_embedded_reaper.py starts it in a Daphne of its own.
    """
    from django.conf import settings

    settings.PORTAL_EMBEDDED_REAPER = False


def pytest_ignore_collect(collection_path, config):
    """tests/prod (the production profile: PostgreSQL, Redis, Celery) runs only when named on the command line.

    `make test` names it in its second run, with servers of its own (tests/servers.py); a plain `pytest`
    leaves it out, and `pytest tests/prod` without its servers fails loudly (tests/prod/conftest.py).
    """
    if Path(collection_path).resolve() != PROD_SUITE:
        return None
    return None if prod_suite_named(config.invocation_params.dir, config.args) else True
