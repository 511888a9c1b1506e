"""draft/event-playback over real sockets: reactions and topics survive a restart."""

from __future__ import annotations

from pathlib import Path

from tests.server.test_history_sockets import fetch
from tests.support.irc import IRCClient
from tests.support.server import running_server

CAPS = "batch server-time message-tags echo-message draft/chathistory draft/event-playback"


def test_reactions_survive_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", CAPS)
        alice.send("JOIN #room")
        alice.expect("366")
        alice.send("PRIVMSG #room :lunch?")
        msgid = alice.expect("PRIVMSG").tags["msgid"]
        alice.send(f"@+draft/react=🍕;+draft/reply={msgid} TAGMSG #room", "TOPIC #room :food")
        alice.expect("TAGMSG")
        alice.expect("TOPIC")
    with running_server(data_dir=data) as srv:
        c = IRCClient(srv.port).register("checker", CAPS)
        c.send("JOIN #room")
        c.expect("366")
        got = fetch(c, "CHATHISTORY LATEST #room * 10")
        commands = [m.command for m in got]
        assert commands == ["JOIN", "PRIVMSG", "TAGMSG", "TOPIC", "QUIT", "JOIN"]  # QUIT: the stop
        reaction = got[2]
        assert reaction.tags["+draft/react"] == "🍕" and reaction.tags["+draft/reply"] == msgid
        plain = IRCClient(srv.port).register(
            "plain", "batch server-time message-tags draft/chathistory"
        )
        plain.send("JOIN #room")
        plain.expect("366")
        assert [m.command for m in fetch(plain, "CHATHISTORY LATEST #room * 10")] == ["PRIVMSG"]
