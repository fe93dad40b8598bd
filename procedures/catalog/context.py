"""The inventory as the catalog reads it: plain values, copied once from the database and validated.

Rendering works on these snapshots, not on model instances, so that a test can feed it any string it
likes (bypassing validation) and prove that quoting alone keeps every value a single shell word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from clusters import validators
from clusters.choices import ServerRole


class CatalogError(ValueError):
    """The plan cannot be rendered for this cluster (wrong role, missing master, invalid value…)."""


@dataclass(frozen=True)
class NodeInfo:
    id: int | None
    position: int
    host_name: str
    primary_ip: str
    standby_ip: str = ""

    @property
    def local_ips(self) -> tuple[str, ...]:
        return tuple(ip for ip in (self.primary_ip, self.standby_ip) if ip)


@dataclass(frozen=True)
class ServerInfo:
    id: int | None
    name: str
    role: str
    uses_mail_server: bool = False
    replication_option: bool = False
    schema_name: str = ""
    package_name: str = ""  # empty for a standalone server
    package_host: str = ""
    host_name: str = ""  # standalone only
    nodes: tuple[NodeInfo, ...] = ()

    @property
    def clustered(self) -> bool:
        return bool(self.nodes)


@dataclass(frozen=True)
class Context:
    cluster_id: int | None
    cluster_name: str
    package: str
    package_host: str
    package_ip: str
    package_subnet: str
    vg: str
    filesystems: tuple[tuple[str, str], ...]  # (logical volume, mount point), in mount order
    database_directory: str
    control_script_path: str
    nodes: tuple[NodeInfo, ...]  # node 1, node 2
    server: ServerInfo
    domain_servers: tuple[ServerInfo, ...] = ()  # every server of the domain, this one included
    site_name: str = ""
    domain_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def node1(self) -> NodeInfo:
        return self.nodes[0]

    @property
    def node2(self) -> NodeInfo:
        return self.nodes[1]

    @property
    def standby_lan(self) -> bool:
        return any(n.standby_ip for n in self.nodes)

    @property
    def master(self) -> ServerInfo | None:
        return next((s for s in self.domain_servers if s.role == ServerRole.MASTER), None)

    @property
    def is_master(self) -> bool:
        return self.server.role == ServerRole.MASTER

    def others(self) -> tuple[ServerInfo, ...]:
        return tuple(s for s in self.domain_servers if s.id != self.server.id)


def _node(n) -> NodeInfo:
    return NodeInfo(n.pk, n.position, n.host_name, str(n.primary_ip), str(n.standby_ip or ""))


def _server(s) -> ServerInfo:
    cluster = s.cluster
    return ServerInfo(
        id=s.pk,
        name=s.name,
        role=s.role,
        uses_mail_server=s.uses_mail_server,
        replication_option=s.replication_option,
        schema_name=s.schema_name,
        package_name=cluster.package_name if cluster else "",
        package_host=cluster.package_host if cluster else "",
        host_name=s.host_name,
        nodes=tuple(_node(n) for n in cluster.nodes.order_by("position")) if cluster else (),
    )


def from_cluster(cluster) -> Context:
    """Snapshot ``cluster`` and its domain; raise CatalogError when it cannot carry a K.5 procedure."""
    server = getattr(cluster, "server", None)
    if server is None:
        raise CatalogError(f"Cluster {cluster.name} carries no Groupmax server in the inventory.")
    nodes = tuple(_node(n) for n in cluster.nodes.order_by("position"))
    if [n.position for n in nodes] != [1, 2]:
        raise CatalogError(f"Cluster {cluster.name} needs node 1 and node 2 in the inventory.")
    filesystems = tuple((fs.logical_volume, fs.mount_point) for fs in cluster.filesystems.all())
    if not filesystems:
        raise CatalogError(f"Cluster {cluster.name} has no shared file system in the inventory.")
    domain = server.domain
    domain_servers = tuple(
        _server(s) for s in domain.servers.select_related("cluster").prefetch_related("cluster__nodes").order_by("pk")
    )
    ctx = Context(
        cluster_id=cluster.pk,
        cluster_name=cluster.name,
        package=cluster.package_name,
        package_host=cluster.package_host,
        package_ip=str(cluster.package_ip),
        package_subnet=cluster.package_subnet,
        vg=cluster.volume_group,
        filesystems=filesystems,
        database_directory=cluster.database_directory,
        control_script_path=cluster.control_script_path,
        nodes=nodes,
        server=_server(server),
        domain_servers=domain_servers,
        site_name=domain.site.name,
        domain_name=domain.name,
    )
    validate(ctx)
    return ctx


def validate(ctx: Context) -> None:
    """Run the inventory's validators again on every value that reaches a command or a file."""
    checks = [
        (validators.validate_safe_name, ctx.package),
        (validators.validate_hostname, ctx.package_host),
        (validators.validate_ip, ctx.package_ip),
        (validators.validate_network, ctx.package_subnet),
        (validators.validate_safe_name, ctx.vg),
        (validators.validate_absolute_path, ctx.database_directory),
        (validators.validate_absolute_path, ctx.control_script_path),
        (validators.validate_safe_name, ctx.server.schema_name),
    ]
    for lv, mount_point in ctx.filesystems:
        checks += [(validators.validate_absolute_path, lv), (validators.validate_absolute_path, mount_point)]
    for server in ctx.domain_servers:
        for node in server.nodes:
            checks += [(validators.validate_hostname, node.host_name), (validators.validate_ip, node.primary_ip)]
            if node.standby_ip:
                checks.append((validators.validate_ip, node.standby_ip))
        if server.host_name:
            checks.append((validators.validate_hostname, server.host_name))
        if server.package_name:
            checks += [
                (validators.validate_safe_name, server.package_name),
                (validators.validate_hostname, server.package_host),
            ]
    for node in ctx.nodes:
        checks += [(validators.validate_hostname, node.host_name), (validators.validate_ip, node.primary_ip)]
        if node.standby_ip:
            checks.append((validators.validate_ip, node.standby_ip))
    for check, value in checks:
        try:
            check(value)
        except ValidationError as exc:
            raise CatalogError(" ".join(exc.messages)) from None
