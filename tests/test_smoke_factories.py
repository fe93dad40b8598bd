import pytest

from tests.factories import MasterFactory, ServerFactory


@pytest.mark.django_db
def test_factories_build_a_valid_domain_with_a_master_and_an_address_server():
    master = MasterFactory()
    address = ServerFactory(domain=master.domain)
    for obj in (master, address, master.cluster, *master.cluster.nodes.all(), *address.cluster.nodes.all()):
        obj.full_clean()
    assert master.domain.master == master
    assert master.cluster.primary.position == 1 and master.cluster.standby.position == 2
