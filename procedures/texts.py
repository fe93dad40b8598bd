"""The catalog's texts in the reader's language: one picker for pages, the admin, exports and the API."""

from __future__ import annotations

from django.utils.translation import get_language

LANGUAGES = ("ja", "en")  # the order of fallback: the source procedure is Japanese


def reader_language(language: str | None = None) -> str:
    """``ja`` or ``en``: the reader's language (the active one when not given), as the catalog keys its texts."""
    return "en" if (language or get_language() or "ja").startswith("en") else "ja"


def localised(value, language: str | None = None) -> str:
    """Pick the reader's text from a catalog ``{"ja": …, "en": …}``; a missing one falls back to Japanese, then
    English, then whatever the text has. Plain strings pass through."""
    if not isinstance(value, dict):
        return str(value or "")
    wanted = reader_language(language)
    for lang in (wanted, *LANGUAGES):
        if value.get(lang):
            return value[lang]
    return next((v for v in value.values() if v), "")
