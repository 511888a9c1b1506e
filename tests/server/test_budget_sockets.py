"""One budget per connection, over real sockets: the issue's floods against a real server
process, with a bystander pair measuring its round trip before and during the attack.

No assertion on absolute speed: the bystanders must simply keep being answered (every round trip
within the pair's 5 s timeout), where before these changes they starved. The p50 figures are
printed (`pytest -s`) for the record.
"""

from __future__ import annotations

import time

import pytest

from tests.support.attack import Bystanders, attacking, p50_ms
from tests.support.irc import IRCClient
from tests.support.server import spawned_server


def _bystanders_survive(mode: str, count: int) -> None:
    with spawned_server("--log-level", "ERROR") as srv:
        pair = Bystanders(srv.port)
        quiet = pair.round_trips(20)
        with attacking(mode, srv.port, count) as attack:
            during = pair.round_trips(40, pause=0.3)  # below their own flood rate
            assert attack.poll() is None, "the attack process died: nothing was tested"
        print(f"\n{mode} x{count}: bystander p50 {p50_ms(quiet)} ms, {p50_ms(during)} ms attacked")
        pair.close()


@pytest.mark.parametrize(("mode", "count"), [("ping", 10), ("cap", 10)])
def test_ping_and_cap_floods_leave_bystanders_answered(mode: str, count: int) -> None:
    _bystanders_survive(mode, count)


def test_join_50_and_join_0_flood_leaves_bystanders_answered() -> None:
    _bystanders_survive("join", 50)


def test_join_50_and_join_0_at_the_line_rate_gets_few_joins_done() -> None:
    """The amplification itself: at 4 lines a second (the rate of plain commands), alternating
    JOIN of 50 channels and JOIN 0 made the server join 100 channels a second for one client.
    Now a JOIN costs per channel: in 8 s that client gets a JOIN or two of 50 done, not 16."""
    channels = ",".join(f"#amp{i}" for i in range(50))
    with spawned_server("--log-level", "ERROR") as srv:
        probe = IRCClient(srv.port).register("probe")
        deadline = time.monotonic() + 8.0
        while time.monotonic() < deadline:
            probe.send(f"JOIN {channels}", "JOIN 0")
            probe.collect(0.5)
        joined = [m for m in probe.log if m.command == "366"]
        assert not probe.closed_by_server(0.1)
        assert len(joined) <= 150, f"{len(joined)} channels joined in 8 s"
        assert len(joined) >= 50  # the first JOIN was not refused: it is only paid for
        probe.close()
