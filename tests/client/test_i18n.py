"""The interface language of the terminal and desktop clients: every string the views wrap is
translated into Persian, the shipped .mo is what GNU msgfmt makes of the .po (placeholders
checked), and the language follows the setting, then the locale."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from socketchat.client import i18n
from tests.support import require_tool

CLIENT = Path(i18n.__file__).parent
SOURCES = ["i18n.py", "runs.py", "viewstate.py", "nickrules.py", "tui/app.py"]
SOURCES += sorted(str(p.relative_to(CLIENT)) for p in (CLIENT / "gui").glob("*.py"))
PO = CLIENT / "locale" / "fa" / "LC_MESSAGES" / "socketchat.po"


@pytest.fixture(autouse=True)
def english_afterwards() -> object:
    yield None
    i18n.set_language("en")


def _compile(po: Path, mo: Path) -> Path:
    msgfmt = require_tool("msgfmt")
    subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True, timeout=60)
    return mo


def test_every_string_of_the_views_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "all.pot"
    subprocess.run(
        [require_tool("xgettext"), "--language=Python", "--keyword=_", "--keyword=ngettext:1,2",
         "--from-code=UTF-8", "--no-location", "-o", str(pot), *SOURCES],
        cwd=CLIENT, check=True, timeout=60,
    )  # fmt: skip
    ids = [
        block.split("msgid ", 1)[1].split("\nmsgstr", 1)[0].split("\nmsgid_plural", 1)[0]
        for block in pot.read_text(encoding="utf-8").split("\n\n")[1:]
    ]
    wanted = ["".join(part.strip()[1:-1] for part in raw.splitlines()) for raw in ids]
    assert len(wanted) > 45  # the views' strings, not a handful
    i18n.set_language("fa")
    untranslated = []
    for msgid in wanted:
        text = msgid.replace('\\"', '"').replace("\\\\", "\\")
        if i18n._(text) == text and i18n.ngettext(text, text, 2) == text:
            untranslated.append(text)
    assert untranslated == []


def test_the_shipped_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    fresh = _compile(PO, tmp_path / "fa.mo")  # --check: placeholders and headers agree
    shipped = PO.with_suffix(".mo")
    assert shipped.read_bytes() == fresh.read_bytes(), "run scripts/update-translations.sh"


def test_language_from_the_setting_then_the_locale() -> None:
    assert i18n.pick_language("fa", {"LANG": "en_US.UTF-8"}) == "fa"
    assert i18n.pick_language(None, {"LANG": "fa_IR.UTF-8"}) == "fa"
    assert i18n.pick_language(None, {"LANGUAGE": "de:fa", "LANG": "C"}) == "fa"
    assert i18n.pick_language(None, {"LC_ALL": "C.UTF-8", "LANG": "fa_IR"}) == "en"
    assert i18n.pick_language("klingon", {}) == "en"
    assert i18n.set_language("fa_IR.UTF-8") == "fa" and i18n.is_rtl()
    assert i18n._("status") == "وضعیت"
    assert i18n.ngettext("{count} here", "{count} here", 3).format(count=3) == "3 نفر اینجا"
    assert i18n.set_language("en") == "en" and not i18n.is_rtl()
    assert i18n._("status") == "status"
