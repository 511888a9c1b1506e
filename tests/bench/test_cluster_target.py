"""The benchmark's cluster target: three real `socketchat serve --redis` nodes on a real
redis-server, the generator's clients spread over them, in the tiny smoke mode (no timed
assertions: only that every message reached every member)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.servers import ClusterRunning, SocketchatCluster

from bench import cli
from tests.support import require_tool


def test_three_nodes_start_listen_and_stop_together(tmp_path: Path) -> None:
    require_tool("redis-server")
    target = SocketchatCluster(3)
    assert target.missing() is None
    running = target.start(tmp_path / "run", core=None)
    assert isinstance(running, ClusterRunning)
    try:
        assert len(set(running.ports)) == 3 and running.alive()
        assert running.rss_kib() > 0 and running.cpu_seconds() >= 0
    finally:
        running.stop()
    assert not running.alive()
    assert all(p.poll() is not None for p in running.nodes)
    assert running.redis is not None and running.redis.poll() is not None


@pytest.mark.timeout(300)
def test_smoke_run_against_three_nodes_loses_nothing(tmp_path: Path) -> None:
    require_tool("redis-server")
    out = tmp_path / "results"
    scenarios = "fanout-1,connect-10"
    args = ["--smoke", "--servers", "socketchat-redis3", "--scenarios", scenarios]
    args += ["--no-install", "--no-chart", "--out", str(out)]
    rc = cli.main(args)
    assert rc == 0
    data = json.loads((out / "results.json").read_text())
    assert data["errors"] == []
    for r in data["runs"]:
        assert r["ok"], r
        assert r["metrics"]["lost"] == 0, r
    assert data["summary"]["fanout-1"]["socketchat-redis3"]["deliveries_per_s"] > 0
    assert data["summary"]["connect-10"]["socketchat-redis3"]["registrations_per_s"] > 0
