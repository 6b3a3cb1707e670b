"""French and English (B7): catalogs compiled in memory at start-up, locale per request.

The locale lives in a context variable set by the auth middleware once it knows the user, so
Jinja templates and Python code translate through the same ``gettext`` without passing the
request around.
Choice: the user's own setting, else the ``lang`` cookie the switch sets, else Accept-Language.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from aiohttp import web
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

_current: ContextVar[str] = ContextVar("prowebcrm_language", default=DEFAULT_LANGUAGE)
_catalogs: dict[str, _gettext.NullTranslations] = {}


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, _gettext.NullTranslations]:
    """Compile each language's ``*.po`` files to in-memory .mo (no binary file in the
    repository). Each feature keeps its own file (``messages.po``, ``agent.po``...), merged
    here; ``messages.po`` is read first and wins on a duplicate msgid."""
    catalogs: dict[str, _gettext.NullTranslations] = {}
    for language in LANGUAGES:
        folder = locale_dir / language / "LC_MESSAGES"
        paths = sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))
        merged: _gettext.NullTranslations = _gettext.NullTranslations()
        for path in reversed(paths):  # the last added fallback is consulted last
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            buffer = BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations = _gettext.GNUTranslations(buffer)
            translations.add_fallback(merged)
            merged = translations
        catalogs[language] = merged
    _catalogs.clear()
    _catalogs.update(catalogs)
    return catalogs


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def _catalog() -> _gettext.NullTranslations:
    if not _catalogs:
        load_catalogs()
    return _catalogs.get(_current.get()) or _gettext.NullTranslations()


def gettext(message: str) -> str:
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


_ = gettext


def negotiate(request: web.Request, user_language: str = "") -> str:
    if user_language in LANGUAGES:
        return user_language
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    header = request.headers.get("Accept-Language", "")
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    found = Locale.negotiate([w for w in wanted if w], list(LANGUAGES), sep="_")
    return str(found.language) if found else DEFAULT_LANGUAGE
