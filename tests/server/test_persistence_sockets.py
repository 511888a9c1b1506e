"""History privacy and replay over real sockets, against a real SQLite file and restarts
(issue 10): a closed channel's history stays with the incarnation it was said in, and a plain
client never sees a replayed line twice."""

from __future__ import annotations

import base64
from pathlib import Path

from socketchat.irc.message import Message
from tests.support.irc import IRCClient
from tests.support.server import running_server

NO_FLOOD = {"flood_rate": 0.0, "flood_burst": 0}
CAPS = "batch server-time message-tags draft/chathistory"
SECRET = "the launch code is 0000"


def history(c: IRCClient, target: str) -> list[str]:
    """The texts CHATHISTORY LATEST gives `c` for `target` ([] for a FAIL)."""
    settle(c, "before")
    start = c._pos
    c.send(f"CHATHISTORY LATEST {target} * 100", "PING :hist")
    c.expect("PONG", lambda m: m.param(-1) == "hist")
    return [m.param(1) for m in c.log[start:] if m.command == "PRIVMSG"]


def settle(c: IRCClient, token: str = "sync") -> list[Message]:
    """Everything `c` has not yet expected, up to the server's answer to a PING sent now."""
    start = c._pos
    c.send(f"PING :{token}")
    c.expect("PONG", lambda m: m.param(-1) == token)
    return c.log[start:]


def test_a_closed_channels_history_goes_with_its_incarnation(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:
        op = IRCClient(srv.port).register("op", CAPS)
        op.send("JOIN #vault", "MODE #vault +sik hunter2")
        op.expect("MODE")
        friend = IRCClient(srv.port).register("friend", CAPS)
        op.send("INVITE friend #vault")
        friend.expect("INVITE")
        op.send(f"PRIVMSG #vault :{SECRET}", "JOIN #open", "PRIVMSG #open :open words")
        settle(op)
        friend.send("JOIN #vault hunter2")
        friend.expect("366")
        assert SECRET in history(friend, "#vault")  # admitted to this incarnation: reads it
        op.send("PART #vault", "QUIT :bye")
        friend.send("PART #vault")
        friend.expect("PART")
        friend.close()
        # #vault is empty: it has ceased to exist. Whoever recreates it is op of a new one.
        thief = IRCClient(srv.port).register("thief", CAPS)
        thief.send("JOIN #vault")
        thief.expect("366")
        assert SECRET not in [m.param(1) for m in settle(thief)]
        assert history(thief, "#vault") == []
        plain = IRCClient(srv.port).register("plain")  # with an account: replay is on for it
        plain.send("PRIVMSG NickServ :REGISTER plain-password")
        plain.expect("NOTICE", lambda m: "registered" in m.param(1))
        plain.send("JOIN #vault")
        plain.expect("366")
        assert not any(SECRET in m.param(-1) for m in settle(plain))
        for c in (thief, plain):
            c.close()
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:  # after a restart too
        newcomer = IRCClient(srv.port).register("newcomer", CAPS)
        newcomer.send("JOIN #vault", "JOIN #open")
        newcomer.expect("366")
        assert history(newcomer, "#vault") == []
        assert history(newcomer, "#open") == ["open words"]  # open lines stay readable
        newcomer.close()


def _plain_with_account(port: int, nick: str, password: str) -> IRCClient:
    """Like irssi with SASL: no chathistory, no batch, no server-time."""
    c = IRCClient(port)
    c.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send("AUTHENTICATE " + base64.b64encode(f"\0{nick}\0{password}".encode()).decode())
    c.expect("903")
    c.send("CAP END")
    c.expect("376")
    return c


def _join_and_read(c: IRCClient, channel: str) -> list[str]:
    """JOIN, then every PRIVMSG/NOTICE text in that channel up to a PING's answer."""
    c.send(f"JOIN {channel}")
    c.expect("366")
    return [
        m.param(1)
        for m in settle(c)
        if m.command in ("PRIVMSG", "NOTICE") and m.param(0) == channel
    ]


def test_a_plain_client_reconnecting_never_sees_a_line_twice(tmp_path: Path) -> None:
    with running_server(limits=NO_FLOOD, data_dir=str(tmp_path)) as srv:
        talker = IRCClient(srv.port).register("talker")
        talker.send("JOIN #room", "PRIVMSG #room :before anyone")
        settle(talker)
        maker = IRCClient(srv.port).register("dave")
        maker.send("PRIVMSG NickServ :REGISTER dave-password")
        maker.expect("NOTICE", lambda m: "registered" in m.param(1))
        maker.close()
        seen: list[str] = []
        for round_ in range(3):
            dave = _plain_with_account(srv.port, "dave", "dave-password")
            got = _join_and_read(dave, "#room")
            if round_ < 2:
                assert got[0] == "--- history ---" and got[-1] == "--- end of history ---"
            else:
                assert got == []  # nothing was said meanwhile: no replay, no frame
            lines = [t.split("] ", 1)[-1] for t in got[1:-1]]
            assert not set(lines) & set(seen), f"round {round_}: {lines} seen again"
            seen += lines
            talker.send(f"PRIVMSG #room :live {round_}")
            live = dave.expect("PRIVMSG").param(1)
            seen.append(live)
            dave.send("QUIT :bye")
            assert dave.closed_by_server()
            if round_ == 0:
                talker.send("PRIVMSG #room :while dave was away")
                settle(talker)
        assert seen == [
            "before anyone",
            "live 0",
            "while dave was away",
            "live 1",
            "live 2",
        ]
        guest = IRCClient(srv.port).register("guest")  # no account: no replay at all
        assert _join_and_read(guest, "#room") == []
        talker.close()
        guest.close()


def test_what_a_plain_client_saw_live_is_not_replayed_after_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path)
    with running_server(limits=NO_FLOOD, data_dir=data, always_on=False) as srv:
        talker = IRCClient(srv.port).register("talker")
        talker.send("PRIVMSG NickServ :REGISTER talker-password", "JOIN #room")
        talker.expect("366")
        erin = IRCClient(srv.port).register("erin")
        erin.send("PRIVMSG NickServ :REGISTER erin-password")
        erin.expect("NOTICE", lambda m: "registered" in m.param(1))
        assert _join_and_read(erin, "#room") == []
        talker.send("PRIVMSG #room :seen live")
        assert erin.expect("PRIVMSG").param(1) == "seen live"
    # the server stopped with erin still in #room; she comes back to a new process
    with running_server(limits=NO_FLOOD, data_dir=data, always_on=False) as srv:
        talker = IRCClient(srv.port).register("talker")
        talker.send("JOIN #room", "PRIVMSG #room :said while erin was away")
        settle(talker)
        erin = _plain_with_account(srv.port, "erin", "erin-password")
        got = _join_and_read(erin, "#room")
        assert [t.split("] ", 1)[-1] for t in got] == [
            "--- history ---",
            "said while erin was away",
            "--- end of history ---",
        ]
        talker.close()
        erin.close()
