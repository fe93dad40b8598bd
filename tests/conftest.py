"""Shared test set-up. Each area keeps its fixtures in tests/fixtures/<area>.py, listed here."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in this thread

pytest_plugins = [
    "tests.fixtures.lab",
    "tests.fixtures.inventory",
    "tests.fixtures.runs",
]
