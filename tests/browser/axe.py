"""axe-core in the browser tests: the copy bundled with axe-playwright-python, injected from that local file."""

import json
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("serious", "critical")  # impacts a page may not have


def assert_accessible(page, name: str, folder: Path | None = None) -> None:
    """No serious or critical axe-core violation on the page as it is now; the full report goes to ``folder``."""
    violations = Axe().run(page).response["violations"]
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"axe-{name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name}: axe-core finds\n" + "\n".join(blocking)
