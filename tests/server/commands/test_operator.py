"""OPER against configured password hashes, and KILL (operators only)."""

import dataclasses

import pytest

from socketchat.server.config import Operator, ServerConfig
from socketchat.server.passwords import hash_password
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


@pytest.fixture(scope="module")
def oper_config() -> ServerConfig:
    return dataclasses.replace(
        ServerConfig(), operators=(Operator("admin", hash_password("hunter2")),)
    )


def test_oper_with_right_password_gets_381_and_plus_o(oper_config: ServerConfig) -> None:
    net = Net(oper_config)
    a = net.client("a")
    a.send("OPER admin hunter2")
    got = a.received()
    assert only(got, "MODE")[0].params == ("a", "+o")
    assert only(got, "381")
    a.send("MODE a")
    assert only(a.received(), "221")[0].params[1] == "+o"
    a.send("MODE a -o")
    assert only(a.received(), "MODE")[0].params == ("a", "-o")
    assert "o" not in a.session.modes


def test_oper_wrong_password_or_name_is_464(oper_config: ServerConfig) -> None:
    net = Net(oper_config)
    a = net.client("a")
    a.send("OPER admin wrong", "OPER nobody hunter2")
    assert [m.command for m in a.received()] == ["464", "464"]
    assert "o" not in a.session.modes
    a.send("OPER admin")
    assert only(a.received(), "461")


def test_kill_needs_oper(oper_config: ServerConfig) -> None:
    net = Net(oper_config)
    a, b = net.client("a"), net.client("b")
    a.send("KILL b :bye")
    assert only(a.received(), "481")
    assert not b.link.closed


def test_kill_closes_target_and_peers_see_quit(oper_config: ServerConfig) -> None:
    net = Net(oper_config)
    oper, victim, peer = net.client("oper"), net.client("victim"), net.client("peer")
    joined(net, "#c", victim, peer)
    oper.send("OPER admin hunter2", "KILL victim :spamming")
    got = victim.received()
    assert only(got, "KILL")[0].params == ("victim", "spamming")
    assert "Killed (oper (spamming))" in only(got, "ERROR")[0].params[0]
    assert victim.link.closed
    assert only(peer.received(), "QUIT")[0].params == ("Killed (oper (spamming))",)
    oper.send("KILL ghost :x")
    assert only(oper.received(), "401")
    oper.send("WHOIS oper")
    assert only(oper.received(), "313")
