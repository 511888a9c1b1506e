"""The browser's JavaScript modules under `node --test` (Debian's nodejs), run from pytest so the
one test command covers them; the shared fixtures in tests/fixtures are read by both languages."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import require_tool

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = sorted((ROOT / "tests" / "web" / "js").glob("*.test.mjs"))


def test_node_tests_pass() -> None:
    node = require_tool("node")
    assert JS_TESTS, "no JavaScript tests found"
    result = subprocess.run(
        [node, "--test", *map(str, JS_TESTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout, result.stdout
