"""The demo inventory: one lab site, one domain with a clustered master (with Mail Server), a clustered
address server, an address server still stand-alone on node 1 of gmxcl03 (for K.5 (2)) and a standalone mail
server. Node addresses are in 127.0.0.0/8 so that the lab cluster's
OpenSSH servers answer on them. Loading it twice changes nothing.

The demo users' passwords are published (README, ``make demo``), so they exist only in a demonstration
(``PORTAL_DEMO=true``): elsewhere the loader makes no account, and ``RefusePublishedPasswords`` refuses a
log-in or a new password that is one of them, whoever the account.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

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

SITE, DOMAIN, CREDENTIAL = "demo-lab", "demo-domain", "lab-portal-key"
LAB_SSH_PORT = 2222


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    is_admin: bool = False


DEMO_USERS = (
    DemoUser("operator", "k5-operator-demo", DomainRoleName.OPERATOR),
    DemoUser("approver", "k5-approver-demo", DomainRoleName.APPROVER),
    DemoUser("auditor", "k5-auditor-demo", DomainRoleName.VIEWER),
    DemoUser("admin", "k5-admin-demo", DomainRoleName.DOMAIN_ADMIN, is_admin=True),
)

PUBLISHED_PASSWORDS = frozenset(user.password for user in DEMO_USERS)


def is_demo() -> bool:
    return bool(getattr(settings, "PORTAL_DEMO", False))


class RefusePublishedPasswords:
    """An authentication backend that only refuses: outside a demo, a published password logs nobody in.

    It has no ``get_user`` on purpose: it never logs anybody in, so no session may name it as its backend.
    Raising ``PermissionDenied`` stops Django's authentication at once (no later backend is asked) and counts as
    a failed log-in for django-axes.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and password in PUBLISHED_PASSWORDS and not is_demo():
            raise PermissionDenied(_("This password is published with the demo and is refused outside a demo."))
        return None


class LoginForm(AuthenticationForm):
    """The log-in form, saying why a published demo password is refused (the backend refuses it anyway)."""

    published_refused = ""

    def clean(self):
        if self.cleaned_data.get("password") in PUBLISHED_PASSWORDS and not is_demo():
            self.published_refused = _(
                "This password is published with the demo and is refused outside a demo; ask an administrator."
            )
            raise ValidationError(self.published_refused, code="published_password")
        return super().clean()


class PublishedPasswordValidator:
    """A password validator: outside a demo nobody may choose a published demo password."""

    def validate(self, password, user=None):
        if password in PUBLISHED_PASSWORDS and not is_demo():
            raise ValidationError(
                _("This password is published with the demo; choose another one."), code="published_password"
            )

    def get_help_text(self):
        return _("Your password cannot be one of the demo's published passwords.")


CLUSTERS = (
    {
        "name": "gmxcl01",
        "package_name": "gmaxpkg",
        "package_host": "gmaxhost",
        "package_ip": "127.0.10.100",
        "package_subnet": "127.0.10.0",
        "volume_group": "vggmax",
        "database_directory": "/OBJSVFILE",
        "control_script_path": "/etc/cmcluster/gmaxpkg/control.sh",
        "nodes": (("gmx1a", "127.0.10.1", "127.0.11.1"), ("gmx1b", "127.0.10.2", "127.0.11.2")),
        "server": {"name": "gmaxmaster", "role": ServerRole.MASTER, "uses_mail_server": True},
    },
    {
        "name": "gmxcl02",
        "package_name": "addpkg",
        "package_host": "addpkg",
        "package_ip": "127.0.20.100",
        "package_subnet": "127.0.20.0",
        "volume_group": "vgadd",
        "database_directory": "/OBJSVFILE",
        "control_script_path": "/etc/cmcluster/addpkg/control.sh",
        "nodes": (("gmx2a", "127.0.20.1", None), ("gmx2b", "127.0.20.2", None)),
        "server": {"name": "addsv01", "role": ServerRole.ADDRESS, "replication_option": True},
    },
    {  # K.5 (2): `manage.py lab existing gmxcl03 --previous-directory /GMAXDB` makes node 1 serve stand-alone
        "name": "gmxcl03",
        "package_name": "convpkg",
        "package_host": "convhost",
        "package_ip": "127.0.40.100",
        "package_subnet": "127.0.40.0",
        "volume_group": "vgconv",
        "database_directory": "/OBJSVFILE",
        "control_script_path": "/etc/cmcluster/convpkg/control.sh",
        "nodes": (("gmx3a", "127.0.40.1", None), ("gmx3b", "127.0.40.2", None)),
        "server": {"name": "gmxsv04", "role": ServerRole.ADDRESS, "uses_mail_server": True},
    },
)
STANDALONE = {"name": "mailsv03", "host_name": "mailsv03", "ip_address": "127.0.30.1", "uses_mail_server": True}


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def load_demo_inventory() -> AddressDomain:
    site, _ = Site.objects.get_or_create(
        name=SITE, defaults={"display_name": "デモ ラボ (東京)", "time_zone": "Asia/Tokyo", "is_lab": True}
    )
    domain, _ = AddressDomain.objects.get_or_create(
        name=DOMAIN, defaults={"site": site, "description": "K.5 のデモ用アドレス管理ドメイン / demo domain"}
    )
    key_path = str(settings.LAB_DIR / "keys" / "portal_ed25519")
    credential, _ = Credential.objects.update_or_create(name=CREDENTIAL, defaults={"key_path": key_path})
    for spec in CLUSTERS:
        spec = dict(spec)
        nodes, server_spec = spec.pop("nodes"), dict(spec.pop("server"))
        cluster = Cluster.objects.filter(name=spec["name"]).first() or _save(Cluster(**spec))
        vg = cluster.volume_group
        for order, (lvol, mount_point) in enumerate((("lvol1", "/var/opt/GroupMail"), ("lvol2", "/OBJSVFILE"))):
            if not cluster.filesystems.filter(mount_point=mount_point).exists():
                _save(
                    SharedFilesystem(
                        cluster=cluster, logical_volume=f"/dev/{vg}/{lvol}", mount_point=mount_point, order=order
                    )
                )
        if not GroupmaxServer.objects.filter(cluster=cluster).exists():
            _save(GroupmaxServer(domain=domain, cluster=cluster, schema_name="GMAXSCH", **server_spec))
        for position, (host_name, primary_ip, standby_ip) in enumerate(nodes, start=1):
            if not cluster.nodes.filter(position=position).exists():
                _save(
                    Node(
                        cluster=cluster,
                        position=position,
                        host_name=host_name,
                        primary_ip=primary_ip,
                        standby_ip=standby_ip,
                        ssh_address=primary_ip,
                        ssh_port=LAB_SSH_PORT,
                        ssh_user="root",
                        credential=credential,
                    )
                )
    if not domain.servers.filter(name=STANDALONE["name"]).exists():
        _save(
            GroupmaxServer(
                domain=domain,
                schema_name="GMAXSCH",
                ssh_address=STANDALONE["ip_address"],
                ssh_port=LAB_SSH_PORT,
                credential=credential,
                **STANDALONE,
            )
        )
    if not is_demo():  # the inventory is harmless; accounts with published passwords are for a demonstration only
        return domain
    User = get_user_model()
    for demo in DEMO_USERS:
        user = User.objects.filter(username=demo.username).first()
        if user is None:  # an existing account keeps its password and rights: the demo never promotes one
            user = User.objects.create_user(
                demo.username, password=demo.password, is_staff=demo.is_admin, is_superuser=demo.is_admin
            )
        DomainMembership.objects.get_or_create(domain=domain, user=user, defaults={"role": demo.role})
    return domain
