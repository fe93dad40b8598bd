"""A rendered plan as the plan page shows it: texts in the reader's language, artefacts gathered once."""

from __future__ import annotations

from procedures.plan import CONDITION_LABELS, KIND_LABELS, TARGET_LABELS, Kind, Plan
from procedures.texts import localised

MAIL_LINES_STAY_COMMENTED = {
    "ja": "Mail Server を使わないサーバでは、制御スクリプトの APSTART・APSTOP・mlstatp（mailSV）の行をコメントのまま"
    "にします。これらはメールサーバの起動・停止・監視だけを行い、アドレスサービスは別の行（xodstart、GM_START、"
    "adstatp）で起動・監視されます。有効にすると、パッケージを起動するたびに成功しようのないメールサーバの起動と"
    "監視が走ります。K.5 の (M) のとおりです（欠陥 5）。",
    "en": "On a server without Mail Server, the control script's APSTART, APSTOP and mlstatp (mailSV) lines stay "
    "commented out. They only start, stop and watch the mail server; the address service is started and watched by "
    "other lines (xodstart, GM_START, adstatp). Made active, every package start would run a mail-server start and "
    "monitor that cannot succeed. This is the source's (M) (flaw 5).",
}
MAIL_LINES_ACTIVE_LATER = {
    "ja": "Mail Server を使うため、最初の起動ではメール関連行をコメントにし、メールサーバを運転席で登録した後で有効に"
    "します（A-46 / B-42）。(2) の C-28 では最初から有効です。",
    "en": "This server uses Mail Server: the mail lines are comments for the first start and become active once the "
    "mail server is registered in the console (A-46 / B-42). In (2), C-28 writes them active at once.",
}


PLACES = {
    "node1": {"ja": "ノード 1", "en": "Node 1"},
    "node2": {"ja": "ノード 2", "en": "Node 2"},
    "both": {"ja": "両ノード", "en": "Both nodes"},
    "cluster": {"ja": "クラスタ", "en": "The cluster"},
    "master": {"ja": "マスタ管理サーバ", "en": "The master management server"},
    "mail_servers": {"ja": "メールサーバ", "en": "The mail servers"},
    "address_servers": {"ja": "アドレスサーバ", "en": "The address servers"},
    "console": {"ja": "運転席（コンソール）", "en": "The console"},
}


def pick(texts: dict | None, lang: str) -> str:
    return localised(texts, lang)


def sections(steps: list[dict], lang: str) -> list[dict]:
    """The plan's table of contents: each stretch of consecutive steps on one place (node 2, node 1, the
    console …) is a phase, titled by that place (with the node's host name) and the source IDs it covers."""
    out: list[dict] = []
    for step in steps:
        if not out or out[-1]["target"] != step["target"]:
            title = pick(PLACES.get(step["target"]), lang) or step["target"]
            if step["target"] in ("node1", "node2") and step["hosts"]:
                title = f"{title}: {step['hosts'][0].host_name}"
            out.append({"target": step["target"], "title": title, "steps": []})
        out[-1]["steps"].append(step)
    for number, section in enumerate(out, start=1):
        ids = [i for s in section["steps"] for i in s["seed_ids"]]
        section.update(
            number=number,
            anchor=f"phase-{number}",
            first=section["steps"][0]["number"],
            last=section["steps"][-1]["number"],
            ids=f"{ids[0]} … {ids[-1]}" if len(ids) > 1 else "".join(ids),
        )
    return out


def plan_for_display(plan: Plan, lang: str) -> dict:
    lang = "ja" if lang.startswith("ja") else "en"
    steps, artefacts, seen = [], [], set()
    for number, step in enumerate(plan.steps, start=1):
        for a in step.artefacts:
            if (a.path, a.content) not in seen:
                seen.add((a.path, a.content))
                artefacts.append({"step": number, "key": step.key, **a.__dict__})
        steps.append(
            {
                "number": number,
                "key": step.key,
                "seed_ids": step.seed_ids,
                "kind": step.kind,
                "target": step.target,
                "kind_label": str(KIND_LABELS.get(step.kind, step.kind)),
                "target_label": str(TARGET_LABELS.get(step.target, step.target)),
                "title": pick(step.title, lang),
                "instruction": pick(step.instruction, lang),
                "hosts": step.hosts,
                "checklist": [c.shown(lang) for c in step.checklist],
                "success": step.success,
                "timeout_s": step.timeout_s,
                "rerunnable": step.rerunnable,
                "needs_signoff": step.needs_signoff,
                "conditions": step.conditions,
                "condition_labels": [{"code": c, "label": str(CONDITION_LABELS.get(c, c))} for c in step.conditions],
                "deviation": pick(step.deviation, lang),
                "artefacts": step.artefacts,
                "locks_master": step.locks_master,
                "at_console": step.kind in (Kind.CONSOLE, Kind.CONFIRM),
                "domain_duty": getattr(step, "domain_duty", False),
            }
        )
    omitted = [
        {
            "key": o["key"],
            "seed_ids": o["seed_ids"],
            "title": pick(o["title"], lang),
            "because": pick(o["because"], lang),
        }
        for o in plan.omitted
    ]
    mail = bool(plan.options.get("mail_server"))
    return {
        "title": pick(plan.title, lang),
        "steps": steps,
        "sections": sections(steps, lang),
        "omitted": omitted,
        "artefacts": artefacts,
        "deviations": sum(1 for s in steps if s["deviation"]),
        "signoffs": sum(1 for s in steps if s["needs_signoff"]),
        "mail_decision": pick(MAIL_LINES_ACTIVE_LATER if mail else MAIL_LINES_STAY_COMMENTED, lang),
    }
