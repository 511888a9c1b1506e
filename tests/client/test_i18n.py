"""The interface language of the terminal and desktop clients: every string the views wrap, and
every line both client cores write themselves (``tr("…")``), is translated into Persian; the
shipped .mo is what GNU msgfmt makes of the .po (placeholders checked), the page's table of the
core's lines is what the catalog gives; the language follows the setting, then the locale."""

from __future__ import annotations

import ast
import contextlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from socketchat.client import i18n, rtl
from socketchat.client.events import ChatLine
from socketchat.client.viewstate import body_text
from tests.client.fixtures import Runner, scenarios
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


def has_words(template: str) -> bool:
    """Whether a template has anything to translate: "{nick} ({address})" (the WHOIS card's
    first line, a template only so its values are isolated) is the same in every language."""
    return any(c.isalpha() for c in re.sub(r"\{\w+\}", "", template))


def test_every_string_of_the_views_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "all.pot"
    subprocess.run(
        [require_tool("xgettext"), "--keyword=_", "--keyword=N_", "--keyword=ngettext:1,2",
         "--keyword=tr",
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
        if i18n._(text) == text and i18n.ngettext(text, text, 2) == text and has_words(text):
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
    missing = [t for t in templates if t not in table["fa"] and has_words(t)]
    assert missing == []  # every one translated


def test_a_core_line_is_drawn_in_the_interface_language() -> None:
    from socketchat.client.events import tr
    from socketchat.client.helpers import local_time

    said = tr("{nick} left ({reason})", nick="bob", reason="خداحافظ")
    line = ChatLine("#lobby", local_time(0), "bob", said.fill(), "part", said=said)
    assert line.text == "bob left (خداحافظ)"
    assert body_text(line) == "\u2068bob\u2069 left (\u2068خداحافظ\u2069)"  # values isolated
    # so a Persian nick first leaves an English sentence left-to-right, the host in order
    whois = tr("{nick} ({address}) — {realname}", nick="سارا", address="~u@h", realname="S")
    card = body_text(ChatLine("*status*", local_time(0), "", whois.fill(), "info", said=whois))
    assert rtl.display_text(card) == rtl.display_text("سارا") + " (~u@h) — S"
    i18n.set_language("fa")
    assert body_text(line) == "\u2068bob\u2069 رفت (\u2068خداحافظ\u2069)"  # values isolated
    joined = tr("You joined {channel}", channel="#lobby")
    shown = body_text(ChatLine("#lobby", local_time(0), "", joined.fill(), "join", said=joined))
    word = rtl.display_text
    assert word(shown) == word("پیوستید") + " #lobby " + word("به")  # not "lobby#"
    broken = tr("{nick} joined", nick="x").fill(lambda _t: "{who} وارد شد")  # a bad one
    assert broken == "x joined"  # the English, not an exception
    idle = tr("  idle: {duration}", duration=tr("{hours} h {minutes} min", hours=1, minutes=2))
    assert idle.fill() == "  idle: 1 h 2 min"
    assert "1 ساعت 2 دقیقه" in idle.fill(i18n._)


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


# Words that stay as they are in Persian: protocol and program names, keys.
_KEPT = {"IRC", "WHO", "MONITOR", "NickServ", "Enter", "Esc", "CTCP", "TLS", "socketchat"}
_WORD = re.compile(r"[A-Za-z]{3,}")


def _english_left(line: ChatLine, theirs: set[str]) -> list[str]:
    """The English words of `line` as the Persian interface draws it, that are neither the
    values put into it (nicks, channels, reasons), nor what the server or the user wrote
    (`theirs`), nor a command, a capability or a placeholder."""
    shown = body_text(line)
    values = [v for _n, v in line.said.args if isinstance(v, str)] if line.said else []
    for value in sorted(values, key=len, reverse=True):  # "carol" is in "caroline"
        shown = shown.replace(value, " ")
    # commands, placeholders, capabilities (draft/chathistory, message-tags)
    shown = re.sub(r"/[a-z]+|<[^>]*>|\[[^\]]*\]|[a-z]+(?:[./-][a-z]+)+", " ", shown)
    return [w for w in _WORD.findall(shown) if w not in _KEPT and w not in theirs]


@pytest.mark.parametrize(("name", "scenario"), scenarios(), ids=[n for n, _ in scenarios()])
def test_no_english_left_in_the_persian_interface(name: str, scenario: dict[str, Any]) -> None:
    """Every line the core writes in every shared scenario, drawn as the Persian views draw it
    (`viewstate.body_text`): no English word is left but what others wrote. This is what
    catches a new ``core.info(buffer, f"...")`` without `tr`."""
    runner = Runner(scenario)
    with contextlib.suppress(AssertionError):  # the scenario's own checks are not the point
        runner.run()
    theirs: set[str] = set()
    for step in scenario["steps"]:
        for text in [*step.get("server", []), step.get("input", "")]:
            theirs.update(_WORD.findall(text))
    i18n.set_language("fa")
    left = {
        line.text: words
        for line in runner.chat_lines
        if line.kind not in ("message", "action", "notice")
        and (words := _english_left(line, theirs))
    }
    assert left == {}


VIEWS = ["tui/app.py", *SOURCES[SOURCES.index("tui/app.py") + 1 :]]
# Calls that put text in front of the user: widgets' text, labels, titles, chat lines, notes.
_SHOWN_CALLS = {"update", "_note", "title", "Label", "Static", "Button", "add_command", "ChatLine"}
_SHOWN_KEYWORDS = {"text", "label", "placeholder", "title", "message"}


def _english_literals(node: ast.AST) -> list[str]:
    """The plain-text English in `node` (a literal or f-string; not inside `_()`)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
        return []
    found = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = set(re.findall(r"\b[A-Za-z]{3,}\b", node.value)) - {"socketchat"}
        found += [node.value] if words else []
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            found += _english_literals(part)
    elif isinstance(node, ast.BinOp):
        found += _english_literals(node.left) + _english_literals(node.right)
    return found


@pytest.mark.parametrize("source", VIEWS)
def test_the_views_show_no_untranslated_literal(source: str) -> None:
    """Walks a view's source: no English literal reaches a label, a title, a widget's text or
    a chat line without `_()` (the run-time check above covers what the core writes)."""
    tree = ast.parse((CLIENT / source).read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        shown = list(node.args) if name in _SHOWN_CALLS else []
        if name == "ChatLine":
            shown = node.args[3:4]  # its text (buffer, time, nick, text, kind…)
        shown += [k.value for k in node.keywords if k.arg in _SHOWN_KEYWORDS]
        for arg in shown:
            bad += [f"{source}:{node.lineno}: {text!r}" for text in _english_literals(arg)]
    assert bad == []


def test_a_refused_nick_is_explained_in_persian() -> None:
    """The nick prompt's own check and socketchat's refusals (432) say why in the interface
    language; another server's words are shown as they are."""
    from socketchat.client.events import NickRefused
    from socketchat.client.nickrules import check_nick, refusal_text

    i18n.set_language("fa")
    assert check_nick("1abc") == "نام مستعار درست نیست: باید با یک حرف شروع شود"
    assert "بیش از 30 نویسه" in (check_nick("a" * 31) or "")
    mixed = check_nick("saraсара") or ""  # Latin with Cyrillic
    assert "یک خط" in mixed and not re.search(r"[A-Za-z]{3,}", mixed), mixed
    other = NickRefused("nick", "Nickname contains forbidden characters", False)
    assert "Nickname contains forbidden characters" in refusal_text(other)
    ours = NickRefused("x!", "Erroneous nickname: '!' is not allowed in a nickname", False)
    assert "'!' در نام مستعار مجاز نیست" in refusal_text(ours)


@pytest.mark.parametrize("source", [c for c in CORE if c.endswith(".py")])
def test_the_core_writes_no_english_literal_without_tr(source: str) -> None:
    """The static half of the check above, for paths no scenario takes: a line the core writes
    (`info`, or a `ChatLine` without `said`) is a `tr(...)`, or a string whose own words are
    none (values put together) or the protocol's (``REGISTER``)."""
    tree = ast.parse((CLIENT / source).read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "info":
            texts = node.args[1:2]
        elif isinstance(node.func, ast.Name) and node.func.id == "ChatLine":
            texts = [] if any(k.arg == "said" for k in node.keywords) else node.args[3:4]
        else:
            continue
        for text in texts:
            literal = re.sub(r"\{\w*\}", " ", " ".join(_literals_outside_tr(text)))
            if re.search(r"\b[A-Za-z]*[a-z][A-Za-z]{2,}\b", literal):
                bad.append(f"{source}:{node.lineno}: {ast.unparse(text)}")
    assert bad == []


def _literals_outside_tr(node: ast.AST) -> list[str]:
    """The string literals in the expression `node` (either side of an ``if``, the parts of an
    f-string…) that are not inside a ``tr(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr":
        return []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Said":
        return _literals_outside_tr(node.args[0])  # its template; the rest names its values
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    return [text for child in ast.iter_child_nodes(node) for text in _literals_outside_tr(child)]
