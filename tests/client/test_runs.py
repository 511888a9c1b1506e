"""client/runs.py against the cases the browser's runs.js runs too (tests/fixtures/runs.json),
in English and Persian, plus where the unread marker splits a run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socketchat.client.events import ChatLine, LineKind
from socketchat.client.i18n import set_language
from socketchat.client.runs import Marker, Run, fold, in_run, summary

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "runs.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
WHEN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def line(kind: LineKind, nick: str, self_msg: bool = False, text: str = "") -> ChatLine:
    return ChatLine("#lobby", WHEN, nick, text or f"{nick} {kind}", kind, self_msg=self_msg)


@pytest.fixture(autouse=True)
def english_afterwards() -> object:
    yield None
    set_language("en")


@pytest.mark.parametrize("lang", ["en", "fa"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fixture(case: dict[str, object], lang: str) -> None:
    set_language(lang)
    lines = [line(kind, nick, self_msg) for kind, nick, self_msg in case["lines"]]  # type: ignore[attr-defined]
    drawn: list[object] = []
    for item in fold(lines):
        if isinstance(item, Run):
            drawn.append(summary(item.lines))
        else:
            drawn.append(next(i for i, ln in enumerate(lines) if ln is item))
    want = [i if isinstance(i, int) else i[lang] for i in case["folded"]]  # type: ignore[attr-defined]
    assert drawn == want


def test_the_marker_ends_a_run_and_expand_shows_every_line() -> None:
    lines = [line("join", "bob"), line("join", "carol"), line("quit", "dave"), line("join", "erin")]
    assert [type(i).__name__ for i in fold(lines, marker=lines[2])] == ["Run", "Marker", "Run"]
    assert fold(lines, marker=lines[3])[1:] == [Marker(), lines[3]]  # one line alone: not folded
    assert fold(lines, expand=True) == lines
    assert not in_run(line("join", "", text="You joined #lobby"))
    # the marker is found by identity: an equal line elsewhere does not get it
    twin = [line("message", "bob", text="hi"), line("message", "bob", text="hi")]
    assert fold(twin, marker=twin[1]) == [twin[0], Marker(), twin[1]]
