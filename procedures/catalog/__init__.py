"""The K.5 procedure catalog: one declarative module per procedure, each with its own version.

- ``k5_1a`` — (1)(a) new master management server (A-01 … A-50, A-N1)
- ``k5_1b`` — (1)(b) new address server (B-01 … B-46, B-N1)
- ``k5_2``  — (2) converting an existing environment (C-00 gate, C-P1 … C-P4 notes, C-01 … C-43, C-N1)

``render_plan(cluster, code, options)`` turns one of them into a ``procedures.plan.Plan`` for a cluster.
"""

from __future__ import annotations

from procedures.catalog.base import CONDITIONS, OPTIONS
from procedures.catalog.context import CatalogError
from procedures.catalog.procedures import PROCEDURES, get_procedure
from procedures.catalog.render import render_plan


def catalog_as_json() -> dict:
    """The abstract catalog (not rendered against a cluster), as ``manage.py catalog --json`` prints it."""
    return {
        "procedures": [p.as_json() for p in PROCEDURES.values()],
        "conditions": {
            name: {"option": opt, "when": wanted, "otherwise": why} for name, (opt, wanted, why) in CONDITIONS.items()
        },
        "options": OPTIONS,
    }


__all__ = ["PROCEDURES", "CatalogError", "catalog_as_json", "get_procedure", "render_plan"]
