"""The command set and IRCv3 capabilities end to end: our real server, real TCP sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socketchat.server.config import Operator
from socketchat.server.core import BASE_CAPS
from socketchat.server.passwords import hash_password
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server

ALL_CAPS = " ".join(sorted(BASE_CAPS))


@pytest.fixture(scope="module")
def srv() -> Iterator[RunningServer]:
    operators = (Operator("root", hash_password("toor")),)
    with running_server(operators=operators) as handle:
        yield handle


@pytest.fixture
def clients() -> Iterator[list[IRCClient]]:
    made: list[IRCClient] = []
    yield made
    for c in made:
        c.close()


def connect(srv: RunningServer, clients: list[IRCClient], nick: str, caps: str = "") -> IRCClient:
    c = IRCClient(srv.port, timeout=5).register(nick, caps)
    clients.append(c)
    return c


def test_registration_with_every_capability(srv: RunningServer, clients: list[IRCClient]) -> None:
    c = IRCClient(srv.port, timeout=5)
    clients.append(c)
    c.send("CAP LS 302")
    assert set(BASE_CAPS) <= set(c.cap_ls())  # every line of the 302 reply
    c.send(f"CAP REQ :{ALL_CAPS}", "NICK reg", "USER reg 0 * :Reg Istered")
    assert c.expect("CAP", lambda m: m.param(1) in ("ACK", "NAK")).param(1) == "ACK"
    c.send("CAP END")
    c.expect("001")
    c.expect("376")
    isupport = " ".join(" ".join(m.params) for m in c.log if m.command == "005")
    assert "WHOX" in isupport and "PREFIX=(ov)@+" in isupport
    assert all("batch" in m.tags for m in c.log if m.command == "005")  # extended-isupport
    c.send("CAP LIST")
    assert set(c.expect("CAP").params[-1].split()) == set(BASE_CAPS)
    c.send("JOIN #reg", "NAMES #reg")  # no-implicit-names: JOIN alone sends no 353
    join = c.expect("JOIN")
    assert join.params == ("#reg", "*", "Reg Istered")  # extended-join
    assert join.tags["time"].endswith("Z")
    assert "@reg!~reg@127.0.0.1" in c.expect("353").params[-1]  # userhost-in-names


def test_channel_chat_private_messages_and_echo(
    srv: RunningServer, clients: list[IRCClient]
) -> None:
    a = connect(srv, clients, "sa", "echo-message message-tags server-time")
    b = connect(srv, clients, "sb", "message-tags")
    a.send("JOIN #room")
    a.expect("366")
    b.send("JOIN #room")
    b.expect("366")
    a.send("@+typing=done PRIVMSG #room :hello room")
    echo = a.expect("PRIVMSG")
    got = b.expect("PRIVMSG")
    assert got.params == ("#room", "hello room") and got.tags["+typing"] == "done"
    assert echo.tags["msgid"] == got.tags["msgid"]
    b.send("PRIVMSG sa :just you")
    assert a.expect("PRIVMSG", lambda m: m.param(0) == "sa").params[1] == "just you"
    b.send("@+typing=active TAGMSG #room")
    assert a.expect("TAGMSG").tags["+typing"] == "active"
    b.send("AWAY :afk")
    b.expect("306")
    a.send("PRIVMSG sb :are you there")
    assert a.expect("301").params[2] == "afk"


def test_who_whox_and_whois(srv: RunningServer, clients: list[IRCClient]) -> None:
    a = connect(srv, clients, "wa", "multi-prefix")
    b = connect(srv, clients, "wb")
    a.send("JOIN #who")
    a.expect("366")
    b.send("JOIN #who")
    b.expect("366")
    a.send("MODE #who +v wa")
    a.expect("MODE")
    a.send("WHO #who")
    rows = {}
    while True:
        m = a.expect("352", timeout=5) if len(rows) < 2 else a.expect("315")
        if m.command == "315":
            break
        rows[m.params[5]] = m.params[6]
    assert rows == {"wa": "H@+", "wb": "H"}
    b.send("WHO #who %tcnfa,7")
    reply = b.expect("354", lambda m: m.params[3] == "wa")
    assert reply.params[1:] == ("7", "#who", "wa", "H@", "0")
    b.expect("315")
    b.send("WHOIS wa")
    assert b.expect("311").params[1:3] == ("wa", "~wa")
    assert b.expect("319").params[2] == "@#who"
    idle = b.expect("317")
    assert idle.params[2].isdigit()
    b.expect("318")


def test_modes_kick_and_invite(srv: RunningServer, clients: list[IRCClient]) -> None:
    op = connect(srv, clients, "mop", "invite-notify")
    guest = connect(srv, clients, "mguest")
    op.send("JOIN #modes")
    op.expect("366")
    op.send("MODE #modes +ik-t key")  # -t: no param; key goes to +k
    changed = op.expect("MODE")
    assert changed.params == ("#modes", "+ik-t", "key")
    op.send("MODE #modes")
    assert op.expect("324").params[2:] == ("+ink", "key")
    op.expect("329")
    guest.send("JOIN #modes key")
    guest.expect("473")
    op.send("INVITE mguest #modes")
    op.expect("341")
    guest.expect("INVITE")
    guest.send("JOIN #modes key")
    guest.expect("366")
    guest.send("MODE #modes +m")
    guest.expect("482")
    op.send("MODE #modes +b nasty!*@*", "MODE #modes b")
    assert op.expect("367").params[2] == "nasty!*@*"
    op.expect("368")
    op.send("KICK #modes mguest :out")
    kick = guest.expect("KICK")
    assert kick.params == ("#modes", "mguest", "out")


def test_oper_kill_and_lusers(srv: RunningServer, clients: list[IRCClient]) -> None:
    oper = connect(srv, clients, "kop")
    victim = connect(srv, clients, "kvictim")
    peer = connect(srv, clients, "kpeer")
    for c in (victim, peer):
        c.send("JOIN #kill")
        c.expect("366")
    oper.send("KILL kvictim :nope")
    oper.expect("481")
    oper.send("OPER root wrong")
    oper.expect("464")
    oper.send("OPER root toor")
    oper.expect("381")
    oper.send("KILL kvictim :enough")
    assert "Killed (kop (enough))" in victim.expect("ERROR").params[0]
    assert victim.closed_by_server()
    assert peer.expect("QUIT").params == ("Killed (kop (enough))",)
    oper.send("LUSERS")
    assert oper.expect("252").params[1] == "1"


def test_nick_setname_away_notify_whowas_and_labeled_response(
    srv: RunningServer, clients: list[IRCClient]
) -> None:
    watcher = connect(srv, clients, "cw", "setname away-notify labeled-response batch")
    actor = connect(srv, clients, "ca", "setname")
    for c in (watcher, actor):
        c.send("JOIN #caps")
        c.expect("366")
    actor.send("SETNAME :Brand New")
    assert actor.expect("SETNAME").params == ("Brand New",)
    assert watcher.expect("SETNAME").params == ("Brand New",)
    actor.send("AWAY :gone")
    assert watcher.expect("AWAY").params == ("gone",)
    actor.send("NICK ca2")
    assert watcher.expect("NICK").source == "ca!~ca@127.0.0.1"
    watcher.send("WHOWAS ca")
    watcher.expect("314")
    watcher.send("@label=L1 WHOIS ca2")
    start = watcher.expect("BATCH")
    assert start.tags["label"] == "L1" and start.params[1] == "labeled-response"
    assert watcher.expect("311").tags["batch"] == start.params[0][1:]
    assert watcher.expect("BATCH").params == ("-" + start.params[0][1:],)
    watcher.send("@label=L2 PONG :x")
    assert watcher.expect("ACK").tags["label"] == "L2"
