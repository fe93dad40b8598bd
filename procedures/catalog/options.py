"""A plan's options: the inventory's facts, the operator's choices and what follows from them, each read once.

``OPERATOR_CHOICES`` is what an operator may set on the plan page. The plan form (``procedures.forms.PlanForm``)
builds one field per choice from it and checks a value with the choice's ``parse``; ``resolve_options`` reads
the same ``parse`` when the plan is rendered, so a value has one rule whether it comes from a page or a caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clusters import validators
from procedures.catalog.base import CONDITIONS, OPTIONS, Procedure
from procedures.catalog.context import CatalogError, Context

GROUPMAIL = "/var/opt/GroupMail"


@dataclass(frozen=True)
class OperatorChoice:
    """One option the operator sets: the field the plan page shows and the rule its value must meet."""

    name: str
    label: Promise
    help: Promise
    flag: bool  # a tick box; otherwise one line of text, empty for "as the inventory says"
    parse: Callable[[object], object]  # the value the plan keeps; raises CatalogError


def _flag(value) -> bool:
    return bool(value)


def _previous_directory(previous) -> str:
    """The database directory before (2): an absolute path that is neither / nor /var/opt/GroupMail."""
    if not isinstance(previous, str):
        raise CatalogError(f"previous_database_directory: {previous!r} is not a path.")
    try:
        validators.validate_absolute_path(previous)
    except ValidationError as exc:
        raise CatalogError(f"previous_database_directory: {previous!r} is not an absolute path.") from exc
    if previous.rstrip("/") in ("", GROUPMAIL):
        raise CatalogError("previous_database_directory cannot be / or /var/opt/GroupMail.")
    return previous


OPERATOR_CHOICES: dict[str, OperatorChoice] = {
    choice.name: choice
    for choice in (
        OperatorChoice(
            "db_files_precreated",
            _("Database files already created on the shared disk"),
            _("Leaves out A-18 / B-18+B-19."),
            flag=True,
            parse=_flag,
        ),
        OperatorChoice(
            "previous_database_directory",
            _("Database directory before the conversion (K.5 (2))"),
            _("Empty: the same as the cluster's database directory. A different path adds the link of C-19."),
            flag=False,
            parse=_previous_directory,
        ),
    )
}
if set(OPERATOR_CHOICES) != {name for name, source in OPTIONS.items() if source == "operator"}:
    raise CatalogError("base.OPTIONS and OPERATOR_CHOICES disagree on what the operator chooses.")


def resolve_options(context: Context, procedure: Procedure, options: dict | None, *, validate: bool = True) -> dict:
    """The plan's options: inventory facts (not changeable here) and the operator's choices, parsed."""
    options = dict(options or {})
    result = {
        "mail_server": context.server.uses_mail_server,
        "replication_option": context.server.replication_option,
        "standby_lan": context.standby_lan,
    }
    if "db_files_precreated" in procedure.options:
        result["db_files_precreated"] = OPERATOR_CHOICES["db_files_precreated"].parse(
            options.get("db_files_precreated", False)
        )
    if "previous_database_directory" in procedure.options:
        previous = options.get("previous_database_directory") or context.database_directory
        if validate:
            OPERATOR_CHOICES["previous_database_directory"].parse(previous)
        result["previous_database_directory"] = previous
        result["database_directory_renamed"] = previous.rstrip("/") != context.database_directory.rstrip("/")
        result["migration_path"] = False
    return result


def holds(condition: str, options: dict) -> bool:
    """Whether a step's condition holds for the plan's options."""
    option, wanted, _why = CONDITIONS[condition]
    return bool(options.get(option, False)) == wanted
