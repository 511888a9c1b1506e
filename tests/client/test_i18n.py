"""The interface language of the terminal and desktop clients: every string the views wrap, and
every line both client cores write themselves (``tr("…")``), is translated into Persian; the
shipped .mo is what GNU msgfmt makes of the .po (placeholders checked), the page's table of the
core's lines is what the catalog gives; the language follows the setting, then the locale."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from socketchat.client import i18n
from tests.support import require_tool

CLIENT = Path(i18n.__file__).parent
SOURCES = ["i18n.py", "runs.py", "viewstate.py", "nickrules.py", "notify.py", "tui/app.py"]
SOURCES += sorted(str(p.relative_to(CLIENT)) for p in (CLIENT / "gui").glob("*.py"))
# the cores: every client/*.py that is not a view's, and the browser's core
CORE = sorted(p.name for p in CLIENT.glob("*.py") if p.name not in SOURCES)
CORE += sorted(f"../web/static/{p.name}" for p in i18n.STATIC_DIR.glob("*.js"))
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
        [require_tool("xgettext"), "--keyword=_", "--keyword=ngettext:1,2", "--keyword=tr",
         "--from-code=UTF-8", "--no-location", "-o", str(pot), *SOURCES, *CORE],
        cwd=CLIENT, check=True, timeout=60,
    )  # fmt: skip
    ids = [
        block.split("msgid ", 1)[1].split("\nmsgstr", 1)[0].split("\nmsgid_plural", 1)[0]
        for block in pot.read_text(encoding="utf-8").split("\n\n")[1:]
    ]
    wanted = ["".join(part.strip()[1:-1] for part in raw.splitlines()) for raw in ids]
    assert len(wanted) > 150  # the views' strings and the cores' lines, not a handful
    assert "{nick} joined" in wanted and "start of history" in wanted  # both cores are read
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


def test_the_page_table_of_the_core_lines_is_made_from_the_catalog() -> None:
    shipped = (i18n.STATIC_DIR / "coremessages.js").read_text(encoding="utf-8")
    assert shipped == i18n.js_catalog(), "run scripts/update-translations.sh"
    templates = i18n.js_templates()
    assert len(templates) > 60 and "{nick} ({host}) joined" in templates
    table = json.loads(shipped.split("CORE_MESSAGES = ", 1)[1].rstrip().rstrip(";"))
    assert [t for t in templates if t not in table["fa"]] == []  # every one translated


def test_a_core_line_is_drawn_in_the_interface_language() -> None:
    from socketchat.client.events import ChatLine, tr
    from socketchat.client.helpers import local_time
    from socketchat.client.viewstate import body_text

    said = tr("{nick} left ({reason})", nick="bob", reason="خداحافظ")
    line = ChatLine("#lobby", local_time(0), "bob", said.fill(), "part", said=said)
    assert body_text(line) == "bob left (خداحافظ)" == line.text
    i18n.set_language("fa")
    assert body_text(line) == "bob بیرون رفت (خداحافظ)"
    broken = tr("{nick} joined", nick="x").fill("{who} وارد شد")  # a bad translation: English
    assert broken == "x joined"


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
