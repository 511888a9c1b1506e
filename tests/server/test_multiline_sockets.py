"""draft/multiline over real sockets: one stored message, replayed as a batch after a restart."""

from __future__ import annotations

from pathlib import Path

from tests.server.test_history_sockets import fetch
from tests.support.irc import IRCClient
from tests.support.server import running_server

CAPS = "batch server-time message-tags echo-message draft/chathistory draft/multiline"


def test_a_multiline_message_survives_a_restart_as_one(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", CAPS)
        alice.send("JOIN #room")
        alice.expect("366")
        alice.send(
            "BATCH +m draft/multiline #room",
            "@batch=m PRIVMSG #room :first line",
            "@batch=m PRIVMSG #room :second, ",
            "@batch=m;draft/multiline-concat PRIVMSG #room :continued",
            "BATCH -m",
        )
        msgid = alice.expect("BATCH", lambda m: m.params[0].startswith("+")).tags["msgid"]
        alice.expect("BATCH", lambda m: m.params[0].startswith("-"))
        keeper = IRCClient(srv.port).register("keeper")
        keeper.send("JOIN #room")
        keeper.expect("366")
    with running_server(data_dir=data) as srv:
        c = IRCClient(srv.port).register("checker", CAPS)
        c.send("JOIN #room")
        c.expect("366")
        got = fetch(c, "CHATHISTORY LATEST #room * 1")
        inner = [m for m in got if m.command == "BATCH" and m.param(1) == "draft/multiline"]
        assert len(inner) == 1 and inner[0].tags["msgid"] == msgid
        ref = inner[0].params[0][1:]
        lines = [m for m in c.log if m.tags.get("batch") == ref]
        assert [m.param(1) for m in lines] == ["first line", "second, ", "continued"]
        assert "draft/multiline-concat" in lines[2].tags
