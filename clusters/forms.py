"""The portal's inventory forms for domain administrators.

Each form shows only the fields a domain administrator may set (never a host key: keys are pinned by
fetch-and-confirm; never a site or a credential of its own: those are superusers'), offers in every foreign
key only what the person administers (``clusters.scoping``), and leaves the rules to the model: its field
validators, ``clean()`` and constraints say in words what is wrong. ``clusters.services`` saves the object
after checking every foreign key again.
"""

from django import forms
from django.core import validators as django_validators
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from clusters.choices import DomainRoleName
from clusters.models import Cluster, DomainMembership, GroupmaxServer, Node, SharedFilesystem
from clusters.scoping import choices_for

SERVER_FIELDS = ("name", "role", "uses_mail_server", "replication_option", "schema_name")
SSH_FIELDS = ("ssh_address", "ssh_port", "ssh_user", "credential")
CLUSTER_FIELDS = (
    "name", "package_name", "package_host", "package_ip", "package_subnet", "volume_group", "database_directory",
    "control_script_path",
)  # fmt: skip


# Django's own address check says only "enter a valid address"; the model's validator names the value.
_GENERIC = (
    django_validators.validate_ipv46_address,
    django_validators.validate_ipv4_address,
    django_validators.validate_ipv6_address,
)


class ScopedForm(forms.ModelForm):
    """A model form whose foreign keys offer only what ``user`` administers.

    Each field checks the model field's own validators first, so that a wrong value is refused with the message
    that names it; a rule of ``clean()`` about a field this form does not show is shown above the form.
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            model_field = self._meta.model._meta.get_field(name)
            if isinstance(field, forms.ModelChoiceField):
                allowed = choices_for(user, model_field.related_model)
                if allowed is not None:
                    field.queryset = allowed
            own = list(getattr(model_field, "_validators", ()))
            if own:
                field.validators = [*own, *(check for check in field.validators if check not in _GENERIC)]

    def _update_errors(self, errors):
        super()._update_errors(shown_on(self, errors))


def shown_on(form, error: ValidationError) -> ValidationError:
    """``error`` with the messages of fields the form does not show moved above the form, named."""
    if not hasattr(error, "error_dict"):
        return error
    kept = {}
    for name, errors in error.error_dict.items():
        if name in form.fields or name == NON_FIELD_ERRORS:
            kept.setdefault(name, []).extend(errors)
            continue
        try:
            label = str(form._meta.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = ""
        for each in errors:
            for message in each.messages:
                kept.setdefault(NON_FIELD_ERRORS, []).append(
                    ValidationError(f"{label}: {message}" if label else message)
                )
    return ValidationError(kept)


class ServerForm(ScopedForm):
    """A clustered server: its Groupmax facts (it is reached through its cluster's nodes)."""

    class Meta:
        model = GroupmaxServer
        fields = ("domain", *SERVER_FIELDS)


class NewClusteredServerForm(ServerForm):
    """The server half of "new server on a new cluster": the model's rules run once its cluster is set, in the
    service (``clusters.services.create_clustered_server``); before that a clustered server is never whole."""

    def _post_clean(self):
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class StandaloneServerForm(ScopedForm):
    """A standalone server: its Groupmax facts, its host and how to reach it over SSH."""

    class Meta:
        model = GroupmaxServer
        fields = ("domain", *SERVER_FIELDS, "host_name", "ip_address", *SSH_FIELDS)


class ClusterForm(ScopedForm):
    class Meta:
        model = Cluster
        fields = CLUSTER_FIELDS


class NodeForm(ScopedForm):
    class Meta:
        model = Node
        fields = ("cluster", "position", "host_name", "primary_ip", "standby_ip", *SSH_FIELDS)


class FilesystemForm(ScopedForm):
    class Meta:
        model = SharedFilesystem
        fields = ("logical_volume", "mount_point", "order")


class GrantForm(forms.Form):
    """Give a colleague a role in one domain, by user name: the roles offered are those the person may give."""

    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=())

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(name, DomainRoleName(name).label) for name in roles]


class RoleChangeForm(forms.ModelForm):
    class Meta:
        model = DomainMembership
        fields = ("role",)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(name, DomainRoleName(name).label) for name in roles]
