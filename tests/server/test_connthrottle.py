"""The per-address reconnect throttle (server/connthrottle.py), sans-I/O with a fake monotonic
clock: a burst, then a rate; Excess Flood costs more; the table forgets and stays bounded."""

from __future__ import annotations

from socketchat.server.config import Limits
from socketchat.server.connthrottle import FLOOD_COST, ConnectThrottle
from tests.server.harness import FakeClock, Net


def _admitted(throttle: ConnectThrottle, ip: str, now: float, tries: int) -> int:
    return sum(throttle.admit(ip, now) for _ in range(tries))


def test_a_classroom_behind_one_address_gets_in_at_once_then_the_rate_applies() -> None:
    throttle = ConnectThrottle(per_minute=30, burst=50)
    assert _admitted(throttle, "10.0.0.1", 0.0, 30) == 30  # 30 students after a restart
    assert _admitted(throttle, "10.0.0.1", 0.0, 30) == 20  # the rest of the burst, no more
    assert not throttle.admit("10.0.0.1", 1.0)  # half a token back
    assert throttle.admit("10.0.0.1", 2.0)  # one every 2 s
    assert not throttle.admit("10.0.0.1", 2.0)
    assert throttle.admit("10.0.0.2", 2.0)  # another address has its own bucket


def test_excess_flood_costs_many_tokens_and_goes_into_bounded_debt() -> None:
    throttle = ConnectThrottle(per_minute=30, burst=50)
    now = 0.0
    for _ in range(20):  # a flooder: connect, Excess Flood, reconnect at once
        if throttle.admit("10.0.0.9", now):
            throttle.penalize("10.0.0.9", now)
    tokens, _ = throttle.buckets["10.0.0.9"]
    assert tokens == 50 - 5 * (1 + FLOOD_COST)  # five floods spent the burst, into debt
    # from then on one connection per (1 + FLOOD_COST) tokens: 22 s at 30 a minute, not 2 s
    wait = (1 - tokens) * 2.0
    assert not throttle.admit("10.0.0.9", now + wait - 0.1)
    assert throttle.admit("10.0.0.9", now + wait)
    throttle.penalize("10.0.0.9", now + wait)
    assert not throttle.admit("10.0.0.9", now + wait + 21.9)
    assert throttle.admit("10.0.0.9", now + wait + 22.0)
    throttle.penalize("10.0.0.9", 0.0, cost=1000)  # however much a penalty is, the debt stops
    assert throttle.buckets["10.0.0.9"][0] == -50


def test_full_buckets_are_forgotten_and_the_table_is_bounded() -> None:
    throttle = ConnectThrottle(per_minute=60, burst=5, max_addresses=100)
    for i in range(1000):
        assert throttle.admit(f"10.1.{i // 256}.{i % 256}", 0.0)
    assert len(throttle.buckets) == 100  # the least recently seen were forgotten
    throttle.forget_idle(0.5)  # nobody refilled yet
    assert len(throttle.buckets) == 100
    throttle.forget_idle(1.0)  # every bucket is full again
    assert not throttle.buckets


def test_off_with_zero_rate_or_burst_and_with_limits_disabled() -> None:
    for throttle in (ConnectThrottle(0, 50), ConnectThrottle(30, 0)):
        assert _admitted(throttle, "10.0.0.1", 0.0, 1000) == 1000
        throttle.penalize("10.0.0.1", 0.0)
        assert not throttle.buckets
    off = Limits().disabled()
    assert off.connects_per_ip_per_minute == 0 and off.connects_per_ip_burst == 0


def test_the_server_refuses_an_address_that_flooded_and_uses_the_monotonic_clock() -> None:
    net = Net(flood_burst=2, flood_rate=1.0, flood_max_queued=5)
    mono = FakeClock(0.0)
    server = net.server
    server.monotonic = mono
    flooder = net.client("flooder", ip="10.0.0.9")
    flooder.send(*[f"PRIVMSG #x :spam {i}" for i in range(50)])
    assert flooder.session.closed and flooder.session.close_reason == "Excess Flood"
    # 50 - 10 tokens left: 40 more reconnects at once, then refused (counted, for metrics)
    assert sum(not server.reconnect_too_fast("10.0.0.9") for _ in range(50)) == 40
    assert server.stats.refused["too_fast"] == 10
    assert not server.reconnect_too_fast("10.0.0.1")  # bystanders are not affected
    net.clock.advance(3600)  # the wall clock does not refill the bucket
    assert server.reconnect_too_fast("10.0.0.9")
    mono.advance(2.0)
    assert not server.reconnect_too_fast("10.0.0.9")
