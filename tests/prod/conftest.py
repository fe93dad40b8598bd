"""The production-profile suite: selected only by name (tests/conftest.py), it fails without its services.

Run by `make test` (second run) as ``.venv/bin/python -m pytest -p tests.servers tests/prod``: the plugin
starts a PostgreSQL and a Redis of the session's own (tests/servers.py). With ``DATABASE_URL`` and
``REDIS_URL`` set it uses those instead; pytest-django creates and drops its own test database there (one
per test process), and Redis keys carry a prefix of the session's own.
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
