"""The soak-and-attack run (bench/soak.py) works end to end with tiny numbers: a few seconds,
a few dozen chatters, every attack at a tenth of its size. Checks the report's structure and
that the loss accounting saw deliveries; never its speed (that is for the lead's 10-minute run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.servers import Socketchat

from bench import soak

SECTIONS = (
    "meta",
    "config",
    "setup",
    "verdict",
    "bystanders",
    "rss",
    "generator",
    "messages",
    "churn",
    "attacks",
    "server_log",
    "server_exit",
)


@pytest.mark.timeout(180)
def test_tiny_soak_writes_a_complete_report(tmp_path: Path) -> None:
    if Socketchat().missing():
        pytest.skip("socketchat is not installed in .venv")
    out = tmp_path / "results"
    rc = soak.main(
        [
            "--duration",
            "12",
            "--clients",
            "40",
            "--channels",
            "3",
            "--rate",
            "20",
            "--churn-interval",
            "2",
            "--churn-fraction",
            "0.1",
            "--part-fraction",
            "0.1",
            "--attack-start",
            "2",
            "--attack-scale",
            "0.05",
            "--warmup",
            "3",
            "--sample-interval",
            "1",
            "--drain",
            "3",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    data = json.loads((out / "soak.json").read_text())
    assert set(SECTIONS) <= set(data)
    assert set(data["attacks"]) == set(soak.ATTACKS)
    for name, attack in data["attacks"].items():
        assert attack["connects"] >= 1, name
        assert attack["outcomes"], name  # every connection's end is accounted for
    by = data["bystanders"]
    assert by["overall"]["samples"] > 0
    assert {p["transport"] for p in by["pairs"].values()} == {"tcp", "websocket"}
    assert by["per_minute"] and by["per_minute"][0]["minute"] == 1
    msgs = data["messages"]
    assert msgs["sent"] > 0 and msgs["acknowledged"] > 0
    assert msgs["deliveries_checked"] > 0 and msgs["stints_checked"] > 0
    assert len(data["rss"]["samples"]) >= 3
    assert {"slope_mib_per_min_after_warmup", "slope_mib_per_min_last_half"} <= set(data["rss"])
    assert {"before attacks", "all attacks"} <= {p["phase"] for p in by["phases"]}
    assert data["churn"].get("quit", 0) + data["churn"].get("aborted (no QUIT)", 0) > 0
    assert data["server_exit"]["alive_at_end"]
    assert set(data["verdict"]) >= {
        "bystander_p99_under_limit",
        "rss_flat_after_warmup",
        "nothing_acknowledged_lost",
    }
    md = (out / "soak.md").read_text()
    for heading in ("## Verdict (issue 10)", "## Attacks: how their connections ended"):
        assert heading in md
    assert (out / "server.log").exists()


def test_loss_accounting_counts_a_missing_delivery() -> None:
    """The checker itself: a member that joined before a message was sent and asked to leave
    after its echo came back must have it; one that joined later or left earlier need not."""

    class Fake:
        idx = 1
        nick = "c0001"

    s = soak.Soak.__new__(soak.Soak)
    s.chan_index = {b"#c": 0}
    s.chan_msgs = [soak.array("I", [0, 1, 2])]
    s.chan_t = [soak.array("d", [10.0, 20.0, 30.0])]
    s.t_ack = soak.array("d", [11.0, 21.0, 0.0])  # message 2 was never acknowledged
    s.m_sender = soak.array("I", [0, 0, 0])
    s.t0 = 0.0
    s.expected = s.lost = s.stints_checked = 0
    s.lost_examples = []
    st = soak.Stint(b"#c", start=15.0, end=40.0)  # joined after message 0 was sent
    soak.Soak.check_stint(s, Fake(), st)  # type: ignore[arg-type]
    assert (s.expected, s.lost) == (1, 1)  # message 1 is owed and missing
    st = soak.Stint(b"#c", start=5.0, end=20.5)  # left before message 1's echo
    st.received.append(0)
    soak.Soak.check_stint(s, Fake(), st)  # type: ignore[arg-type]
    assert (s.expected, s.lost) == (2, 1)
    assert s.lost_examples[0]["message"] == 1
