"""What the lab flags that the simulated commands cannot refuse on their own: the K.5 mistakes no command sees.

Real ServiceGuard copies nothing and compares nothing: two different control scripts, two different xodrc
files or a mail server still on TCP pass every command. The lab compares the nodes' files and the domain's
settings, as the portal's gates and the final domain check are meant to.
"""

from dataclasses import dataclass

from clusters.lab import sim
from clusters.lab.state import node_path


@dataclass(frozen=True)
class Finding:
    code: str
    subject: str
    message: str

    def __str__(self):
        return f"[{self.code}] {self.subject}: {self.message}"


def _text(path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def cluster_findings(layout, spec, state) -> list[Finding]:
    found = []
    for cluster in spec.clusters:
        cl = state.cluster(cluster.name)
        for event in cl.get("events", []):
            found.append(Finding(event["code"], cluster.name, event["text"]))
        active = sorted(cl["vg"]["active"])
        if len(active) > 1:
            found.append(
                Finding("vg_dual_active", cluster.name, f"{cluster.volume_group} is active on {', '.join(active)}")
            )
        script = cl["package"].get("run_script") or cluster.control_script_path
        copies = {h: _text(layout.node_root(h) / script.lstrip("/")) for h in cluster.nodes}
        if any(copies.values()) and len(set(copies.values())) > 1:
            found.append(
                Finding(
                    "control_script_differs",
                    cluster.name,
                    f"{script} differs between {' and '.join(cluster.nodes)}"
                    + "".join(f" (missing on {h})" for h, text in copies.items() if text is None),
                )
            )
        xodrc = {h: _text(layout.node_root(h) / sim.XODRC.lstrip("/")) for h in cluster.nodes}
        for host, text in xodrc.items():
            if text is not None and not sim.resiobj(text.splitlines())[1]:
                found.append(Finding("xodrc_resiobj_commented", host, f"the resiobj line of {sim.XODRC} is a comment"))
        if all(xodrc.values()) and len(set(xodrc.values())) > 1:
            found.append(Finding("xodrc_differs", cluster.name, f"{sim.XODRC} differs between the nodes"))
        services = {h: _text(layout.node_root(h) / "etc/services") for h in cluster.nodes}
        if len(set(services.values())) > 1:
            found.append(Finding("services_differ", cluster.name, "/etc/services differs between the nodes"))
        for host in cluster.nodes:
            local = layout.node_root(host) / sim.GM_DIR.lstrip("/")
            if local.is_dir() and any(local.iterdir()):
                found.append(Finding("groupmax_on_local_disk", host, f"{sim.GM_DIR} has files on the node's own disk"))
        fs = cluster.filesystem_at(sim.GM_DIR)
        own = _text(layout.disk(cluster.name, fs.lvol) / "nxcdir/gmpublicinfo") if fs else None
        if own is not None and cl["configured"] and "CLUSTERING_LEVEL=1" not in sim.records_of(own.splitlines()):
            found.append(Finding("gmpublicinfo_clustering_level", cluster.name, "CLUSTERING_LEVEL=1 is missing"))
        master_file = sim.master_gmpublicinfo(layout, spec)
        master_text = _text(master_file) if master_file else None
        if master_text is not None and cl["configured"]:
            records = sim.records_of(master_text.splitlines())
            for host in cluster.nodes:
                for ip in spec.node(host).local_ips:
                    if f"{ip}={cluster.package_host}" not in records:
                        text = f"{ip}={cluster.package_host} is missing in the master's gmpublicinfo"
                        found.append(Finding("gmpublicinfo_record", host, text))
    return found


def domain_findings(layout, spec, state) -> list[Finding]:
    """K.3: when any mail server of the domain is clustered, every mail server needs mhs_nadr_cfg TCP OFF."""
    mail = [s for s in spec.servers if s.uses_mail_server]
    if not any(s.cluster for s in mail):
        return []
    settings = state.domain()["mail_servers"]
    return [
        Finding(
            "mhs_nadr_cfg_missing",
            server.name,
            "mhs_nadr_cfg TCP OFF has not been run on this mail server (a mail server of the domain is clustered)",
        )
        for server in mail
        if settings.get(server.name, {}).get("nadr_tcp") != "OFF"
    ]


__all__ = ["Finding", "cluster_findings", "domain_findings", "node_path"]
