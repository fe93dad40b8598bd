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

from portal.errors import PortalError

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_SAFE_PATH = re.compile(r"^(?:/[A-Za-z0-9._-]+)+$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# An IPv6 scope id is an interface name (lan0, eth0.12) or its index; anything else after "%" is refused.
_SCOPE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
# What a Groupmax database directory, mount point or file of a step can never be: the system's own directories
# (steps create, rename and remove these paths, "rm -rf" included) and the folders that hold the products.
SYSTEM_DIRECTORIES = frozenset(
    "/bin /dev /etc /etc/cmcluster /etc/opt /home /lib /lib64 /opt /opt/GroupMail /opt/HiOODB /proc /root /sbin "
    "/stand /sys /tmp /usr /usr/bin /usr/lib /usr/local /usr/sbin /var /var/adm /var/opt /var/tmp".split()
)
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


class UnsafeValue(PortalError):
    """A generated file refuses a value that could leave its line (the validators should have refused it first)."""

    status, code = 400, "unsafe_value"
    message = _(
        "“{value}” cannot be written into {target}: it holds a line break, a control character, a quote or "
        "(for a configuration value) a space. Correct the inventory."
    )


_QUOTES = frozenset("'\"`")


def line_safe(value, *, target: str, quotes: bool = False, spaces: bool = True, forbidden: str = "") -> str:
    """``value`` as it may stand in one line of a generated file, or ``UnsafeValue``.

    Every renderer of a file (sshd configuration, package configuration, control script, gmpublicinfo,
    /etc/services) calls this on each value it writes, so a value that slipped past the validators still
    cannot start a directive of its own. ``quotes`` allows quotes (a site's command line is shell, written by
    a superuser); ``spaces=False`` is for a configuration value that must stay one word; ``forbidden`` names
    the file's own separators (the "=" of a gmpublicinfo record).
    """
    text = str(value)
    bad = (
        not text.isprintable()
        or (not quotes and any(ch in _QUOTES for ch in text))
        or (not spaces and any(ch.isspace() for ch in text))
        or any(ch in forbidden for ch in text)
    )
    if bad:
        raise UnsafeValue(value=_show(text), target=target)
    return text


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


def _scope_is_an_interface(value: str) -> None:
    """``ipaddress`` takes any text after "%" as an IPv6 scope id, line breaks and ``$( )`` included."""
    _address, percent, scope = str(value).partition("%")
    if percent and not _SCOPE_ID.fullmatch(scope.split("/", 1)[0]):
        raise ValueError(value)


def validate_ip(value: str) -> None:
    """An IPv4 or IPv6 address, as the ``ipaddress`` module reads it, with nothing around it."""
    try:
        if str(value) != str(value).strip():
            raise ValueError(value)
        _scope_is_an_interface(value)
        ipaddress.ip_address(str(value))
    except ValueError:
        raise ValidationError(
            _("“{value}” is not a valid IPv4 or IPv6 address.").format(value=_show(value)), code="ip"
        ) from None


def validate_host_or_ip(value: str) -> None:
    """An SSH address: an IP address (an IPv6 scope id only as an interface name) or a host name."""
    try:
        _scope_is_an_interface(value)
        ipaddress.ip_address(str(value))
    except ValueError:
        if "%" in str(value) or ":" in str(value):
            raise ValidationError(
                _("“{value}” is not a valid IP address (an IPv6 scope id is an interface name such as lan0).").format(
                    value=_show(value)
                ),
                code="ip",
            ) from None
        validate_hostname(value)


def validate_network(value: str) -> None:
    """A subnet such as 172.1.1.0 (ServiceGuard's SUBNET) or 172.1.1.0/24; no scope id, nothing around it."""
    try:
        if str(value) != str(value).strip() or "%" in str(value):
            raise ValueError(value)
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
    """An absolute path of safe characters that a step may create, rename or remove.

    Refused, each with its reason: the root itself, a trailing "/" (a step appends "_tmp" to the path, and
    "/X/" + "_tmp" is "/X/_tmp"), "." and ".." components, and the system's own directories.
    """
    value = str(value or "")
    if value == "/":
        raise ValidationError(
            _("“/” is the root directory: a Groupmax directory or file is a path of its own, e.g. /OBJSVFILE."),
            code="path_root",
        )
    if len(value) > 1 and value.endswith("/"):
        raise ValidationError(
            _("“{value}” ends with “/”: write the path without it (the steps append “_tmp” to this path).").format(
                value=_show(value)
            ),
            code="path_trailing_slash",
        )
    if any(part in (".", "..") for part in value.split("/")):
        raise ValidationError(
            _("“{value}” contains “.” or “..” as a component: write the path the steps should use, as it is.").format(
                value=_show(value)
            ),
            code="path_dots",
        )
    if not _SAFE_PATH.fullmatch(value):
        raise ValidationError(
            _("“{value}” is not an absolute path of letters, digits, “.”, “_”, “-” and “/”.").format(
                value=_show(value)
            ),
            code="path",
        )
    if value in SYSTEM_DIRECTORIES:
        raise ValidationError(
            _(
                "“{value}” is a directory of the system or of the installed products, which the steps would create, "
                "rename or remove: give the Groupmax directory itself, e.g. /OBJSVFILE."
            ).format(value=_show(value)),
            code="path_system",
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
