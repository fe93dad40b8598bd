"""A rendered plan: the catalog applied to one cluster, before any run exists.

This is the contract between the catalog (procedures/catalog/, which renders it from the inventory) and
runs (which snapshot it as JSON when a run is planned and execute it step by step). A plan is plain data:
everything an operator reads before anything runs, and everything the executor needs, with every value
that reaches a shell already validated and quoted. ``Plan.as_json()`` / ``Plan.from_json()`` round-trip
exactly, and ``Plan.digest`` identifies the content so a run can prove which plan it ran.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext_lazy, gettext_noop

from procedures.texts import localised, message, render_message


class Kind:
    COMMAND, EDIT, CHECK, CONSOLE, CONFIRM = "command", "edit", "check", "console", "confirm"
    ALL = (COMMAND, EDIT, CHECK, CONSOLE, CONFIRM)
    EXECUTED = (COMMAND, EDIT, CHECK)  # run over SSH; console and confirm wait for a person


class Target:
    NODE1, NODE2, BOTH, CLUSTER = "node1", "node2", "both", "cluster"
    MASTER, MAIL_SERVERS, ADDRESS_SERVERS, CONSOLE = "master", "mail_servers", "address_servers", "console"
    ALL = (NODE1, NODE2, BOTH, CLUSTER, MASTER, MAIL_SERVERS, ADDRESS_SERVERS, CONSOLE)


# The step kinds and targets as a reader reads them (the codes stay in the plan and the records).
KIND_LABELS = {
    Kind.COMMAND: gettext_lazy("command"),
    Kind.EDIT: gettext_lazy("file edit"),
    Kind.CHECK: gettext_lazy("check"),
    Kind.CONSOLE: gettext_lazy("at the console"),
    Kind.CONFIRM: gettext_lazy("confirmation"),
}
TARGET_LABELS = {
    Target.NODE1: gettext_lazy("node 1"),
    Target.NODE2: gettext_lazy("node 2"),
    Target.BOTH: gettext_lazy("both nodes"),
    Target.CLUSTER: gettext_lazy("the cluster"),
    Target.MASTER: gettext_lazy("the master"),
    Target.MAIL_SERVERS: gettext_lazy("the mail servers"),
    Target.ADDRESS_SERVERS: gettext_lazy("the address servers"),
    Target.CONSOLE: gettext_lazy("the console"),
}


# What a plan step's conditions mean to a reader (the codes stay in the plan and the catalog).
CONDITION_LABELS = {
    "mail_server": gettext_lazy("with Mail Server"),
    "db_files_not_precreated": gettext_lazy("database files not created beforehand"),
    "database_directory_renamed": gettext_lazy("database directory renamed"),
    "migration_path": gettext_lazy("the migration path"),
}


def text(ja: str, en: str) -> dict[str, str]:
    return {"ja": ja, "en": en}


# ---------------------------------------------------------------- host labels
#
# A host's label ("gmx1a (node 1)") names it in the plan snapshot, its results and its log lines: it is a key,
# written once in these forms and never translated where it is stored (a snapshot's digest, a result's unique
# host, the log's host column stay as they are). A reader reads it through ``host_shown`` in his language; a
# stored message names it through ``host_message``, so that it renders in each reader's language too.

NODE_LABEL = gettext_noop("{host} (node {position})")
STANDALONE_LABEL = gettext_noop("{host} (standalone)")
PACKAGE_OWNER_LABEL = gettext_noop("{server}: node running package {package}")
_LABEL_FORMS = (
    (NODE_LABEL, re.compile(r"(?P<host>\S+) \(node (?P<position>[12])\)")),
    (STANDALONE_LABEL, re.compile(r"(?P<host>\S+) \(standalone\)")),
    (PACKAGE_OWNER_LABEL, re.compile(r"(?P<server>\S+): node running package (?P<package>\S+)")),
)


def node_label(host_name: str, position: int) -> str:
    return NODE_LABEL.format(host=host_name, position=position)


def standalone_label(host_name: str) -> str:
    return STANDALONE_LABEL.format(host=host_name)


def package_owner_label(server_name: str, package: str) -> str:
    return PACKAGE_OWNER_LABEL.format(server=server_name, package=package)


def host_message(label: str) -> str:
    """A host label as a stored message (``procedures.texts``) when it is one of the forms above, else as it is."""
    for msgid, pattern in _LABEL_FORMS:
        match = pattern.fullmatch(label or "")
        if match:
            return message(msgid, **match.groupdict())
    return label


def host_shown(label: str, language: str | None = None) -> str:
    """A host label in the reader's language: "gmx1a (node 1)" reads "gmx1a（ノード 1）" in Japanese."""
    return render_message(host_message(label), language)


@dataclass(frozen=True)
class HostRef:
    """One machine a step acts on, resolved from the inventory when the plan is rendered.

    ``node_id`` names a cluster node; ``server_id`` a standalone server. ``resolve = "package_owner"`` (the
    source says "the node that runs the package" and names none) means: of the candidates in
    ``candidate_node_ids``, act on the node that runs ``package`` at the moment the step starts (the executor
    asks ``cmviewcl``); ``node_id`` is then the first candidate.
    """

    label: str  # what the operator reads: "gmx1a (node 1)", "mailsv03 (standalone)"
    host_name: str
    node_id: int | None = None
    server_id: int | None = None
    resolve: str = ""  # "" or "package_owner"
    package: str = ""
    candidate_node_ids: tuple[int, ...] = ()
    command: str = ""  # the exact shell command for this host (command, edit and check steps)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: dict[str, str]  # {"ja": ..., "en": ...}
    expected: str = ""  # the value the dialog must show, rendered from the inventory (e.g. "gmaxhost")

    def shown(self, language: str | None = None) -> dict:
        """The item as every page, form and record shows it, in the reader's language."""
        label = localised(self.label, language)
        text = f"{label} = {self.expected}" if self.expected else label
        return {"key": self.key, "label": label, "expected": self.expected, "text": text}


@dataclass(frozen=True)
class SuccessRule:
    """What decides that an executed step succeeded on one host.

    Success when the exit code is in ``exit_codes`` and, if ``expect_output`` is set, that regex matches
    the output; or, whatever the exit code, when ``accept_output`` is set and matches (e.g. nxsrepstat's
    "no transaction records" message, adsrvn's known distribution message).
    """

    exit_codes: tuple[int, ...] = (0,)
    expect_output: str = ""
    accept_output: str = ""


@dataclass(frozen=True)
class Artefact:
    """A generated file shown before it is applied: gmpublicinfo records, /etc/services lines, control script."""

    name: str
    path: str
    content: str
    host_label: str = ""


@dataclass(frozen=True)
class PlannedStep:
    key: str  # unique within the procedure, stable across catalog versions: "a.vg_activate.node2"
    seed_ids: tuple[str, ...]  # ("A-01",); empty for a step the careful tool adds (then deviation says why)
    kind: str  # Kind.*
    target: str  # Target.*
    title: dict[str, str]
    instruction: dict[str, str]
    hosts: tuple[HostRef, ...] = ()  # empty for console/confirm steps
    checklist: tuple[ChecklistItem, ...] = ()
    success: SuccessRule = field(default_factory=SuccessRule)
    timeout_s: int = 600
    rerunnable: bool = False  # safe to run again after an interruption without a person deciding
    needs_signoff: bool = False  # four-eyes: a second person signs the step off
    four_eyes: str = ""  # the kind of four-eyes step (choices.FourEyesKind), for the domain's number of approvers
    conditions: tuple[str, ...] = ()  # the catalog conditions that made this step part of the plan
    deviation: dict[str, str] | None = None  # how and why it differs from the source (flaws), or None
    artefacts: tuple[Artefact, ...] = ()
    locks_master: bool = False  # edits the master management server's cluster: the run holds it too
    domain_duty: bool = False  # a standing duty of the domain (A-N1/B-N1/C-N1), followed by the domain report


@dataclass(frozen=True)
class Plan:
    procedure: str  # "k5-1a", "k5-1b", "k5-2"
    version: str  # catalog version of that procedure
    title: dict[str, str]
    cluster_id: int
    cluster_name: str
    options: dict[str, bool]
    steps: tuple[PlannedStep, ...]
    omitted: tuple[
        dict, ...
    ] = ()  # [{"key", "seed_ids", "title", "because": {"ja","en"}}]: steps left out by conditions

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        steps = []
        for s in data["steps"]:
            steps.append(
                PlannedStep(
                    **{
                        **s,
                        "seed_ids": tuple(s["seed_ids"]),
                        "hosts": tuple(
                            HostRef(**{**h, "candidate_node_ids": tuple(h["candidate_node_ids"])}) for h in s["hosts"]
                        ),
                        "checklist": tuple(ChecklistItem(**c) for c in s["checklist"]),
                        "success": SuccessRule(**{**s["success"], "exit_codes": tuple(s["success"]["exit_codes"])}),
                        "conditions": tuple(s["conditions"]),
                        "artefacts": tuple(Artefact(**a) for a in s["artefacts"]),
                    }
                )
            )
        return cls(**{**data, "steps": tuple(steps), "omitted": tuple(data.get("omitted", ()))})

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_json(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()
