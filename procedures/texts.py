"""Texts in the reader's language: the catalog's picker, and the portal's stored messages rendered on reading."""

from __future__ import annotations

import json
import string

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import get_language, trans_real

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


# ---------------------------------------------------------------- messages stored for any reader
#
# What the portal itself writes (a step's outcome, a host's result, why a run waits, its own log lines) is
# read later by people of either language, so it is stored as a message id (the English source, translated by
# gettext) with its parameters, and rendered when read. The stored form is ``MARK`` + compact JSON
# ``{"m": msgid, "p": {name: value}}`` in the same text column: the log writer's batches, the wire and the
# database schema stay as they are, and a row written before (free text) is shown as it is. A value is a
# literal, a nested message (``{"m": …}``), a catalog text in both languages (``{"t": {"ja": …, "en": …}}``)
# or a list of values shown joined by "; ".

MARK = "\x1e"  # ASCII record separator: starts a stored message; the portal's own texts never do
JOIN = "; "


def message(msgid: str, **params) -> str:
    """A message to store: ``msgid`` marked with ``gettext_noop`` where it is written, rendered on reading."""
    body = {"m": str(msgid)}
    if params:
        body["p"] = {name: _stored_value(value) for name, value in params.items()}
    return MARK + json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _stored_value(value):
    if isinstance(value, Promise):  # a gettext_lazy label (a state's): keep its id, not this language's text
        with translation.override(None):
            return {"m": str(value)}
    if isinstance(value, str):
        decoded = _decode(value)
        return decoded if decoded is not None else value
    if isinstance(value, dict):  # a catalog text in both languages (a step's title)
        return {"t": {str(k): str(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [_stored_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, BaseException):
        return error_text(value)
    return str(value)


def error_text(error: BaseException):
    """An error as a stored value: a ``PortalError`` keeps its message id and parameters, others their text."""
    template = getattr(error, "template", None)
    if template is not None:
        with translation.override(None):
            body = {"m": str(template)}
        params = getattr(error, "params", None) or {}
        if params:
            body["p"] = {name: _stored_value(value) for name, value in params.items()}
        return body
    return f"{error.__class__.__name__}: {error}"


def _decode(stored: str):
    if not stored.startswith(MARK):
        return None
    try:
        body = json.loads(stored[1:])
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("m"), str) else None


class _NamesOnly(string.Formatter):
    """Formats ``{name}`` fields only: a stored id can never reach an attribute or an item of a parameter."""

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return kwargs[field_name], field_name

    def convert_field(self, value, conversion):
        return value  # no !r / !a

    def format_field(self, value, format_spec):
        return str(value)  # no width or fill: a stored id cannot make a huge text


_FORMATTER = _NamesOnly()


def _render(value) -> str:
    if isinstance(value, dict) and "t" in value:
        return localised(value["t"])
    if isinstance(value, dict):
        params = {name: _render(v) for name, v in (value.get("p") or {}).items()}
        text = translation.gettext(value.get("m", ""))
        try:
            return _FORMATTER.vformat(text, (), params)
        except (KeyError, IndexError, ValueError):  # a translation or a stored id that does not fit its parameters
            return text
    if isinstance(value, list):
        return JOIN.join(_render(v) for v in value)
    return "" if value is None else str(value)


def render_message(stored, language: str | None = None) -> str:
    """A stored text in ``language`` (the active one when not given); free text (rows before messages) as it is."""
    if not isinstance(stored, str) or not stored.startswith(MARK):
        return "" if stored is None else str(stored)
    body = _decode(stored)
    if body is None:
        return stored
    if language is None:
        return _render(body)
    with translation.override(reader_language(language)):
        return _render(body)


def language_of_scope(scope) -> str:
    """The reader's language on a websocket, chosen as ``LocaleMiddleware`` chooses it for a page: the language
    cookie, else the browser's Accept-Language, else the site's language."""
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        try:
            return translation.get_supported_language_variant(cookie)
        except LookupError:
            pass
    header = dict(scope.get("headers") or ()).get(b"accept-language", b"").decode("latin-1")
    for code, _q in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
