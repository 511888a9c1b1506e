"""The benchmark harness runs end to end in its tiny smoke mode (seconds, no timed assertions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from bench.scenarios import SCALES, build

from bench import cli, report
from tests.support import require_tool

SCENARIOS = "fanout-1,light,connect-10,idle"


@pytest.mark.timeout(300)
def test_smoke_run_against_miniircd_and_ngircd(tmp_path: Path) -> None:
    require_tool("ngircd")
    if not (Path(sys.executable).parent / "miniircd").exists():
        require_tool("miniircd")
    out = tmp_path / "results"
    rc = cli.main(
        [
            "--smoke",
            "--servers",
            "miniircd,ngircd",
            "--scenarios",
            SCENARIOS,
            "--no-install",
            "--no-chart",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    md = (out / "results.md").read_text()
    assert "| scenario | metric | miniircd | ngIRCd | target |" in md
    data = json.loads((out / "results.json").read_text())
    assert data["errors"] == []
    runs = data["runs"]
    assert {(r["scenario"], r["server"]) for r in runs} == {
        (sc, srv) for sc in SCENARIOS.split(",") for srv in ("miniircd", "ngircd")
    }
    for r in runs:
        assert r["ok"], r
        assert r["metrics"]["lost"] == 0, r
    for srv in ("miniircd", "ngircd"):
        fanout = data["summary"]["fanout-1"][srv]
        assert fanout["deliveries_per_s"] > 0
        assert fanout["lost_total"] == 0
        assert data["summary"]["light"][srv]["lat_samples"] > 0
        assert data["summary"]["connect-10"][srv]["registrations_per_s"] > 0
        assert data["summary"]["idle"][srv]["connected"] == data["meta"]["scale_params"]["idle"]


def test_chart_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    scenarios = build(SCALES["smoke"])[:2]
    summary = {
        "fanout-1": {"a": {"deliveries_per_s": 10.0}, "b": {"deliveries_per_s": 20.0}},
        "fanout-10": {"a": {"deliveries_per_s": 30.0}},
    }
    path = tmp_path / "chart.png"
    report.chart(path, scenarios, [("a", "A"), ("b", "B")], summary, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
