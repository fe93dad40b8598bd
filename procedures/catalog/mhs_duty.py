"""The domain duty on its own: ``mhs_nadr_cfg TCP OFF`` on both nodes of one clustered mail server.

K.5 makes it a standing duty of the domain (A-N1, B-N1, C-N1): a mail server added later, or one whose node 2
lacks the setting (flaw 4), needs it without a whole K.5 procedure. The domain report plans this from a
flagged server in one click. The steps are those the full procedures use after their cluster start.
"""

from dataclasses import replace

from procedures.catalog import steps
from procedures.catalog.base import Procedure, text

CODE = "mhs-duty"
VERSION = "1.0"
TITLE = text("mhs_nadr_cfg TCP OFF（ドメインの義務のみ）", "mhs_nadr_cfg TCP OFF (the domain duty alone)")
WHY = steps._dev(
    "K.5 の恒常的な義務（A-N1 / B-N1 / C-N1）を、手順全体ではなくこのサーバだけに実施します。"
    "欠陥 4 のとおり、両ノードで実行します。",
    "The standing duty of K.5 (A-N1 / B-N1 / C-N1) done for this server alone, not as part of a whole "
    "procedure; on both nodes, as flaw 4 recommends.",
)

STEPS = (
    replace(steps.mhs_node1("duty"), key="duty.mhs_nadr_cfg", seed_ids=(), deviation=WHY),
    steps.switch_to_node2("duty"),
    steps.mhs_node2("duty"),
    steps.switch_back("duty"),
)

PROCEDURE = Procedure(CODE, VERSION, TITLE, None, STEPS, ("mail_server",))
