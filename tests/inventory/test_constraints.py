"""The database itself refuses what the model rules refuse, so a bulk import or a race cannot slip past."""

import pytest
from django.db import IntegrityError, transaction

from clusters.models import GroupmaxServer, Node
from tests.factories import ClusterFactory, MasterFactory, ServerFactory


@pytest.mark.django_db
def test_one_master_per_domain_is_enforced_by_the_database():
    master = MasterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupmaxServer.objects.create(
            domain=master.domain, name="second", role="master", schema_name="S", cluster=ClusterFactory()
        )
    ServerFactory(domain=master.domain)  # address servers: as many as you like


@pytest.mark.django_db
def test_node_positions_are_unique_per_cluster_in_the_database():
    cluster = ClusterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Node.objects.create(cluster=cluster, position=1, host_name="third", primary_ip="127.9.9.9", ssh_address="x")


@pytest.mark.django_db
def test_node_position_is_1_or_2_in_the_database():
    cluster = ClusterFactory(nodes=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Node.objects.create(cluster=cluster, position=3, host_name="n3", primary_ip="127.9.9.9", ssh_address="x")


@pytest.mark.django_db
def test_a_server_is_either_clustered_or_standalone_in_the_database():
    master = MasterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupmaxServer.objects.create(domain=master.domain, name="nowhere", schema_name="S")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupmaxServer.objects.create(
            domain=master.domain, name="both", schema_name="S", cluster=ClusterFactory(), host_name="h", ssh_address="h"
        )


@pytest.mark.django_db
def test_one_server_per_cluster():
    server = ServerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServerFactory(domain=server.domain, cluster=server.cluster)
