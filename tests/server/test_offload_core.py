"""Password work off the event loop, sans-I/O: a deferred fake `Offloader` collects the work and
runs it when the test says, so we can look at the server while a check is "in flight".

Covers: a session's later input waits, in order (CAP END after AUTHENTICATE, JOIN after IDENTIFY,
lines after OPER), under the flood-control caps; a session that leaves meanwhile gets nothing and
breaks nothing (but its failed login still counts); throttled attempts never reach scrypt; checks
in flight count against the limit; labeled-response still labels the late answer; other sessions
are served meanwhile.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from socketchat.irc.message import Message
from socketchat.server.config import Limits, Operator, ServerConfig
from socketchat.server.core import run_inline
from socketchat.server.passwords import hash_password
from socketchat.storage.base import Account
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net

PASSWORD = "the-right-one"
CHEAP = 4  # log2(n) for hashes made by the tests themselves: fast, still real scrypt


class DeferredOffload:
    """An `Offloader` that keeps each job until the test runs it."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.jobs: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []
        net.server.offloader = self

    def __call__(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.jobs.append((work, done))

    def run(self, count: int | None = None) -> None:
        """Finish the oldest `count` jobs (all by default), as the runner would: then flush."""
        for _ in range(len(self.jobs) if count is None else count):
            work, done = self.jobs.pop(0)
            done(work())
        self.net.server.flush()


def accounts_net(tmp_path: Path, **settings: Any) -> tuple[Net, DeferredOffload]:
    net = stored_net(tmp_path, **settings)
    backend = persistence(net).backend
    backend.create_account(Account("alice", hash_password(PASSWORD, log2_n=CHEAP), "", 0.0))
    return net, DeferredOffload(net)


def plain(account: str, password: str) -> str:
    return base64.b64encode(f"\0{account}\0{password}".encode()).decode()


def commands(got: list[Message]) -> list[str]:
    return [m.command for m in got]


def nickserv(got: list[Message]) -> list[str]:
    return [m.param(1) for m in got if m.command == "NOTICE" and m.nick == "NickServ"]


def test_cap_end_waits_for_the_sasl_result(tmp_path: Path) -> None:
    net, offload = accounts_net(tmp_path)
    c = net.client()
    c.send("CAP LS 302", "CAP REQ :sasl", "NICK alice", "USER u 0 * :r", "AUTHENTICATE PLAIN")
    c.received()
    c.send(f"AUTHENTICATE {plain('alice', PASSWORD)}", "CAP END", "PING :after")
    assert c.received() == [] and len(offload.jobs) == 1
    assert not c.session.registered and c.link.paused  # input waits; we stopped reading
    offload.run()
    got = commands(c.received())
    assert got.index("900") < got.index("903") < got.index("001") < got.index("PONG")
    assert c.session.account == "alice" and not c.session.held and not c.link.paused


def test_failed_sasl_also_keeps_the_order(tmp_path: Path) -> None:
    net, offload = accounts_net(tmp_path)
    c = net.client()
    c.send("CAP REQ :sasl", "NICK bob", "USER u 0 * :r", "AUTHENTICATE PLAIN")
    c.received()
    c.send(f"AUTHENTICATE {plain('alice', 'wrong')}", "CAP END")
    offload.run()
    got = commands(c.received())
    assert got.index("904") < got.index("001") and c.session.account is None


def test_lines_after_identify_wait_and_keep_their_order(tmp_path: Path) -> None:
    net, offload = accounts_net(tmp_path)
    watcher = net.client("watcher", "extended-join account-tag")
    watcher.send("JOIN #room")
    watcher.received()
    c = net.client("someone")
    c.send(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}", "JOIN #room", "PRIVMSG #room :hello")
    assert c.received() == [] and watcher.received() == []
    watcher.send("PRIVMSG #room :anyone?")  # everyone else is served meanwhile
    assert watcher.session.inbox == type(watcher.session.inbox)() and not watcher.link.paused
    offload.run()
    got = c.received()
    assert nickserv(got) == ["You are now identified as alice."]
    assert commands(got).index("900") < commands(got).index("JOIN")
    seen = watcher.received()
    join = next(m for m in seen if m.command == "JOIN")
    assert join.params[1] == "alice"  # it joined logged in: after the check, not before
    assert next(m for m in seen if m.command == "PRIVMSG").tags["account"] == "alice"


def test_oper_holds_later_lines_and_labels_the_late_answer() -> None:
    config = dataclasses.replace(
        ServerConfig(), operators=(Operator("admin", hash_password("hunter2", log2_n=CHEAP)),)
    )
    net = Net(config)
    offload = DeferredOffload(net)
    a = net.client("a", "labeled-response batch")
    a.send("@label=op1 OPER admin hunter2", "@label=ping1 PING :x")
    assert a.received() == []  # no early ACK for the OPER, and PING waits behind it
    offload.run()
    got = a.received()
    assert got[0].command == "BATCH" and got[0].tags == {"label": "op1"}
    ref = got[0].params[0][1:]
    assert [m.command for m in got[1:3]] == ["MODE", "381"]
    assert all(m.tags.get("batch") == ref for m in got[1:3])
    assert got[3] == Message("BATCH", ("-" + ref,), "socketchat.local")
    assert got[4].command == "PONG" and got[4].tags == {"label": "ping1"}
    a.send("@label=op2 OPER nobody hunter2")
    assert len(offload.jobs) == 1  # an unknown name costs a check too (same timing)
    offload.run()
    assert [(m.command, m.tags) for m in a.received()] == [("464", {"label": "op2"})]


def test_a_session_that_leaves_meanwhile_gets_nothing_but_its_failure_counts(
    tmp_path: Path,
) -> None:
    net, offload = accounts_net(tmp_path)
    quitters = []
    for i in range(5):
        c = net.client(f"q{i}", ip="10.0.0.1")
        c.send("PRIVMSG NickServ :IDENTIFY alice wrong")
        quitters.append(c)
    quitters[0].send("QUIT :bye")  # queued behind the check: the session is still open
    for c in quitters[1:]:
        c.session.connection_lost()
        net.server.flush()
        assert c.link.closed
    offload.run()  # FakeLink fails on any send after close
    assert [m.command for m in quitters[0].received()][-2:] == ["NOTICE", "ERROR"]
    late = net.client("late", ip="10.0.0.1")
    late.send(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}")
    assert offload.jobs == []  # the five failures locked that address: no scrypt at all
    assert nickserv(late.received()) == ["Login failed: too many failed attempts; try later."]


def test_registration_dropped_when_the_session_left(tmp_path: Path) -> None:
    net, offload = accounts_net(tmp_path)
    c = net.client("newbie")
    c.send("REGISTER * * long-enough")
    c.session.connection_lost()
    net.server.flush()
    offload.run()
    assert persistence(net).backend.get_account("newbie") is None
    d = net.client("other")
    d.send("REGISTER * * long-enough", "JOIN #x")
    assert d.received() == []
    offload.run()
    got = d.received()
    assert commands(got)[:3] == ["REGISTER", "900", "JOIN"]
    assert persistence(net).backend.get_account("other") is not None


def test_checks_in_flight_count_against_the_limit(tmp_path: Path) -> None:
    net, offload = accounts_net(tmp_path)
    guessers = [net.client(f"g{i}", ip="10.1.0.1") for i in range(6)]  # one address
    for g in guessers[:5]:
        g.send("PRIVMSG NickServ :IDENTIFY alice guess")
    owner = net.client("owner", ip="10.2.0.1")  # another address: the owner still gets in
    owner.send(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}")
    assert len(offload.jobs) == 6
    guessers[5].send("PRIVMSG NickServ :IDENTIFY alice guess")  # a 6th while 5 run: no scrypt
    assert len(offload.jobs) == 6
    assert nickserv(guessers[5].received()) == [
        "Login failed: too many failed attempts; try later."
    ]
    offload.run()
    assert nickserv(owner.received()) == ["You are now identified as alice."]
    for g in guessers[:5]:
        assert nickserv(g.received()) == ["Login failed: invalid."]
    again = net.client("again", ip="10.1.0.1")  # 5 real failures from there now: locked out
    again.send(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}")
    assert offload.jobs == [] and "too many" in nickserv(again.received())[0]


def test_flood_caps_still_bound_what_waits(tmp_path: Path) -> None:
    limits = dataclasses.replace(Limits(), flood_max_queued=5)
    net, offload = accounts_net(tmp_path, limits=limits)
    c = net.client("flooder")
    c.send("PRIVMSG NickServ :IDENTIFY alice wrong")
    c.send(*(f"PRIVMSG #nowhere :{i}" for i in range(4)))
    assert not c.session.closed and len(c.session.inbox) == 4
    c.send("PRIVMSG #nowhere :5", "PRIVMSG #nowhere :6")
    assert c.session.closed and c.session.close_reason == "Excess Flood"
    offload.run()
    assert c.link.closed


def test_work_that_fails_closes_the_session_instead_of_stalling_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net, offload = accounts_net(tmp_path)
    c: Client = net.client("victim")

    def broken(password: str, stored: str | None) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr("socketchat.server.accounts.verify_password", broken)
    c.send(f"PRIVMSG NickServ :IDENTIFY alice {PASSWORD}", "PING :x")
    offload.run()
    assert c.session.closed and c.session.close_reason == "Internal error"
    assert commands(c.received()) == ["ERROR"]


@pytest.mark.parametrize("deferred", [True, False], ids=["deferred", "inline"])
def test_held_and_flood_delayed_input_comes_out_in_order(tmp_path: Path, deferred: bool) -> None:
    net, offload = accounts_net(tmp_path, limits=Limits())  # flood control on: burst 20, 4/s
    if not deferred:
        net.server.offloader = run_inline
    net.client("peer")
    c = net.client("me", "echo-message labeled-response batch")
    lines = [f"PRIVMSG peer :{i}" for i in range(22)]
    lines += [f"@label=id PRIVMSG NickServ :IDENTIFY alice {PASSWORD}"]
    lines += ["@label=next PRIVMSG peer :22"] + [f"PRIVMSG peer :{i}" for i in range(23, 30)]
    c.send(*lines)
    for turn in range(200):
        net.clock.advance(0.3)
        net.server.tick()
        net.server.flush()
        if turn % 4 == 3:  # the check takes a few ticks
            offload.run()
        if not c.session.inbox and not offload.jobs:
            break
    batches: dict[str, str] = {}  # labeled batch ref -> label
    got = []
    for m in c.received():
        if m.command == "BATCH" and "label" in m.tags:
            batches[m.params[0][1:]] = m.tags["label"]
        label = m.tags.get("label") or batches.get(m.tags.get("batch", ""))
        if m.command == "PRIVMSG" and m.nick == "me":
            got.append((m.param(1), label))
        elif nickserv([m]):
            got.append(("identified", label))
    assert got == (
        [(str(i), None) for i in range(22)]
        + [("identified", "id"), ("22", "next")]
        + [(str(i), None) for i in range(23, 30)]
    )
    assert not c.link.paused and not c.session.held and not c.session.closed
