"""What a lab simulates: its nodes, clusters and Groupmax servers, as plain data.

The simulated commands read the spec from ``lab.json`` inside a node's session, where Django is not loaded,
so this module imports only the standard library (``from_inventory`` imports the models when called).
"""

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class FilesystemSpec:
    logical_volume: str  # /dev/vggmax/lvol1
    mount_point: str  # /var/opt/GroupMail

    @property
    def lvol(self) -> str:
        return self.logical_volume.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class NodeSpec:
    """A machine the lab answers for: a cluster node or a standalone Groupmax server."""

    host_name: str
    ssh_address: str
    ssh_port: int = 2222
    local_ips: tuple[str, ...] = ()
    cluster: str | None = None


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    package_name: str
    package_host: str
    package_ip: str
    package_subnet: str
    volume_group: str
    nodes: tuple[str, ...]  # host names, node 1 (primary) first
    filesystems: tuple[FilesystemSpec, ...]
    database_directory: str = "/OBJSVFILE"
    control_script_path: str = ""
    # An existing stand-alone environment on node 1, for K.5 (2): {"previous_directory": …, "admin": …}
    existing: dict | None = None

    def filesystem_at(self, mount_point: str) -> FilesystemSpec | None:
        return next((fs for fs in self.filesystems if fs.mount_point == mount_point), None)

    def filesystem_of(self, logical_volume: str) -> FilesystemSpec | None:
        return next((fs for fs in self.filesystems if fs.logical_volume == logical_volume), None)


@dataclass(frozen=True)
class ServerSpec:
    """A Groupmax server of the domain: on a cluster (``cluster``) or standalone on one node (``host``)."""

    name: str
    role: str = "address"  # master | address
    schema_name: str = "GMAXSCH"
    uses_mail_server: bool = False
    replication_option: bool = False
    cluster: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class LabSpec:
    name: str
    nodes: tuple[NodeSpec, ...]
    clusters: tuple[ClusterSpec, ...] = ()
    servers: tuple[ServerSpec, ...] = ()
    domain: str = "lab-domain"
    extra: dict = field(default_factory=dict, compare=False)

    # -- look-ups -------------------------------------------------------------------------------------------
    def node(self, host_name: str) -> NodeSpec:
        for node in self.nodes:
            if node.host_name == host_name:
                return node
        raise KeyError(f"no lab node {host_name!r}; the lab has {', '.join(n.host_name for n in self.nodes)}")

    def cluster(self, name: str) -> ClusterSpec:
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise KeyError(f"no lab cluster {name!r}")

    def cluster_of(self, host_name: str) -> ClusterSpec | None:
        name = self.node(host_name).cluster
        return self.cluster(name) if name else None

    def server_of(self, host_name: str) -> ServerSpec | None:
        """The Groupmax server a node carries (its cluster's, or the standalone one on it)."""
        node = self.node(host_name)
        for server in self.servers:
            if (node.cluster and server.cluster == node.cluster) or (server.host and server.host == host_name):
                return server
        return None

    def server_of_cluster(self, cluster_name: str) -> ServerSpec | None:
        return next((s for s in self.servers if s.cluster == cluster_name), None)

    @property
    def master(self) -> ServerSpec | None:
        return next((s for s in self.servers if s.role == "master"), None)

    # -- storage --------------------------------------------------------------------------------------------
    def as_dict(self) -> dict:
        return asdict(self)

    def with_existing(self, name: str, existing: dict | None) -> "LabSpec":
        """The same lab with cluster ``name``'s node 1 an existing stand-alone environment (None: bare nodes)."""
        self.cluster(name)  # an unknown name is refused here
        clusters = tuple(replace(c, existing=existing) if c.name == name else c for c in self.clusters)
        return replace(self, clusters=clusters)

    def keeping_existing(self, earlier: "LabSpec") -> "LabSpec":
        """This spec with the existing environments that ``earlier`` (the lab folder's spec) had prepared."""
        spec = self
        for cluster in earlier.clusters:
            if cluster.existing and any(c.name == cluster.name for c in spec.clusters):
                spec = spec.with_existing(cluster.name, cluster.existing)
        return spec

    @classmethod
    def from_dict(cls, data: dict) -> "LabSpec":
        return cls(
            name=data["name"],
            domain=data.get("domain", "lab-domain"),
            nodes=tuple(NodeSpec(**{**n, "local_ips": tuple(n.get("local_ips", ()))}) for n in data["nodes"]),
            clusters=tuple(
                ClusterSpec(
                    **{
                        **c,
                        "nodes": tuple(c["nodes"]),
                        "filesystems": tuple(FilesystemSpec(**fs) for fs in c["filesystems"]),
                    }
                )
                for c in data.get("clusters", ())
            ),
            servers=tuple(ServerSpec(**s) for s in data.get("servers", ())),
            extra=data.get("extra", {}),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "LabSpec":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def spec_from_inventory(site) -> LabSpec:
    """Read a lab site's clusters, nodes and standalone servers into a spec; refuse a production site."""
    # only here: the simulated commands load this module in every node session, without Django
    from clusters.models import Cluster, GroupmaxServer

    if not site.is_lab:
        raise ValueError(f"site {site.name} is not a lab site; the lab never stands in for real machines")
    servers = list(GroupmaxServer.objects.filter(domain__site=site).select_related("domain", "cluster").order_by("pk"))
    clusters = Cluster.objects.filter(server__domain__site=site).prefetch_related("nodes", "filesystems")
    node_specs, cluster_specs, server_specs = [], [], []
    for cluster in clusters.order_by("name"):
        nodes = sorted(cluster.nodes.all(), key=lambda n: n.position)
        for node in nodes:
            node_specs.append(
                NodeSpec(node.host_name, node.ssh_address, node.ssh_port, tuple(node.local_ips), cluster.name)
            )
        cluster_specs.append(
            ClusterSpec(
                name=cluster.name,
                package_name=cluster.package_name,
                package_host=cluster.package_host,
                package_ip=cluster.package_ip,
                package_subnet=cluster.package_subnet,
                volume_group=cluster.volume_group,
                nodes=tuple(n.host_name for n in nodes),
                filesystems=tuple(
                    FilesystemSpec(fs.logical_volume, fs.mount_point) for fs in cluster.filesystems.all()
                ),
                database_directory=cluster.database_directory,
                control_script_path=cluster.control_script_path,
            )
        )
    for server in servers:
        host = None
        if not server.cluster_id:
            host = server.host_name
            ips = (server.ip_address,) if server.ip_address else ()
            node_specs.append(NodeSpec(server.host_name, server.ssh_address, server.ssh_port, ips, None))
        server_specs.append(
            ServerSpec(
                name=server.name,
                role=server.role,
                schema_name=server.schema_name,
                uses_mail_server=server.uses_mail_server,
                replication_option=server.replication_option,
                cluster=server.cluster.name if server.cluster_id else None,
                host=host,
            )
        )
    domain = servers[0].domain.name if servers else "lab-domain"
    return LabSpec(site.name, tuple(node_specs), tuple(cluster_specs), tuple(server_specs), domain)
