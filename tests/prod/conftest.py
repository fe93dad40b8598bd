"""The production-profile suite: selected only by name (tests/conftest.py), it fails without its services.

Run by `make test` (second run), or by hand with ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal``
and ``REDIS_URL=redis://127.0.0.1:6379/11`` set: ``.venv/bin/pytest tests/prod``.
pytest-django creates and drops its own test database on that server (one per test process).
"""

import pytest

from tests.fixtures.prod import require_production_profile


@pytest.fixture(scope="session", autouse=True)
def _production_profile():
    """Fails every test here, loudly, when the environment is not the production profile or Redis is down."""
    require_production_profile()


@pytest.fixture(autouse=True)
def _isolated(prod_isolation):
    """Channel-layer prefix and Celery queues of this session only (tests.fixtures.prod)."""
