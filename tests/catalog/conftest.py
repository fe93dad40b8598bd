import pytest

from clusters.demo import load_demo_inventory
from clusters.models import Cluster


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo users, quickly
    return load_demo_inventory()


@pytest.fixture
def master_cluster(demo):
    return Cluster.objects.get(name="gmxcl01")


@pytest.fixture
def address_cluster(demo):
    return Cluster.objects.get(name="gmxcl02")
