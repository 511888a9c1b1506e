"""The formatting parser against the shared fixtures (the browser's parser runs the same ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socketchat.client.formatting import (
    MIRC_COLORS,
    Span,
    Style,
    parse_formatting,
    span_json,
    strip_formatting,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formatting.json"
CASES = json.loads(FIXTURES.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_fixture(case: dict[str, object]) -> None:
    spans = parse_formatting(str(case["input"]))
    assert [span_json(s) for s in spans] == case["spans"]


def test_fixtures_cover_every_code() -> None:
    inputs = "".join(str(c["input"]) for c in CASES)
    for code in "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f":
        assert code in inputs


def test_no_text_is_lost() -> None:
    """Whatever the codes, every other character is in the output (controls made visible)."""
    codes = set("\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f")
    for case in CASES:
        line = str(case["input"])
        shown = strip_formatting(line)
        kept = [c for c in line if c not in codes]
        # colour numbers and hex digits belong to their codes; everything else must survive
        assert len(shown) <= len(kept)
        for ch in shown:
            assert ch in line or 0x2400 <= ord(ch) <= 0x2421


def test_palette() -> None:
    assert len(MIRC_COLORS) == 99
    assert MIRC_COLORS[0] == "#ffffff" and MIRC_COLORS[1] == "#000000"
    assert MIRC_COLORS[4] == "#ff0000" and MIRC_COLORS[98] == "#ffffff"


def test_spans_are_values() -> None:
    assert parse_formatting("\x02a") == [Span("a", Style(bold=True))]
