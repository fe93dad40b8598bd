"""Validators shared by the admin, forms, API and imports, so that no value can smuggle shell syntax.

Every value that later reaches a command line passes one of these first, and is still quoted with
``shlex.quote`` when a command is rendered: validation says what a value may be, quoting keeps it a word.
"""

import base64
import hashlib
import ipaddress
import re
import struct
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_SAFE_PATH = re.compile(r"^/(?:[A-Za-z0-9._-]+/?)*$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)


def _show(value) -> str:
    """A hostile value, shown so that a newline or a control character is visible in the message."""
    return repr(str(value))[1:-1][:80]


def validate_hostname(value: str) -> None:
    """RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 253 characters at most."""
    name = value[:-1] if value.endswith(".") else value
    if any(ch.isspace() for ch in value):
        name = ""
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise ValidationError(
            _("“{value}” is not a valid host name (RFC 1123: letters, digits and hyphens, dot-separated).").format(
                value=_show(value)
            ),
            code="hostname",
        )
    if name.replace(".", "").isdigit():
        raise ValidationError(_("“{value}” looks like an address, not a host name.").format(value=_show(value)))


def validate_ip(value: str) -> None:
    """An IPv4 or IPv6 address, as the ``ipaddress`` module reads it, with nothing around it."""
    try:
        if str(value) != str(value).strip():
            raise ValueError(value)
        ipaddress.ip_address(str(value))
    except ValueError:
        raise ValidationError(
            _("“{value}” is not a valid IPv4 or IPv6 address.").format(value=_show(value)), code="ip"
        ) from None


def validate_host_or_ip(value: str) -> None:
    """An SSH address: an IP address or a host name."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        validate_hostname(value)


def validate_network(value: str) -> None:
    """A subnet such as 172.1.1.0 (ServiceGuard's SUBNET) or 172.1.1.0/24."""
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise ValidationError(
            _("“{value}” is not a valid subnet address.").format(value=_show(value)), code="network"
        ) from None


def validate_safe_name(value: str) -> None:
    """Names that end up in commands or files: letters, digits, dot, underscore, hyphen; 63 at most."""
    if not _SAFE_NAME.fullmatch(value or ""):
        raise ValidationError(
            _(
                "“{value}” may only contain letters, digits, “.”, “_” and “-”, and must start with a letter or digit."
            ).format(value=_show(value)),
            code="safe_name",
        )


def validate_unix_user(value: str) -> None:
    if not _USER.fullmatch(value or ""):
        raise ValidationError(_("“{value}” is not a valid UNIX user name.").format(value=_show(value)), code="user")


def validate_absolute_path(value: str) -> None:
    """An absolute path of safe characters, with no “..”, no spaces and no shell syntax."""
    if not _SAFE_PATH.fullmatch(value or "") or "/../" in f"{value}/" or "//" in value:
        raise ValidationError(
            _("“{value}” is not an absolute path of letters, digits, “.”, “_”, “-” and “/”.").format(
                value=_show(value)
            ),
            code="path",
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“{value}” is not a known time zone.").format(value=_show(value)), code="time_zone")


def parse_host_key(value: str) -> tuple[str, bytes]:
    """Read an OpenSSH public host key line (“type base64 [comment]”); return the type and the key blob."""
    parts = (value or "").strip().split()
    if len(parts) < 2 or parts[0] not in HOST_KEY_TYPES or "\n" in value.strip():
        raise ValidationError(
            _("A host key is one line: the key type ({types}) and the base64 key, as in known_hosts.").format(
                types=", ".join(HOST_KEY_TYPES)
            ),
            code="host_key",
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner_type = blob[4 : 4 + length].decode("ascii")
    except (ValueError, struct.error, UnicodeDecodeError):
        raise ValidationError(_("The host key's base64 part cannot be read."), code="host_key") from None
    if inner_type != parts[0]:
        raise ValidationError(
            _("The host key says “{outer}” but holds a “{inner}” key.").format(outer=parts[0], inner=_show(inner_type)),
            code="host_key",
        )
    return parts[0], blob


def validate_host_key(value: str) -> None:
    if value:
        parse_host_key(value)


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint, as ``ssh-keygen -l`` and ``ssh`` print it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
