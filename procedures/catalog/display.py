"""A rendered plan as the plan page shows it: texts in the reader's language, artefacts gathered once."""

from __future__ import annotations

from procedures.plan import KIND_LABELS, TARGET_LABELS, Plan
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


def pick(texts: dict | None, lang: str) -> str:
    return localised(texts, lang)


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
                "deviation": pick(step.deviation, lang),
                "artefacts": step.artefacts,
                "locks_master": step.locks_master,
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
        "omitted": omitted,
        "artefacts": artefacts,
        "deviations": sum(1 for s in steps if s["deviation"]),
        "signoffs": sum(1 for s in steps if s["needs_signoff"]),
        "mail_decision": pick(MAIL_LINES_ACTIVE_LATER if mail else MAIL_LINES_STAY_COMMENTED, lang),
    }
