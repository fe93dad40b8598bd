import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """DRF's throttle counts live in the cache: each test of the API starts with none."""
    cache.clear()
    yield
    cache.clear()
