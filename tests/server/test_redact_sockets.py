"""REDACT over real sockets: a redacted line is gone from history, also after a restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from socketchat.storage.sqlite import SqliteBackend
from tests.server.test_history_sockets import fetch
from tests.support.irc import IRCClient
from tests.support.server import running_server

SEARCH_FILES = ("socketchat-search.db", "socketchat-search.db-wal")
CAPS = "batch server-time message-tags echo-message draft/chathistory draft/message-redaction"


def test_redacted_line_leaves_history_for_good(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", CAPS)
        alice.send("JOIN #room")
        alice.expect("366")
        alice.send("PRIVMSG #room :keep", "PRIVMSG #room :oops")
        alice.expect("PRIVMSG", lambda m: m.param(1) == "keep")
        oops = alice.expect("PRIVMSG", lambda m: m.param(1) == "oops").tags["msgid"]
        alice.send(f"REDACT #room {oops} :typo")
        assert alice.expect("REDACT").params == ("#room", oops, "typo")
        texts = [m.param(1) for m in fetch(alice, "CHATHISTORY LATEST #room * 10")]
        assert texts == ["keep"]
        reader = IRCClient(srv.port).register("reader", CAPS)
        reader.send("JOIN #room")  # keeps the channel (and its history) through the restart
        reader.expect("366")
    with running_server(data_dir=data) as srv:
        c = IRCClient(srv.port).register("checker", CAPS)
        c.send("JOIN #room")
        c.expect("366")
        texts = [m.param(1) for m in fetch(c, "CHATHISTORY LATEST #room * 10")]
        assert texts == ["keep"]
    # nothing of it left in the files: the database and the search index, and their WALs
    for name in ("socketchat.db", "socketchat.db-wal", *SEARCH_FILES):
        path = Path(data) / name
        assert not path.exists() or b"oops" not in path.read_bytes()


def test_a_running_server_scrubs_a_redacted_line_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only at shutdown: the search index's worker scrubs it (SQLite before 3.42) and
    truncates its WAL, the server's tick removes the change log's copy of the line and the
    checkpoint after it truncates the database's WAL, while the server runs on."""
    monkeypatch.setattr(SqliteBackend, "SCRUB_AFTER_REDACT", 0.0)
    data = str(tmp_path / "data")
    names = ("socketchat.db", "socketchat.db-wal", *SEARCH_FILES)
    files = [Path(data) / name for name in names]

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in files if p.exists())

    with running_server(data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", CAPS)
        alice.send("JOIN #room")
        alice.expect("366")
        alice.send("PRIVMSG #room :keep", "PRIVMSG #room :zqxoops")
        oops = alice.expect("PRIVMSG", lambda m: m.param(1) == "zqxoops").tags["msgid"]
        deadline = time.monotonic() + 10
        while b"zqxoops" not in on_disk() and time.monotonic() < deadline:
            time.sleep(0.05)  # (stored at once; in the file at the next checkpoint)
        assert b"zqxoops" in on_disk()
        alice.send(f"REDACT #room {oops} :typo")
        alice.expect("REDACT")
        deadline = time.monotonic() + 20
        while b"zqxoops" in on_disk() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.name for p in files if p.exists() and b"zqxoops" in p.read_bytes()] == []
        alice.send("PRIVMSG #room :still here")  # the server goes on
        alice.expect("PRIVMSG", lambda m: m.param(1) == "still here")
