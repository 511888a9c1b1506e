"""The interface language of the terminal and desktop clients (stdlib gettext).

Every string the two Python views show is written in English and wrapped in `_` (or `ngettext`),
looked up at the moment it is drawn, so `set_language` switches the interface while running
(the views then redraw). The catalogs are `locale/<lang>/LC_MESSAGES/socketchat.po`, compiled
to the `.mo` files beside them with GNU ``msgfmt`` and shipped in the package, so nothing is
built at install time; tests/client/test_i18n.py checks that every wrapped string of the views
has a Persian translation and that the committed `.mo` is what ``msgfmt`` makes of the `.po`.
After editing a `.po`: ``msgfmt -c -o socketchat.mo socketchat.po`` in its folder.

The language is chosen from, in order: the setting (`--lang`, ``/lang``, the settings file),
then the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. Persian is
right-to-left: `is_rtl` tells the views to lay themselves out mirrored where the toolkit can.

The client cores' own lines (joins, parts, modes, "start of history", errors…) are made with
`events.tr` in both cores: the English with named fields, translated by the view when drawn
(`viewstate.body_text`). The same catalog gives the page its table of them: `js_catalog` writes
``web/static/coremessages.js`` from the ``tr("…")`` templates of the browser's core
(scripts/update-translations.sh), so both cores' lines have one translation.
"""

from __future__ import annotations

import gettext
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "_",
    "is_rtl",
    "js_catalog",
    "js_templates",
    "language",
    "locale_language",
    "ngettext",
    "pick_language",
    "set_language",
]

DOMAIN = "socketchat"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES: Mapping[str, str] = {"en": "English", "fa": "فارسی"}  # code → its own name
_RTL = frozenset({"fa"})

_current = "en"
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def _tag_language(tag: str) -> str | None:
    """``fa_IR.UTF-8`` → ``fa`` when it is a language we ship."""
    code = tag.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the locale asks for, if we ship it (gettext's order of variables)."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for tag in value.split(":"):
            found = _tag_language(tag)
            if found:
                return found
        if name != "LANGUAGE":  # the first set of LC_ALL / LC_MESSAGES / LANG decides
            return None
    return None


def pick_language(setting: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The setting when it names a shipped language, else the locale's, else English."""
    if setting:
        found = _tag_language(setting)
        if found:
            return found
    return locale_language(environ) or "en"


def set_language(lang: str) -> str:
    """Switch the interface to `lang` (a code or a locale tag); returns the code in use."""
    global _current, _catalog
    code = _tag_language(lang) or "en"
    if code == "en":
        _catalog = gettext.NullTranslations()
    else:
        _catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    _current = code
    return code


def language() -> str:
    return _current


def is_rtl() -> bool:
    """Is the interface language written right to left (Persian)?"""
    return _current in _RTL


def _(message: str) -> str:
    """`message` in the interface language (English when there is no translation)."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalog.ngettext(singular, plural, count)


STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
_JS_TR = re.compile(r'\btr\("((?:[^"\\]|\\.)*)"')


def js_templates(sources: Iterable[Path] | None = None) -> list[str]:
    """The ``tr("…")`` templates of the browser's core (its static/*.js), sorted, each once."""
    files = sorted(STATIC_DIR.glob("*.js")) if sources is None else sources
    found: set[str] = set()
    for path in files:
        for literal in _JS_TR.findall(path.read_text(encoding="utf-8")):
            found.add(json.loads(f'"{literal}"'))
    return sorted(found)


def js_catalog(languages: Iterable[str] = ("fa",)) -> str:
    """``coremessages.js``: for each language, the translation of every template of the
    browser's core found in our catalog (the page falls back to the English for the rest)."""
    table: dict[str, dict[str, str]] = {}
    templates = js_templates()
    for lang in languages:
        catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
        table[lang] = {t: catalog.gettext(t) for t in templates if catalog.gettext(t) != t}
    body = json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True)
    return (
        "// Made by scripts/update-translations.sh from client/locale (do not edit):\n"
        "// the lines the browser's core writes itself (its tr(...) templates), translated.\n"
        f"export const CORE_MESSAGES = {body};\n"
    )


if __name__ == "__main__":  # scripts/update-translations.sh
    (STATIC_DIR / "coremessages.js").write_text(js_catalog(), encoding="utf-8")
