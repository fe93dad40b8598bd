import pytest

from clusters.demo import load_demo_inventory
from clusters.models import Cluster


@pytest.fixture
def demo(db):
    return load_demo_inventory()


@pytest.fixture
def master_cluster(demo):
    return Cluster.objects.get(name="gmxcl01")


@pytest.fixture
def address_cluster(demo):
    return Cluster.objects.get(name="gmxcl02")
