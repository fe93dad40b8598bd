"""The inventory as JSON: what a viewer may read, and what a domain administrator may write.

Writes go through the model's own rules: the field validators, ``clean()`` and the named constraints
(``full_clean``), so the API refuses exactly what the admin refuses, with the same message, naming the field.
A value that names another object (a domain, a cluster) is accepted only among the objects of the domains
where the writer is a domain administrator; anything else reads as "does not exist". A node's or a server's
SSH credential is shown by name only and its pinned host key by fingerprint: never a secret.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from clusters.choices import DomainRoleName
from clusters.models import AddressDomain, Cluster, GroupmaxServer, Node, SharedFilesystem, Site
from clusters.querysets import domains_where
from portal.api.errors import field_errors


class ModelRulesSerializer(serializers.ModelSerializer):
    """Runs the model's ``full_clean`` on the object as it would be saved; its errors become 400s by field."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)  # the save applies the same values; a refusal discards the object
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from None
        return attrs

    def _user(self):
        return self.context["request"].user

    def administered_domains(self):
        return AddressDomain.objects.filter(pk__in=domains_where(self._user(), DomainRoleName.DOMAIN_ADMIN))

    def administered_clusters(self):
        """Clusters of administered domains; a superuser's also include those no server carries yet."""
        if self._user().is_superuser:
            return Cluster.objects.all()
        return Cluster.objects.filter(server__domain__in=self.administered_domains())


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ("id", "name", "display_name", "time_zone", "is_lab")
        read_only_fields = fields


class DomainSerializer(ModelRulesSerializer):
    master = serializers.SerializerMethodField(help_text="The master management server's id, or null.")

    class Meta:
        model = AddressDomain
        fields = ("id", "site", "name", "description", "master")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["site"].read_only = True  # a domain moves to another site only through a superuser's admin
        return fields

    def get_master(self, domain) -> int | None:
        return next((s.pk for s in domain.servers.all() if s.role == "master"), None)


class SshFieldsMixin(serializers.Serializer):
    credential = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="The key's name only; null when none."
    )
    host_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=4096,
        help_text="A known_hosts line without its host field: 'ssh-ed25519 AAAA…'. Never shown back.",
    )
    host_key_fingerprint = serializers.CharField(read_only=True)


class ServerSerializer(SshFieldsMixin, ModelRulesSerializer):
    class Meta:
        model = GroupmaxServer
        fields = (
            "id", "domain", "name", "role", "uses_mail_server", "replication_option", "schema_name", "cluster",
            "is_clustered", "host_name", "ip_address", "ssh_address", "ssh_port", "ssh_user", "credential",
            "host_key", "host_key_fingerprint",
        )  # fmt: skip
        read_only_fields = ("is_clustered",)
        validators = ()  # the model's named constraints say it, through full_clean

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["domain"].queryset = self.administered_domains()
            fields["cluster"].queryset = self.administered_clusters()
        return fields


class FilesystemSerializer(serializers.ModelSerializer):
    class Meta:
        model = SharedFilesystem
        fields = ("id", "logical_volume", "mount_point", "order")
        read_only_fields = fields


class ClusterSerializer(ModelRulesSerializer):
    domain = serializers.SerializerMethodField(help_text="The domain of the cluster's server, or null.")
    server = serializers.SerializerMethodField(help_text="The Groupmax server this cluster carries, or null.")
    nodes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    filesystems = FilesystemSerializer(many=True, read_only=True)

    class Meta:
        model = Cluster
        fields = (
            "id", "name", "domain", "server", "package_name", "package_host", "package_ip", "package_subnet",
            "volume_group", "database_directory", "control_script_path", "nodes", "filesystems",
        )  # fmt: skip

    def get_domain(self, cluster) -> int | None:
        server = getattr(cluster, "server", None)
        return server.domain_id if server else None

    def get_server(self, cluster) -> int | None:
        server = getattr(cluster, "server", None)
        return server.pk if server else None


class NodeSerializer(SshFieldsMixin, ModelRulesSerializer):
    class Meta:
        model = Node
        fields = (
            "id", "cluster", "position", "host_name", "primary_ip", "standby_ip", "ssh_address", "ssh_port",
            "ssh_user", "credential", "host_key", "host_key_fingerprint",
        )  # fmt: skip
        validators = ()  # the model's named constraints say it, through full_clean

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            fields["cluster"].queryset = self.administered_clusters()
        return fields
