"""factory_boy factories for the inventory: valid by default, each test overrides what it is about."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from clusters.choices import DomainRoleName, ServerRole
from clusters.models import (
    AddressDomain,
    Cluster,
    Credential,
    DomainMembership,
    GroupmaxServer,
    Node,
    SharedFilesystem,
    Site,
)

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"site{n:02d}")
    time_zone = "Asia/Tokyo"


class DomainFactory(DjangoModelFactory):
    class Meta:
        model = AddressDomain

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"domain{n:02d}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = DomainMembership

    domain = factory.SubFactory(DomainFactory)
    user = factory.SubFactory(UserFactory)
    role = DomainRoleName.OPERATOR


class CredentialFactory(DjangoModelFactory):
    class Meta:
        model = Credential
        django_get_or_create = ("name",)

    name = "test-key"
    key_path = "/etc/portal/keys/id_ed25519"


class ClusterFactory(DjangoModelFactory):
    """A cluster with its two nodes and two shared file systems; n is spread over 127.0.n.x addresses."""

    class Meta:
        model = Cluster
        skip_postgeneration_save = True

    class Params:
        n = factory.Sequence(lambda n: n % 200 + 10)

    name = factory.LazyAttribute(lambda o: f"gmxcl{o.n:03d}")
    package_name = factory.LazyAttribute(lambda o: f"gmaxpkg{o.n}")
    package_host = factory.LazyAttribute(lambda o: f"gmaxhost{o.n}")
    package_ip = factory.LazyAttribute(lambda o: f"127.0.{o.n}.100")
    package_subnet = factory.LazyAttribute(lambda o: f"127.0.{o.n}.0")
    volume_group = "vggmax"
    database_directory = "/OBJSVFILE"
    control_script_path = factory.LazyAttribute(lambda o: f"/etc/cmcluster/{o.package_name}/control.sh")

    @factory.post_generation
    def nodes(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        third = obj.package_ip.split(".")[2]
        for position in (1, 2):
            NodeFactory(
                cluster=obj,
                position=position,
                host_name=f"{obj.name}n{position}",
                primary_ip=f"127.0.{third}.{position}",
                ssh_address=f"127.0.{third}.{position}",
            )
        for order, (lvol, mount_point) in enumerate((("lvol1", "/var/opt/GroupMail"), ("lvol2", "/OBJSVFILE"))):
            SharedFilesystem.objects.create(
                cluster=obj, logical_volume=f"/dev/{obj.volume_group}/{lvol}", mount_point=mount_point, order=order
            )


class NodeFactory(DjangoModelFactory):
    class Meta:
        model = Node

    cluster = factory.SubFactory(ClusterFactory, nodes=False)
    position = 1
    host_name = factory.Sequence(lambda n: f"node{n}")
    primary_ip = factory.Sequence(lambda n: f"127.1.{n // 250}.{n % 250 + 1}")
    ssh_address = factory.LazyAttribute(lambda o: o.primary_ip)
    ssh_port = 22
    credential = factory.SubFactory(CredentialFactory)


class ServerFactory(DjangoModelFactory):
    """A clustered address server by default; pass cluster=None and host_name/ssh_address for a standalone one."""

    class Meta:
        model = GroupmaxServer

    domain = factory.SubFactory(DomainFactory)
    name = factory.Sequence(lambda n: f"gmxsv{n:02d}")
    role = ServerRole.ADDRESS
    schema_name = "GMAXSCH"
    cluster = factory.SubFactory(ClusterFactory)


class MasterFactory(ServerFactory):
    role = ServerRole.MASTER
    uses_mail_server = True
