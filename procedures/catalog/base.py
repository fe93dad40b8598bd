"""The vocabulary of the catalog: what one abstract step says, before it meets a cluster.

A catalog module (k5_1a.py, k5_1b.py, k5_2.py) is a VERSION string and a tuple of ``Step`` values in the
order an operator performs them. ``render.py`` turns them into a ``procedures.plan.Plan``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from procedures.plan import Kind, Target, text

__all__ = ["CONDITIONS", "OPTIONS", "Check", "Kind", "Procedure", "Step", "Target", "text"]


@dataclass(frozen=True)
class Check:
    """One line of a console checklist; ``expected`` is a display template such as "{package_host}"."""

    key: str
    label: dict[str, str]
    expected: str = ""


@dataclass(frozen=True)
class Step:
    key: str  # stable across catalog versions
    seed_ids: tuple[str, ...]  # K.5 step IDs (procedures/catalog/source.tsv); () for a step the careful tool adds
    kind: str
    target: str  # Target.*: where the source says the step acts
    title: dict[str, str]
    instruction: dict[str, str]
    action: str = ""  # its kind in actions.ACTIONS: command, success rule, generated files (command/edit/check)
    params: dict = field(default_factory=dict)  # arguments of the action
    run_on: str = ""  # where a "cluster" step is executed (node1); defaults to the target
    conditions: tuple[str, ...] = ()  # all must hold for the step to be part of a plan
    varies_with: tuple[str, ...] = ()  # options that change the rendered command, not whether the step runs
    rerunnable: bool = False
    needs_signoff: bool = False
    four_eyes: str = ""  # choices.FourEyesKind of a four-eyes step: a domain may ask more approvers for that kind
    timeout_s: int = 600
    deviation: dict[str, str] | None = None
    checklist: tuple[Check, ...] = ()
    locks_master: bool = False
    domain_duty: bool = False  # a standing duty of the domain (A-N1, B-N1, C-N1): the domain report follows it
    omitted_because: dict[str, str] | None = None  # why, when its conditions leave it out (overrides the default)
    inferred: bool = False  # the source names no node; the target is a reading of the context

    def as_json(self) -> dict:
        data = asdict(self)
        data["checklist"] = [asdict(c) for c in self.checklist]
        return data


@dataclass(frozen=True)
class Procedure:
    code: str
    version: str
    title: dict[str, str]
    server_role: str | None  # the role the cluster's server must have ("master", "address"), or None for any
    steps: tuple[Step, ...]
    options: tuple[str, ...]

    def fits(self, server_role: str) -> bool:
        """Whether this procedure is for a server of ``server_role`` (the one rule the plan page and render ask)."""
        return self.server_role is None or self.server_role == server_role

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "server_role": self.server_role,
            "options": list(self.options),
            "steps": [s.as_json() for s in self.steps],
        }


# Conditions a step may carry, the option they read and the reason shown when a plan leaves the step out.
CONDITIONS: dict[str, tuple[str, bool, dict[str, str]]] = {
    "mail_server": (
        "mail_server",
        True,
        text(
            "このサーバは Mail Server を使用しないため不要です（(M) の手順）。",
            "This server does not use Mail Server; the step is marked (M).",
        ),
    ),
    "db_files_not_precreated": (
        "db_files_precreated",
        False,
        text(
            "データベースファイルは共有ディスク上に作成済みです（オプション）。",
            "The database files were already created on the shared disk (option).",
        ),
    ),
    "database_directory_renamed": (
        "database_directory_renamed",
        True,
        text(
            "移行前のデータベースファイルディレクトリは共有ディスクのものと同じ名前なので、リンクは不要です。",
            "The database directory keeps its name on the shared disk, so no link is needed.",
        ),
    ),
    "migration_path": (
        "migration_path",
        True,
        text(
            "システム管理者が root でない環境を (1) で新規構築してデータを移行する別の道のための注意で、"
            "この場での移行（C-01〜C-43）の手順ではありません。",
            "A note for the other path (administrator not root: build anew with (1) and migrate the data); "
            "not a step of the in-place conversion C-01 … C-43.",
        ),
    ),
}

# Options of a plan: where each comes from and whether the operator may change it on the plan page.
OPTIONS = {
    "mail_server": "inventory",  # GroupmaxServer.uses_mail_server
    "replication_option": "inventory",  # GroupmaxServer.replication_option
    "standby_lan": "inventory",  # some node has a standby-LAN address
    "db_files_precreated": "operator",  # A-18 / B-18+B-19 left out
    "previous_database_directory": "operator",  # (2) only: the database directory before the conversion
    "database_directory_renamed": "derived",  # (2) only: previous_database_directory != the shared one
    "migration_path": "derived",  # always False: C-P1 … C-P4 belong to the other path
}
