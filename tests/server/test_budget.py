"""One budget per connection, sans-I/O: every command costs flood credit, costly ones in
proportion to their work, and durations run on the monotonic clock.

Flood control here is 1 command per second with a burst of 5, so "credit" is easy to count: a
command that costs n units pushes the connection's lag clock n seconds ahead.
"""

from __future__ import annotations

import dataclasses
import logging

import pytest

from socketchat.server.commands.spec import Command, Cost
from socketchat.server.commands.table import COMMANDS
from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from tests.server.harness import Client, FakeClock, Net


def _net(**limits: object) -> Net:
    settings: dict[str, object] = {"flood_burst": 5, "flood_rate": 1.0, "flood_max_queued": 500}
    settings["ping_interval"] = 0.0  # _fresh jumps far ahead: no ping timeouts meanwhile
    settings.update(limits)
    return Net(**settings)


def _fresh(net: Net) -> None:
    """Registration spent some credit: give everyone a full budget again."""
    net.clock.advance(1000)
    net.server.tick()


def _lag(net: Net, c: Client) -> float:
    """Seconds the client's lag clock runs ahead: the credit its commands spent."""
    return c.session.lag_clock - net.server.monotonic()


@pytest.mark.parametrize("line", ["PING x", "PONG x", "CAP LS 302", "CAP LIST"])
def test_keepalive_and_cap_commands_cost_credit(line: str) -> None:
    net = _net()
    c = net.client("c")
    _fresh(net)
    c.send(*[line] * 12)
    assert c.session.inbox, f"12 x {line!r} all went through: they cost nothing"
    assert len(c.session.inbox) == 12 - 5
    assert c.link.paused


def test_ping_flood_is_answered_at_the_flood_rate_only() -> None:
    net = _net()
    c = net.client("c")
    _fresh(net)
    c.send(*[f"PING {i}" for i in range(30)])
    assert [m.param(1) for m in c.received() if m.command == "PONG"] == [str(i) for i in range(5)]
    net.clock.advance(3)
    net.server.tick()
    net.server.flush()
    assert len([m for m in c.received() if m.command == "PONG"]) == 3


def test_quit_after_a_flood_waits_its_turn() -> None:
    net = _net()
    c = net.client("c")
    _fresh(net)
    c.send(*["PING x"] * 5, "QUIT :bye")
    assert not c.session.closed
    net.clock.advance(2)
    net.server.tick()
    assert c.session.closed


def test_join_of_many_channels_costs_per_channel_and_join_0_per_channel_left() -> None:
    net = _net(max_channels_per_client=100)
    c = net.client("c")
    _fresh(net)
    channels = ",".join(f"#c{i}" for i in range(40))
    c.send(f"JOIN {channels}")
    assert _lag(net, c) >= 40, "JOIN of 40 channels cost about one command"
    c.received()
    _fresh(net)
    c.send("JOIN 0")
    assert len(c.session.channels) == 0
    assert _lag(net, c) >= 40, "JOIN 0 leaving 40 channels cost about one command"
    _fresh(net)
    c.send(f"JOIN {channels}")
    _fresh(net)
    c.send("PART " + ",".join(f"#c{i}" for i in range(20)))
    assert 20 <= _lag(net, c) < 25


def test_join_0_alternating_with_join_of_50_is_slowed_down() -> None:
    """The issue's amplification: each round trip of JOIN 50 / JOIN 0 takes its time now."""
    net = _net(max_channels_per_client=100, flood_burst=20, flood_rate=4.0)
    c = net.client("c")
    _fresh(net)
    channels = ",".join(f"#c{i}" for i in range(50))
    c.send(*[f"JOIN {channels}", "JOIN 0"] * 10)
    joins = [m for m in c.received() if m.command == "JOIN"]
    assert len(joins) <= 100, len(joins)  # one JOIN of 50 (maybe two), not ten
    assert len(c.session.inbox or ()) >= 17


def test_listing_commands_cost_per_line_returned() -> None:
    net = _net(max_clients_per_ip=0)
    asker = net.client("asker")
    for i in range(100):
        u = net.client(f"u{i}")
        u.send("JOIN #big")
    asker.send("JOIN #big")
    asker.received()
    for command in ("WHO #big", "NAMES #big", "LIST"):
        _fresh(net)
        asker.send(command)
        lines = len(asker.received())
        assert _lag(net, asker) >= 1 + lines // 20 - 0.01, (command, lines)
    _fresh(net)
    asker.send("WHO #big")
    assert _lag(net, asker) >= 6  # 101 replies and the end: about six commands' worth


def test_messages_to_many_targets_cost_per_target() -> None:
    net = _net()
    c = net.client("c")
    for nick in ("a", "b", "d"):
        net.client(nick)
    _fresh(net)
    c.send("PRIVMSG a,b,d,c :hello")
    assert _lag(net, c) == pytest.approx(4)
    _fresh(net)
    c.send("WHOIS a,b")
    assert _lag(net, c) == pytest.approx(2)


def test_every_command_in_the_table_costs_at_least_one_unit() -> None:
    assert all(spec.cost.base >= 1 for spec in COMMANDS.values())
    with pytest.raises(ValueError):
        Command(lambda server, session, msg: None, cost=Cost(0))


def test_the_cost_model_is_declared_per_command() -> None:
    assert COMMANDS["JOIN"].cost.per_channel and COMMANDS["PART"].cost.per_channel
    for name in ("WHO", "LIST", "NAMES", "CHATHISTORY", "WHOIS"):
        assert COMMANDS[name].cost.lines_per_unit, name
    for name in ("PRIVMSG", "NOTICE", "WHOIS"):
        assert COMMANDS[name].cost.per_target, name


# -- two clocks: wall time stamps messages, the monotonic clock measures durations ------------


class _Pair:
    def __init__(self, **limits: object) -> None:
        self.wall = FakeClock()
        self.mono = FakeClock(5000.0)
        config = ServerConfig(limits=dataclasses.replace(Limits(), **limits))  # type: ignore[arg-type]
        self.server = build_server(config, clock=self.wall, monotonic=self.mono)
        self.net = Net()
        self.net.server = self.server
        self.net.clock = self.mono

    def client(self, nick: str) -> Client:
        return self.net.client(nick)

    def advance(self, seconds: float) -> None:
        self.wall.advance(seconds)
        self.mono.advance(seconds)
        self.server.tick()
        self.server.flush()


def test_wall_clock_step_back_delays_nobody() -> None:
    pair = _Pair(flood_burst=5, flood_rate=2.0)
    a, b = pair.client("alice"), pair.client("bob")
    pair.advance(100)
    pair.wall.advance(-3600)  # NTP or an operator sets the clock back an hour
    for i in range(20):
        a.send(f"PRIVMSG bob :hi {i}")
        pair.advance(0.5)  # the flood rate: nobody is over budget
        got = [m.param(1) for m in b.received() if m.command == "PRIVMSG"]
        assert got == [f"hi {i}"], f"line {i} was held back after the clock step"
    assert not a.link.paused


def test_server_time_tags_follow_the_wall_clock() -> None:
    pair = _Pair()
    a = pair.client("alice")
    b = pair.client("bob")
    b.send("CAP REQ server-time")
    b.received()
    a.send("PRIVMSG bob :hi")
    tag = next(m for m in b.received() if m.command == "PRIVMSG").tags["time"]
    assert tag.startswith("2027-01-15T")  # FakeClock's wall time, not the monotonic one


def test_timeouts_run_on_the_monotonic_clock() -> None:
    pair = _Pair(registration_timeout=30.0, ping_interval=90.0, ping_timeout=60.0)
    a = pair.client("alice")
    lurker = Client(pair.net)  # never registers
    pair.wall.advance(7200)  # the wall clock jumps two hours ahead: nobody timed out
    pair.server.tick()
    assert not lurker.session.closed and not a.session.closed
    pair.wall.advance(-7200 - 3600)  # and back past where it was
    pair.advance(31)
    assert lurker.session.closed  # 31 s really passed
    assert not a.session.closed
    a.received()
    pair.advance(61)  # 92 s idle: the server pings
    assert "PING" in a.commands()
    pair.advance(61)
    assert a.session.closed  # it never answered the server's PING


def test_flood_disconnects_are_logged_a_bounded_number_of_times(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A flooder that reconnects over and over must not flood the log instead."""
    net = _net(flood_max_queued=10, max_clients_per_ip=0)
    with caplog.at_level(logging.WARNING, "socketchat.server"):
        for i in range(100):
            c = net.client(f"f{i}")
            c.send(*["PING x"] * 40)
            assert c.session.closed and c.session.close_reason == "Excess Flood"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("flood:")]
    assert 1 <= len(lines) <= 30, len(lines)
    net.clock.advance(61)
    with caplog.at_level(logging.WARNING, "socketchat.server"):
        net.client("late").send(*["PING x"] * 40)
    assert "more such incidents not logged" in caplog.records[-1].getMessage()
