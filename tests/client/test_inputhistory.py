"""Up/Down input recall (terminal and desktop) against the cases the browser's runs too
(tests/fixtures/inputhistory.json, tests/web/js/inputhistory.test.mjs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from socketchat.client.inputhistory import InputHistory

CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "inputhistory.json").read_text()
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    history = InputHistory(case["limit"])
    for op, *args in case["steps"]:
        if op == "add":
            history.add(args[0])
        else:
            current, expected = args
            assert getattr(history, op)(current) == expected, (op, current)
