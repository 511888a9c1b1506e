"""The welcome burst: its pre-encoded lines say exactly what a built Message would, for every
nick and when a labeled command collects it; LUSERS counts without scanning everybody."""

from __future__ import annotations

import dataclasses

from socketchat.irc.message import Message
from socketchat.server.config import Operator, ServerConfig
from socketchat.server.passwords import hash_password
from socketchat.server.welcome import host_numerics, isupport_numerics, motd_numerics
from tests.server.harness import Net


def expected_lines(net: Net, nick: str) -> list[str]:
    server = net.server
    return [
        Message(code, (nick, *params), server.name).to_line()
        for build in (host_numerics, isupport_numerics, motd_numerics)
        for code, params in build(server)
    ]


def test_static_numerics_are_the_messages_they_stand_for() -> None:
    config = dataclasses.replace(ServerConfig(), motd="first line\n\nthird: with a colon")
    net = Net(config)
    for nick in ("alice", "b[o]b", "x"):  # the second registration reuses the encoded lines
        c = net.client()
        c.send(f"NICK {nick}", f"USER u 0 * :{nick}")
        got = [m.to_line() for m in c.received() if m.command not in ("001", "NOTICE")]
        lusers = {"251", "252", "253", "254", "255", "265", "266"}
        got = [line for line in got if line.split(" ")[1] not in lusers]
        assert got == expected_lines(net, nick)


def test_labeled_motd_is_one_batch_of_the_same_lines() -> None:
    net = Net()
    c = net.client("alice", caps="labeled-response batch")
    c.send("@label=m1 MOTD")
    got = c.received()
    assert got[0].command == "BATCH" and got[0].tags.get("label") == "m1"
    inner = [m.with_tags({}).to_line() for m in got[1:-1]]
    assert inner == [
        Message(code, ("alice", *params), net.server.name).to_line()
        for code, params in motd_numerics(net.server)
    ]


def test_lusers_counts_invisible_users_and_operators_as_they_come_and_go() -> None:
    config = dataclasses.replace(
        ServerConfig(), operators=(Operator("admin", hash_password("hunter2")),)
    )
    net = Net(config)
    a, b = net.client("a"), net.client("b")

    def lusers() -> dict[str, tuple[str, ...]]:
        d = net.client()
        d.send("NICK d", "USER d 0 * :d")
        got = {m.command: m.params for m in d.received()}
        d.send("QUIT")
        return got

    assert "0 invisible" in lusers()["251"][1]
    a.send("MODE a +i")
    b.send("OPER admin hunter2")
    got = lusers()
    assert "1 invisible" in got["251"][1] and got["252"][1] == "1"
    a.send("MODE a -i")
    assert "0 invisible" in lusers()["251"][1]
    a.send("MODE a +i")
    a.send("QUIT")
    b.send("QUIT")
    got = lusers()
    assert "0 invisible" in got["251"][1] and "252" not in got
