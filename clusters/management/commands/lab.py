"""``manage.py lab up|down|status|reset|check|existing|bare``: the lab cluster's OpenSSH servers and its checks.

``up --pin`` writes each lab node's host key into the inventory (lab sites only: the lab made those keys).
``existing CLUSTER`` rebuilds that cluster with node 1 an existing stand-alone Groupmax environment (the
starting point of K.5 (2)); ``bare CLUSTER`` gives it bare nodes again.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters.lab import Lab, LabError
from clusters.lab.build import SSHD
from clusters.models import GroupmaxServer, Node, Site


class Command(BaseCommand):
    help = "Start, stop, show, reset or check the lab cluster (simulated HP-UX nodes behind real sshds)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("up", "down", "status", "reset", "check", "existing", "bare"))
        parser.add_argument("cluster", nargs="?", help="With existing/bare: the lab cluster to rebuild.")
        parser.add_argument(
            "--previous-directory",
            default="",
            help="With existing: the database directory the stand-alone server uses (default: the cluster's).",
        )
        parser.add_argument(
            "--admin", default="root", help="With existing: the system administrator of the environment (root or not)."
        )
        parser.add_argument("--site", help="The lab site to simulate (default: the only lab site).")
        parser.add_argument("--root", help="The lab folder (default: settings.LAB_DIR).")
        parser.add_argument("--pin", action="store_true", help="With up: pin the lab's host keys in the inventory.")

    def handle(self, *args, action, site=None, root=None, pin=False, cluster=None, **options):
        root = Path(root) if root else Path(settings.LAB_DIR)
        if action == "up" and not Path(SSHD).exists():
            raise CommandError(
                f"{SSHD} is missing: the lab's nodes are real OpenSSH servers.\n"
                "Install it (as root): apt-get install openssh-server"
            )
        try:
            lab, lab_site = self._lab(root, site, rebuild=action in ("up", "reset"))
            if action in ("existing", "bare"):
                self.rebuild(lab, action, cluster, options["previous_directory"], options["admin"])
            else:
                getattr(self, f"do_{action}")(lab, lab_site, pin)
        except LabError as exc:
            raise CommandError(str(exc)) from exc

    def _lab(self, root: Path, name: str | None, *, rebuild: bool):
        """The inventory's lab site when there is one (rebuilt on up/reset), else the lab already in ``root``."""
        sites = Site.objects.filter(is_lab=True)
        if name:
            lab_site = Site.objects.filter(name=name).first()
            if lab_site is None or not lab_site.is_lab:
                raise CommandError(f"{name} is not a lab site; the lab only simulates lab sites.")
        else:
            lab_site = sites.first() if sites.count() == 1 else None
            if lab_site is None and sites.count() > 1:
                raise CommandError("There are several lab sites; choose one with --site.")
        if lab_site is not None and (rebuild or not (root / "lab.json").exists()):
            return Lab.from_inventory(lab_site, root), lab_site
        if (root / "lab.json").exists():
            return Lab(root), lab_site
        raise CommandError(f"No lab site in the inventory and no lab in {root}; run `manage.py load_demo` first.")

    def _nodes(self, lab: Lab, statuses=None):
        for status in statuses or lab.status():
            state = "up" if status.running else "down"
            fault = f"  fault={status.fault}" if status.fault else ""
            where = status.cluster or "standalone"
            if status.cluster and lab.spec.cluster(status.cluster).existing:
                if status.host_name == lab.spec.cluster(status.cluster).nodes[0]:
                    where += " (existing)"
            self.stdout.write(
                f"  {status.host_name:<10} {where:<10} {status.ssh_address}:{status.ssh_port:<6} "
                f"{status.fingerprint}  {state}{fault}"
            )

    def do_up(self, lab: Lab, site, pin: bool):
        statuses = lab.up()
        self.stdout.write(f"Lab {lab.spec.name} is up in {lab.root} (client key {lab.client_key_path}):")
        self._nodes(lab, statuses)
        if pin:
            if site is None or not site.is_lab:
                raise CommandError("--pin needs a lab site in the inventory.")
            self.stdout.write(f"Pinned {self._pin(lab, site)} host keys in the inventory of site {site.name}.")

    @transaction.atomic
    def _pin(self, lab: Lab, site) -> int:
        count = 0
        for node in lab.nodes:
            if node.cluster:
                targets = Node.objects.filter(cluster__server__domain__site=site, host_name=node.host_name)
            else:
                targets = GroupmaxServer.objects.filter(domain__site=site, cluster=None, host_name=node.host_name)
            for target in targets:
                if target.host_key != node.host_key:
                    target.host_key = node.host_key
                    target.save()
                count += 1
        return count

    def do_down(self, lab: Lab, site, pin: bool):
        lab.down()
        self.stdout.write(f"Lab {lab.spec.name} is down; no lab process is left.")

    def do_reset(self, lab: Lab, site, pin: bool):
        lab.reset()
        self.stdout.write(f"Lab {lab.spec.name} is back to fresh nodes and empty shared disks (keys kept).")
        self._nodes(lab)

    def rebuild(self, lab: Lab, action: str, cluster: str | None, previous: str, admin: str):
        names = [c.name for c in lab.spec.clusters]
        if cluster not in names:
            raise CommandError(f"Name the lab cluster to rebuild: one of {', '.join(names)}.")
        if action == "bare":
            lab.make_bare(cluster)
            self.stdout.write(f"Cluster {cluster} of lab {lab.spec.name} has bare nodes again.")
            return
        lab.make_existing(cluster, previous_directory=previous, admin=admin)
        existing = lab.spec.cluster(cluster).existing
        node1 = lab.spec.cluster(cluster).nodes[0]
        self.stdout.write(
            f"Cluster {cluster}: node {node1} runs Groupmax stand-alone (database {existing['previous_directory']}, "
            f"system administrator {existing['admin']}); node 2 is bare. Ready for K.5 (2)."
        )

    def do_status(self, lab: Lab, site, pin: bool):
        self.stdout.write(f"Lab {lab.spec.name} in {lab.root}:")
        self._nodes(lab)
        for cluster in lab.spec.clusters:
            state = lab.cluster_state(cluster.name)
            package = state["package"]
            owner = package["node"] or "unowned"
            self.stdout.write(
                f"  cluster {cluster.name}: {state['status']}; package {cluster.package_name} {package['state']} "
                f"on {owner}; {cluster.volume_group} active on {', '.join(sorted(state['vg']['active'])) or 'no node'}"
            )

    def do_check(self, lab: Lab, site, pin: bool):
        findings = lab.findings()
        for finding in findings:
            self.stdout.write(str(finding))
        if findings:
            raise CommandError(f"{len(findings)} finding(s) in lab {lab.spec.name}.")
        self.stdout.write(f"Lab {lab.spec.name}: nothing to report.")
