"""The site command lines: one registry of keys, defaults and help text for the commands K.5 does not spell out.

K.5 says "activate the volume group", "install Address Server", "start the address service" without the exact
command, and sites differ in those lines; so each such command is a key here with an HP-UX default. A site
changes a line by storing it in ``SiteCommands.overrides`` under its key; everything else comes from the
defaults below (docs/CONTRACTS.md §1, which the lab implements). A template is one line of POSIX sh with
``{placeholders}``; each placeholder is filled with an inventory value that has been validated and then
``shlex.quote``d, so a value is always exactly one shell word.
"""

from __future__ import annotations

import shlex
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clusters import validators
from procedures.exceptions import SiteCommandsBroken

COMMAND, PATH, WORDS, SERVICE = "command", "path", "words", "service"

# What each placeholder may hold; the validator runs before the value is quoted into a command.
PLACEHOLDERS = {
    "vg": validators.validate_safe_name,
    "lv": validators.validate_absolute_path,
    "mount_point": validators.validate_absolute_path,
    "depot": validators.validate_absolute_path,
    "server_type": lambda value: _require(value in ("master", "address"), value),
    "schema": validators.validate_safe_name,
    "database_directory": validators.validate_absolute_path,
    "package_host": validators.validate_hostname,
    "package": validators.validate_safe_name,
    "node": validators.validate_hostname,
    "directory": validators.validate_absolute_path,
}


def _require(ok: bool, value) -> None:
    if not ok:
        raise ValidationError(_("“{value}” is not allowed here.").format(value=value))


@dataclass(frozen=True)
class CommandLine:
    """One site command line: its key, the HP-UX default, what it is for and which placeholders it may use."""

    key: str
    default: str
    help: str
    placeholders: tuple[str, ...] = ()
    kind: str = (
        COMMAND  # command: a shell line; path: an absolute path; words: extra words; service: an /etc/services line
    )


def _line(key, default, help, placeholders=(), kind=COMMAND):
    return CommandLine(key, default, help, tuple(placeholders), kind)


REGISTRY: dict[str, CommandLine] = {
    line.key: line
    for line in (
        _line(
            "vg_activate",
            "vgchange -a y {vg}",
            _(
                "Activate the package volume group by hand (A-01, A-11, B-01, …). "
                "Not “-a e”: before the cluster is configured the volume group is not cluster-aware (flaw 7)."
            ),
            ["vg"],
        ),
        _line("vg_deactivate", "vgchange -a n {vg}", _("Deactivate the package volume group."), ["vg"]),
        _line(
            "fs_mount",
            "mount {lv} {mount_point}",
            _("Mount one logical volume of the volume group; run once per shared file system, in order."),
            ["lv", "mount_point"],
        ),
        _line(
            "fs_unmount",
            "umount {mount_point}",
            _("Unmount one shared file system; run in reverse order."),
            ["mount_point"],
        ),
        _line(
            "sw_depot",
            "/var/spool/sw",
            _("The software depot that swinstall reads the Groupmax products from."),
            kind=PATH,
        ),
        _line(
            "install_object_server",
            "swlist HiOODB >/dev/null 2>&1 || swinstall -s {depot} HiOODB",
            _("Install Object Server unless it is installed already."),
            ["depot"],
        ),
        _line("install_address_server", "swinstall -s {depot} GMAX-ADDRESS", _("Install Address Server."), ["depot"]),
        _line(
            "install_replication_option",
            "GMAX-ADDR-REP",
            _(
                "Words added to the Address Server installation when "
                "Address Server – Replication Option is used (flaw 11)."
            ),
            kind=WORDS,
        ),
        _line("install_mail_server", "swinstall -s {depot} GMAX-MAIL", _("Install Mail Server."), ["depot"]),
        _line("objsv_installed", "swlist HiOODB", _("Show that Object Server is installed on a node (K-P1)."), []),
        _line(
            "check_shared",
            "bdf {mount_point}",
            _(
                "Show which file system holds /var/opt/GroupMail; the step "
                "succeeds when the output names the package volume group (/dev/<vg>/)."
            ),
            ["mount_point"],
        ),
        _line(
            "gm_setup",
            "/opt/GroupMail/bin/GM_SETUP -t {server_type} -s {schema} -u root -g sys",
            _("Set up Groupmax: server configuration, database schema name, system administrator user and group."),
            ["server_type", "schema"],
        ),
        _line(
            "xodrc",
            "/opt/HiOODB/conf/xodrc",
            _(
                "Object Server's system common definition file; its “resiobj -s "
                "<schema>” line holds the residency setting."
            ),
            kind=PATH,
        ),
        _line(
            "db_files_create",
            "/opt/HiOODB/bin/xodmkfile -d {database_directory}",
            _("Create the database files on the shared disk."),
            ["database_directory"],
        ),
        _line("objsv_start", "/opt/HiOODB/bin/xodstart", _("Start Object Server.")),
        _line("objsv_stop", "/opt/HiOODB/bin/xodstop", _("Stop Object Server.")),
        _line("db_setup", "/opt/GroupMail/bin/DB_SETUP", _("Set up the Groupmax database.")),
        _line(
            "addr_start",
            "/opt/GroupMail/bin/GM_START",
            _("Start the address service; it prints “address service started”."),
        ),
        _line("addr_stop", "/opt/GroupMail/bin/GM_STOP", _("Stop the address service.")),
        _line(
            "adsrvn",
            "/opt/GroupMail/bin/adsrvn -n {package_host}",
            _("Register the package host name as the server's name."),
            ["package_host"],
        ),
        _line("mail_start", "/opt/GroupMail/bin/APSTART", _("Start the mail server.")),
        _line("mail_stop", "/opt/GroupMail/bin/APSTOP", _("Stop the mail server.")),
        _line(
            "mhs_nadr_cfg",
            "/opt/GroupMail/bin/mhs_nadr_cfg TCP OFF",
            _(
                "Switch the mail server's TCP name "
                "resolution off, as K.5 requires for mail servers in a domain with a clustered server."
            ),
        ),
        _line(
            "nxsrepstat",
            "/opt/GroupMail/bin/nxsrepstat",
            _("Show whether the master's changes reached every address server."),
        ),
        _line(
            "cm_check",
            "cmcheckconf -C /etc/cmcluster/cluster.ascii -P /etc/cmcluster/{package}/{package}.conf",
            _("Check the cluster and package configuration (flaw 16)."),
            ["package"],
        ),
        _line(
            "cm_apply",
            "cmapplyconf -f -C /etc/cmcluster/cluster.ascii -P /etc/cmcluster/{package}/{package}.conf",
            _("Apply the cluster and package configuration (flaw 16)."),
            ["package"],
        ),
        _line("cm_run", "cmruncl -v", _("Start the cluster.")),
        _line("cm_halt", "cmhaltcl -f -v", _("Stop the cluster (and the package).")),
        _line("pkg_halt", "cmhaltpkg {package}", _("Halt the package (switch-over check of flaw 4)."), ["package"]),
        _line(
            "pkg_run",
            "cmrunpkg -n {node} {package} && cmmodpkg -e {package}",
            _("Run the package on one node and enable switching again."),
            ["node", "package"],
        ),
        _line("gmpublicinfo", "/var/opt/GroupMail/nxcdir/gmpublicinfo", _("Groupmax's gmpublicinfo file."), kind=PATH),
        _line(
            "backup",
            "tar -cf /var/tmp/k5-groupmax-backup.tar /var/opt/GroupMail {database_directory}",
            _(
                "Back up the Address Server / Mail Server environment before converting it (C-02); replace with the "
                "site's procedure of “15.2 Backup”."
            ),
            ["database_directory"],
        ),
        _line(
            "sysadmin_is_root",
            'test -z "$(find /var/opt/GroupMail ! -user root -print | head -n 1)"',
            _(
                "Gate C-00: succeeds when every file of the existing environment belongs to root, i.e. its system "
                "administrator is root."
            ),
        ),
        _line(
            "service_address",
            "gmaxaddr 20010/tcp",
            _(
                "The /etc/services line of Address Server (name port/"
                "protocol), as the installation manual of the installed version gives it."
            ),
            kind=SERVICE,
        ),
        _line(
            "service_mail",
            "gmaxmail 20011/tcp",
            _("The /etc/services line of Mail Server (name port/protocol)."),
            kind=SERVICE,
        ),
    )
}


def defaults() -> dict[str, str]:
    return {key: line.default for key, line in REGISTRY.items()}


def effective(overrides: dict | None = None) -> dict[str, str]:
    """Defaults with a site's overrides applied (unknown keys in stored data are ignored)."""
    result = defaults()
    for key, value in (overrides or {}).items():
        if key in REGISTRY and isinstance(value, str) and value.strip():
            result[key] = value
    return result


def for_site(site) -> dict[str, str]:
    """The command lines of ``site``: the defaults with its stored overrides.

    A stored override that breaks the registry's rules (a line someone wrote around the form, or one a
    registry change made invalid) is an error, never a quiet fallback: planning with other commands than
    the site stored would be worse than not planning.
    """
    stored = getattr(site, "commands", None) if site is not None else None
    overrides = stored.overrides if stored is not None else None
    if overrides is not None:
        try:
            validate_overrides(_known(overrides))
        except ValidationError as exc:
            raise SiteCommandsBroken(site=site, detail=" ".join(exc.messages)) from exc
    return effective(overrides)


def _known(overrides):
    """The overrides that still mean something: keys the registry knows, not left empty (= "the default")."""
    if not isinstance(overrides, dict):
        return overrides
    return {
        key: value
        for key, value in overrides.items()
        if key in REGISTRY and not (isinstance(value, str) and not value.strip())
    }


def placeholders_of(template: str) -> list[str]:
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None:
            if spec or conversion or not name.isidentifier():
                raise ValidationError(_("“{{{name}}}” is not a plain placeholder.").format(name=name))
            names.append(name)
    return names


def validate_value(key: str, value) -> None:
    """Raise ValidationError when ``value`` is not acceptable as the command line ``key``."""
    line = REGISTRY.get(key)
    if line is None:
        raise ValidationError(_("“{key}” is not a known command line key.").format(key=key), code="unknown_key")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(_("A command line is a non-empty line of text."), code="empty")
    if any(ch in value for ch in "\n\r\0"):
        raise ValidationError(_("A command line is one line: no line breaks."), code="newline")
    if line.kind == PATH:
        validators.validate_absolute_path(value)
        return
    if line.kind == WORDS:
        if not all(validators._SAFE_NAME.fullmatch(word) for word in value.split()):
            raise ValidationError(_("Only product names (letters, digits, “.”, “_”, “-”) separated by spaces."))
        return
    if line.kind == SERVICE:
        parts = value.split()
        if len(parts) != 2 or not validators._SAFE_NAME.fullmatch(parts[0]) or not _is_port(parts[1]):
            raise ValidationError(_("An /etc/services entry is “name port/tcp”, e.g. “gmaxaddr 20010/tcp”."))
        return
    try:
        names = placeholders_of(value)
    except ValueError:
        raise ValidationError(_("Unbalanced braces: write a literal brace as “{{” or “}}”."), code="braces") from None
    unknown = sorted(set(names) - set(line.placeholders))
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s) {names}; this command line knows: {known}.").format(
                names=", ".join("{" + n + "}" for n in unknown),
                known=", ".join("{" + n + "}" for n in line.placeholders) or _("none"),
            ),
            code="placeholder",
        )
    try:
        shlex.split(value.replace("{", "").replace("}", ""))
    except ValueError:
        raise ValidationError(_("Unbalanced quotes in the command line."), code="quotes") from None


def _is_port(text: str) -> bool:
    port, _sep, proto = text.partition("/")
    return port.isdigit() and 0 < int(port) < 65536 and proto in ("tcp", "udp")


def validate_overrides(overrides) -> None:
    """Refuse anything but known keys with valid one-line templates (used by the form and the admin)."""
    if not isinstance(overrides, dict):
        raise ValidationError(_("Overrides are a mapping of keys to command lines."))
    errors = {}
    for key, value in overrides.items():
        try:
            validate_value(key, value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(
            [_("{key}: {message}").format(key=key, message=" ".join(msgs)) for key, msgs in errors.items()]
        )


def render(template: str, values: dict[str, str], *, validate: bool = True) -> str:
    """Fill a template: every placeholder value is validated (unless told not to) and shlex-quoted."""
    quoted = {}
    for name in placeholders_of(template):
        value = str(values[name])
        if validate:
            PLACEHOLDERS[name](value)
        quoted[name] = shlex.quote(value)
    return template.format(**quoted)
