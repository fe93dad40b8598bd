"""The inventory: sites, address-management domains, Groupmax servers, clusters and their nodes.

Rules live here (field validators, ``clean()`` and named constraints), so that the admin, the portal's
forms, the API and imports all refuse the same values with the same message.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters import validators as v
from clusters.choices import OPEN_HOST_KEY_CHANGES, DomainRoleName, HostKeyChangeState, NodePosition, ServerRole
from clusters.history import inventory_history
from clusters.querysets import ClusterQuerySet, DomainQuerySet, HostKeyChangeQuerySet, NodeQuerySet, ServerQuerySet


class Site(models.Model):
    name = models.CharField(_("name"), max_length=63, unique=True, validators=[v.validate_safe_name])
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo", validators=[v.validate_time_zone])
    is_lab = models.BooleanField(
        _("lab site"),
        default=False,
        help_text=_("The clusters of a lab site are simulated by the portal's built-in lab, never real machines."),
    )
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("site"), _("sites")
        ordering = ("name",)

    def __str__(self):
        return self.display_name or self.name


class AddressDomain(models.Model):
    """アドレス管理ドメイン: one master management server and any number of address servers."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="domains", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=63, unique=True, validators=[v.validate_safe_name])
    description = models.TextField(_("description"), blank=True)
    objects = DomainQuerySet.as_manager()
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("address-management domain"), _("address-management domains")
        ordering = ("name",)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:domain-detail", args=[self.pk])

    @property
    def master(self):
        return self.servers.filter(role=ServerRole.MASTER).first()


class DomainMembership(models.Model):
    """A person's role in one domain; every page, action and socket asks for one."""

    domain = models.ForeignKey(
        AddressDomain, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("domain")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="domain_memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=DomainRoleName.choices)
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("domain role"), _("domain roles")
        constraints = (
            models.UniqueConstraint(
                fields=("domain", "user"),
                name="%(app_label)s_%(class)s_one_role_per_domain",
                violation_error_message=_("This person already has a role in this domain; change that role instead."),
            ),
        )

    def __str__(self):
        return f"{self.user} @ {self.domain}: {self.get_role_display()}"


class Credential(models.Model):
    """Where the SSH private key lives. The key itself never enters the database or a page."""

    name = models.CharField(_("name"), max_length=63, unique=True, validators=[v.validate_safe_name])
    key_path = models.CharField(
        _("private key file"),
        max_length=255,
        validators=[v.validate_absolute_path],
        help_text=_("Absolute path of an OpenSSH private key readable by the portal's workers."),
    )
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("credential"), _("credentials")
        ordering = ("name",)

    def __str__(self):
        return self.name


class SshTarget(models.Model):
    """How the portal reaches a machine: address, port, user, key reference and the pinned host key."""

    ssh_address = models.CharField(_("SSH address"), max_length=253, validators=[v.validate_host_or_ip])
    ssh_port = models.PositiveIntegerField(_("SSH port"), default=22)
    ssh_user = models.CharField(_("SSH user"), max_length=32, default="root", validators=[v.validate_unix_user])
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("credential")
    )
    host_key = models.TextField(
        _("pinned host key"),
        blank=True,
        validators=[v.validate_host_key],
        help_text=_("The only host key accepted for this machine, as a known_hosts line: “ssh-ed25519 AAAA…”."),
    )

    class Meta:
        abstract = True

    @property
    def host_key_fingerprint(self) -> str:
        if not self.host_key:
            return ""
        try:  # the admin shows it next to a form that is refusing a mistyped key: say so, do not crash
            return v.fingerprint(v.parse_host_key(self.host_key)[1])
        except ValidationError:
            return str(_("(not a valid host key)"))

    host_key_fingerprint.fget.short_description = _("host key fingerprint")  # the admin's label for it

    @property
    def host_key_state(self) -> str:
        """ "unpinned", "pinned" or "changed" (another key was presented and is not pinned by two people yet)."""
        changed = getattr(self, "open_key_change", None)
        if changed is None:
            changed = self.pk is not None and self.host_key_changes.filter(state__in=OPEN_HOST_KEY_CHANGES).exists()
        if changed:
            return "changed"
        return "pinned" if self.host_key else "unpinned"

    @property
    def open_host_key_change(self):
        return self.host_key_changes.filter(state__in=OPEN_HOST_KEY_CHANGES).first() if self.pk else None

    def clean_ssh(self):
        if not 1 <= (self.ssh_port or 0) <= 65535:
            raise ValidationError({"ssh_port": _("A port is a number from 1 to 65535.")})


class Cluster(models.Model):
    """An MC/ServiceGuard cluster of two nodes carrying one Groupmax package."""

    name = models.CharField(
        _("ServiceGuard cluster name"), max_length=63, unique=True, validators=[v.validate_safe_name]
    )
    package_name = models.CharField(_("Groupmax package name"), max_length=39, validators=[v.validate_safe_name])
    package_host = models.CharField(
        _("package host name"),
        max_length=253,
        validators=[v.validate_hostname],
        help_text=_("The package's domain name or host name, e.g. gmaxhost; clients and gmpublicinfo use it."),
    )
    package_ip = models.GenericIPAddressField(_("package IP address"), validators=[v.validate_ip])
    package_subnet = models.CharField(_("package subnet"), max_length=43, validators=[v.validate_network])
    volume_group = models.CharField(_("volume group"), max_length=63, validators=[v.validate_safe_name])
    database_directory = models.CharField(
        _("database file directory"), max_length=255, default="/OBJSVFILE", validators=[v.validate_absolute_path]
    )
    control_script_path = models.CharField(
        _("package control script"),
        max_length=255,
        validators=[v.validate_absolute_path],
        help_text=_("Full path, the same on both nodes, containing “cmcluster”, e.g. /etc/cmcluster/gmax/control.sh."),
    )
    objects = ClusterQuerySet.as_manager()
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("cluster"), _("clusters")
        ordering = ("name",)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:cluster-detail", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if self.control_script_path and "cmcluster" not in self.control_script_path:
            errors["control_script_path"] = _("ServiceGuard expects the control script under a “cmcluster” directory.")
        if self.package_ip and self.package_subnet:
            try:
                net = ipaddress.ip_network(self.package_subnet, strict=False)
                if ipaddress.ip_address(self.package_ip).version != net.version:
                    errors["package_subnet"] = _("The subnet and the package IP address are of different IP versions.")
            except ValueError:
                pass  # the field validators already said what is wrong
        if self.pk and self.package_ip:
            clash = self.nodes.filter(Q(primary_ip=self.package_ip) | Q(standby_ip=self.package_ip)).first()
            if clash:
                errors["package_ip"] = _("The package IP address is node {node}'s own address.").format(node=clash)
        if errors:
            raise ValidationError(errors)

    @property
    def domain(self):
        server = getattr(self, "server", None)
        return server.domain if server else None

    @property
    def primary(self):
        return self.nodes.filter(position=NodePosition.PRIMARY).first()

    @property
    def standby(self):
        return self.nodes.filter(position=NodePosition.STANDBY).first()


class SharedFilesystem(models.Model):
    """One logical volume of the package's volume group and where it is mounted."""

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="filesystems", verbose_name=_("cluster")
    )
    logical_volume = models.CharField(
        _("logical volume"), max_length=255, validators=[v.validate_absolute_path], help_text="/dev/vggmax/lvol1"
    )
    mount_point = models.CharField(_("mount point"), max_length=255, validators=[v.validate_absolute_path])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("shared file system"), _("shared file systems")
        ordering = ("cluster", "order", "pk")
        constraints = (
            models.UniqueConstraint(
                fields=("cluster", "mount_point"),
                name="%(app_label)s_%(class)s_unique_mount",
                violation_error_message=_("This cluster already has a file system mounted there."),
            ),
        )

    def __str__(self):
        return f"{self.logical_volume} → {self.mount_point}"

    def clean(self):
        super().clean()
        if (
            self.cluster_id
            and self.logical_volume
            and not self.logical_volume.startswith(f"/dev/{self.cluster.volume_group}/")
        ):
            raise ValidationError(
                {
                    "logical_volume": _("The logical volume must belong to the volume group {vg}.").format(
                        vg=self.cluster.volume_group
                    )
                }
            )


class Node(SshTarget):
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="nodes", verbose_name=_("cluster"))
    position = models.PositiveSmallIntegerField(_("position"), choices=NodePosition.choices)
    host_name = models.CharField(_("host name"), max_length=63, validators=[v.validate_hostname])
    primary_ip = models.GenericIPAddressField(_("primary-LAN local IP address"), validators=[v.validate_ip])
    standby_ip = models.GenericIPAddressField(
        _("standby-LAN local IP address"), null=True, blank=True, validators=[v.validate_ip]
    )
    objects = NodeQuerySet.as_manager()
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("node"), _("nodes")
        ordering = ("cluster", "position")
        constraints = (
            models.UniqueConstraint(
                fields=("cluster", "position"),
                name="%(app_label)s_%(class)s_unique_position",
                violation_error_message=_("This cluster already has a node in this position."),
            ),
            models.UniqueConstraint(
                fields=("cluster", "host_name"),
                name="%(app_label)s_%(class)s_unique_host_name",
                violation_error_message=_("This cluster already has a node of this host name."),
            ),
            models.CheckConstraint(
                condition=Q(position__in=(1, 2)),
                name="%(app_label)s_%(class)s_position_1_or_2",
                violation_error_message=_("A ServiceGuard cluster here has two nodes: position 1 or 2."),
            ),
            models.CheckConstraint(
                condition=~Q(primary_ip=models.F("standby_ip")) | Q(standby_ip__isnull=True),
                name="%(app_label)s_%(class)s_two_distinct_lans",
                violation_error_message=_("The standby LAN needs an address of its own."),
            ),
        )

    def __str__(self):
        return f"{self.host_name} ({self.cluster.name} #{self.position})"

    @property
    def local_ips(self) -> list[str]:
        return [ip for ip in (self.primary_ip, self.standby_ip) if ip]

    def clean(self):
        super().clean()
        self.clean_ssh()
        errors = {}
        if self.standby_ip and self.standby_ip == self.primary_ip:
            errors["standby_ip"] = _("The standby LAN needs an address of its own.")
        if self.cluster_id:
            mine = set(self.local_ips)
            if self.cluster.package_ip in mine:
                errors["primary_ip" if self.primary_ip == self.cluster.package_ip else "standby_ip"] = _(
                    "This is the package IP address of cluster {cluster}; a node needs its own address."
                ).format(cluster=self.cluster.name)
            for other in self.cluster.nodes.exclude(pk=self.pk):
                for ip in mine & set(other.local_ips):
                    field = "primary_ip" if ip == self.primary_ip else "standby_ip"
                    errors[field] = _("Node {node} of this cluster already uses {ip}.").format(
                        node=other.host_name, ip=ip
                    )
            domain = self.cluster.domain
            if domain is not None and not errors:
                # Flaw 12 of the source: one local IP must not map to two package hosts in the master's gmpublicinfo.
                elsewhere = (
                    Node.objects.filter(cluster__server__domain=domain)
                    .exclude(cluster=self.cluster)
                    .filter(Q(primary_ip__in=mine) | Q(standby_ip__in=mine))
                    .first()
                )
                if elsewhere:
                    errors["primary_ip"] = _(
                        "Node {node} of cluster {cluster} in the same domain already uses this address."
                    ).format(node=elsewhere.host_name, cluster=elsewhere.cluster.name)
        if errors:
            raise ValidationError(errors)


class GroupmaxServer(SshTarget):
    """A Groupmax Address Server (maybe also a Mail Server), clustered on a Cluster or standalone on one host.

    A standalone server fills in its own host name and SSH fields; a clustered one is reached through the
    nodes of its cluster and leaves them empty.
    """

    domain = models.ForeignKey(
        AddressDomain, on_delete=models.PROTECT, related_name="servers", verbose_name=_("domain")
    )
    name = models.CharField(_("name"), max_length=63, validators=[v.validate_safe_name])
    role = models.CharField(_("role"), max_length=10, choices=ServerRole.choices, default=ServerRole.ADDRESS)
    uses_mail_server = models.BooleanField(_("uses Mail Server"), default=False)
    replication_option = models.BooleanField(_("uses Address Server – Replication Option"), default=False)
    schema_name = models.CharField(
        _("database schema name"),
        max_length=30,
        validators=[v.validate_safe_name],
        help_text=_("The -s value of resiobj in the Object Server system common definition file (xodrc)."),
    )
    cluster = models.OneToOneField(
        Cluster, on_delete=models.PROTECT, null=True, blank=True, related_name="server", verbose_name=_("cluster")
    )
    host_name = models.CharField(
        _("host name (standalone)"), max_length=63, blank=True, validators=[v.validate_hostname]
    )
    ip_address = models.GenericIPAddressField(
        _("IP address (standalone)"), null=True, blank=True, validators=[v.validate_ip]
    )
    ssh_address = models.CharField(_("SSH address"), max_length=253, blank=True, validators=[v.validate_host_or_ip])
    objects = ServerQuerySet.as_manager()
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("Groupmax server"), _("Groupmax servers")
        ordering = ("domain", "-role", "name")
        constraints = (
            models.UniqueConstraint(
                fields=("domain",),
                condition=Q(role="master"),
                name="%(app_label)s_%(class)s_one_master_per_domain",
                violation_error_message=_("This domain already has a master management server."),
            ),
            models.UniqueConstraint(
                fields=("domain", "name"),
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("This domain already has a server of this name."),
            ),
            models.CheckConstraint(
                condition=(Q(cluster__isnull=False) & Q(host_name=""))
                | (Q(cluster__isnull=True) & ~Q(host_name="") & ~Q(ssh_address="")),
                name="%(app_label)s_%(class)s_clustered_or_standalone",
                violation_error_message=_(
                    "A server is either on a cluster (no host name of its own) "
                    "or standalone (host name and SSH address)."
                ),
            ),
        )

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:server-detail", args=[self.pk])

    @property
    def is_clustered(self) -> bool:
        return self.cluster_id is not None

    def clean(self):
        super().clean()
        errors = {}
        if self.cluster_id:
            for field in ("host_name", "ip_address", "ssh_address", "host_key"):
                if getattr(self, field):
                    errors[field] = _("A clustered server is reached through its cluster's nodes; leave this empty.")
        else:
            for field in ("host_name", "ssh_address"):
                if not getattr(self, field):
                    errors[field] = _("A standalone server needs this; or choose its cluster.")
            if not errors:
                self.clean_ssh()
        if self.role == ServerRole.MASTER and self.domain_id:
            other = self.domain.servers.filter(role=ServerRole.MASTER).exclude(pk=self.pk).first()
            if other:
                errors["role"] = _("Domain {domain} already has a master management server: {server}.").format(
                    domain=self.domain, server=other
                )
        if errors:
            raise ValidationError(errors)


class HostKeyChange(models.Model):
    """A machine presented another host key than the pinned one.

    While a change is open (detected, or accepted and waiting for its sign-off) no step runs on that machine.
    A domain administrator accepts the new key after comparing fingerprints; a second person signs the
    acceptance off, and only then is the new key pinned. Or a domain administrator rejects it: the old key stays
    pinned, and the machine is refused for as long as it presents the rejected key. Who may decide is asked of
    the portal's sign-off rules.
    """

    node = models.ForeignKey(
        Node, on_delete=models.CASCADE, null=True, blank=True, related_name="host_key_changes", verbose_name=_("node")
    )
    server = models.ForeignKey(
        GroupmaxServer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="host_key_changes",
        verbose_name=_("standalone server"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=HostKeyChangeState.choices, default=HostKeyChangeState.DETECTED
    )
    old_key = models.TextField(_("pinned host key"), validators=[v.validate_host_key])
    new_key = models.TextField(_("presented host key"), validators=[v.validate_host_key])
    seen_at = models.DateTimeField(_("seen at"), auto_now_add=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("seen by"),
    )  # fmt: skip
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("accepted by"),
    )  # fmt: skip
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("signed off by"),
    )  # fmt: skip
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("rejected by"),
    )  # fmt: skip
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    objects = HostKeyChangeQuerySet.as_manager()
    history = inventory_history()

    class Meta:
        verbose_name, verbose_name_plural = _("host key change"), _("host key changes")
        ordering = ("-seen_at", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=Q(node__isnull=False, server__isnull=True) | Q(node__isnull=True, server__isnull=False),
                name="%(app_label)s_%(class)s_node_or_server",
                violation_error_message=_("A host key change belongs to one node or one standalone server."),
            ),
            models.UniqueConstraint(
                fields=("node",),
                condition=Q(state__in=OPEN_HOST_KEY_CHANGES),
                name="%(app_label)s_%(class)s_one_open_per_node",
                violation_error_message=_("This node already has an open host key change."),
            ),
            models.UniqueConstraint(
                fields=("server",),
                condition=Q(state__in=OPEN_HOST_KEY_CHANGES),
                name="%(app_label)s_%(class)s_one_open_per_server",
                violation_error_message=_("This server already has an open host key change."),
            ),
        )

    def __str__(self):
        return f"{self.target}: {self.old_fingerprint} → {self.new_fingerprint}"

    @property
    def target(self):
        return self.node if self.node_id else self.server

    @property
    def domain(self):
        """The domain the machine belongs to now (never a copy: a machine moved to another domain moves its change)."""
        return self.node.cluster.domain if self.node_id else self.server.domain

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_HOST_KEY_CHANGES

    @property
    def old_fingerprint(self) -> str:
        return v.fingerprint(v.parse_host_key(self.old_key)[1]) if self.old_key else ""

    @property
    def new_fingerprint(self) -> str:
        return v.fingerprint(v.parse_host_key(self.new_key)[1])

    @property
    def old_type(self) -> str:
        return v.parse_host_key(self.old_key)[0] if self.old_key else ""

    @property
    def new_type(self) -> str:
        return v.parse_host_key(self.new_key)[0]
