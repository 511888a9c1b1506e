"""The shared scenarios of tests/fixtures/client against the Python core (the browser's core runs
the same files under node: tests/web/js/client_fixtures.test.mjs)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client.fixtures import Runner, scenarios

SCENARIOS = scenarios()


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize(("name", "scenario"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_scenario(name: str, scenario: dict[str, Any]) -> None:
    if "python" in scenario.get("skip", ()):
        pytest.skip(scenario["skip"]["python"])
    Runner(scenario).run()
