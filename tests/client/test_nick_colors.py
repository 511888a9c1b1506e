"""Nick colours: the cases the browser's colors.js runs too (tests/fixtures/nick_colors.json)."""

from __future__ import annotations

import json
from pathlib import Path

from socketchat.client.helpers import NICK_COLORS, NICK_COLORS_DARK, nick_color_index

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "nick_colors.json").read_text()
)


def test_the_shared_cases() -> None:
    assert FIXTURE["light"] == list(NICK_COLORS) and FIXTURE["dark"] == list(NICK_COLORS_DARK)
    for case in FIXTURE["cases"]:
        assert nick_color_index(case["nick"]) == case["index"], case["nick"]
    assert len({case["index"] for case in FIXTURE["cases"]}) >= 8  # spread, not two colours
