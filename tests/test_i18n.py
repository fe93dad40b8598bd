"""Every UI string has a Japanese translation, including strings added since the catalog was last made."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import require_binary

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("manage.py", "portal", "clusters", "procedures", "templates")


def untranslated(po: Path) -> str:
    """The entries of ``po`` that are untranslated or fuzzy, as msgattrib prints them (empty when none)."""
    msgattrib = require_binary("msgattrib", "gettext")
    found = ""
    for flag in ("--untranslated", "--only-fuzzy"):
        found += subprocess.run(
            [msgattrib, flag, "--no-obsolete", str(po)], capture_output=True, text=True, check=True
        ).stdout
    entries = [block for block in found.split("\n\n") if "msgid" in block and "Project-Id-Version" not in block]
    return "\n\n".join(entries)


def test_every_string_of_the_current_code_has_a_japanese_translation(tmp_path):
    """makemessages on a copy of the code, merged with the committed catalog: nothing may stay untranslated."""
    for name in SOURCES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-obsolete", "--verbosity", "0"],
        cwd=tmp_path,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PORTAL_VAR_DIR": str(tmp_path / "var")},
    )
    left = untranslated(tmp_path / "locale/ja/LC_MESSAGES/django.po")
    assert not left, f"untranslated or fuzzy Japanese strings:\n{left[:3000]}"


def test_every_field_of_the_portals_models_has_a_translated_name():
    """The admin's labels and the history's field names come from ``verbose_name``: each is a gettext text."""
    from django.apps import apps
    from django.utils.functional import Promise

    untranslated = [
        f"{model.__name__}.{field.name}"
        for app in ("clusters", "procedures", "portal")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")  # django-simple-history's copies: the history names them
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and not field.auto_created and not isinstance(field.verbose_name, Promise)
    ]
    assert not untranslated
