"""Account creation is limited per source address and in total (REGISTER and NickServ
REGISTER), before any password is hashed: the issue saw 927 accounts in 30 s from one address,
both cores busy hashing."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from socketchat.server.config import Limits
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net
from tests.support.irc import IRCClient
from tests.support.server import running_server


def _net(tmp_path: Path, per_ip: int, total: int) -> Net:
    limits = dataclasses.replace(
        Limits().disabled(), accounts_per_ip_per_hour=per_ip, accounts_per_hour=total
    )
    return stored_net(tmp_path, limits=limits)


def _register(net: Net, nick: str, ip: str) -> list[tuple[str, ...]]:
    c = Client(net, ip=ip)
    c.register(nick)
    c.send(f"REGISTER * * password-of-{nick}")
    return [m.params for m in c.received() if m.command in ("REGISTER", "FAIL")]


def test_register_is_limited_per_address_with_a_clear_fail(tmp_path: Path) -> None:
    net = _net(tmp_path, per_ip=3, total=0)
    for i in range(3):
        assert _register(net, f"u{i}", "10.0.0.1")[0][0] == "SUCCESS"
    refused = _register(net, "u3", "10.0.0.1")
    assert refused == [
        (
            "REGISTER",
            "TEMPORARILY_UNAVAILABLE",
            "u3",
            "Too many accounts created from your address; try later",
        )
    ]
    assert persistence(net).backend.get_account("u3") is None
    assert _register(net, "v0", "10.0.0.2")[0][0] == "SUCCESS"  # another address may
    net.clock.advance(3601)  # an hour later the address may again
    assert _register(net, "u4", "10.0.0.1")[0][0] == "SUCCESS"


def test_register_is_limited_in_total(tmp_path: Path) -> None:
    net = _net(tmp_path, per_ip=0, total=2)
    assert _register(net, "a", "10.0.0.1")[0][0] == "SUCCESS"
    assert _register(net, "b", "10.0.0.2")[0][0] == "SUCCESS"
    refused = _register(net, "c", "10.0.0.3")
    assert refused[0][:2] == ("REGISTER", "TEMPORARILY_UNAVAILABLE")
    assert "on this server" in refused[0][-1]


def test_nickserv_register_counts_the_same_and_says_why(tmp_path: Path) -> None:
    net = _net(tmp_path, per_ip=1, total=0)
    assert _register(net, "first", "10.0.0.9")[0][0] == "SUCCESS"
    c = Client(net, ip="10.0.0.9")
    c.register("second")
    c.send("PRIVMSG NickServ :REGISTER hunter2-long")
    notes = [m.param(1) for m in c.received() if m.command == "NOTICE"]
    assert any("Too many accounts created from your address" in n for n in notes), notes
    assert persistence(net).backend.get_account("second") is None


def test_refusals_are_logged_once_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net = _net(tmp_path, per_ip=1, total=0)
    _register(net, "first", "10.0.0.5")
    with caplog.at_level(logging.WARNING, "socketchat.server"):
        for i in range(20):
            _register(net, f"n{i}", "10.0.0.5")
    lines = [r for r in caplog.records if "account creation refused" in r.getMessage()]
    assert len(lines) == 1 and "10.0.0.5" in lines[0].getMessage()


def test_a_register_flood_from_one_address_over_sockets_creates_few_accounts() -> None:
    with running_server(limits={"flood_rate": 0.0}) as srv:
        results = []
        for i in range(12):
            c = IRCClient(srv.port).register(f"flood{i}")
            c.send(f"REGISTER * * password-number-{i}")
            reply = c.expect("FAIL" if i >= 5 else "REGISTER")
            results.append(reply.params[:2])
            c.close()
        assert results[:5] == [("SUCCESS", f"flood{i}") for i in range(5)]
        assert results[5:] == [("REGISTER", "TEMPORARILY_UNAVAILABLE")] * 7
