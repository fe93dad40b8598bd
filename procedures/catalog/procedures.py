"""The catalog's procedures, one module each, looked up by code; the only list of procedures in the portal.

Forms and pages take their choices from ``PROCEDURES``. At import every step's ``action`` is checked against
``actions.ACTIONS``, so a misspelt step kind stops the start-up instead of a later plan.
"""

from __future__ import annotations

from procedures.catalog import k5_1a, k5_1b, k5_2, mhs_duty
from procedures.catalog.actions import ACTIONS
from procedures.catalog.base import Procedure
from procedures.catalog.context import CatalogError

PROCEDURES: dict[str, Procedure] = {m.PROCEDURE.code: m.PROCEDURE for m in (k5_1a, k5_1b, k5_2, mhs_duty)}


def get_procedure(code: str) -> Procedure:
    try:
        return PROCEDURES[code]
    except KeyError:
        raise CatalogError(f"Unknown procedure {code!r}; the catalog has {', '.join(PROCEDURES)}.") from None


def procedures_for(server_role: str) -> list[Procedure]:
    """The procedures that fit a server of ``server_role``, in the catalog's order."""
    return [p for p in PROCEDURES.values() if p.fits(server_role)]


def _check_actions() -> None:
    unknown = sorted({s.action for p in PROCEDURES.values() for s in p.steps if s.action} - set(ACTIONS))
    if unknown:
        raise CatalogError(f"Steps name actions that actions.ACTIONS does not define: {', '.join(unknown)}.")


_check_actions()
