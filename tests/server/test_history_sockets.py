"""History over real sockets against a real SQLite file: kill -9, restarts, paging, privacy."""

from __future__ import annotations

import signal
from pathlib import Path

from socketchat.irc.message import Message
from tests.support.irc import IRCClient
from tests.support.server import running_server, spawned_server

CAPS = "batch server-time message-tags draft/chathistory"
NO_FLOOD = {"flood_rate": 0.0, "flood_burst": 0}


def fetch(c: IRCClient, command: str) -> list[Message]:
    """Send one CHATHISTORY request; the messages of the batch that answers it."""
    c.send(command)
    ref = c.expect("BATCH", lambda m: m.params[0].startswith("+")).params[0][1:]
    c.expect("BATCH", lambda m: m.params[0] == "-" + ref)
    return [m for m in c.log if m.tags.get("batch") == ref]


def all_history(c: IRCClient, target: str, page: int = 37) -> list[Message]:
    """Walk a target's whole history backwards: LATEST, then BEFORE the oldest seen."""
    out = fetch(c, f"CHATHISTORY LATEST {target} * {page}")
    older = out
    while older:
        older = fetch(c, f"CHATHISTORY BEFORE {target} msgid={older[0].tags['msgid']} {page}")
        out = older + out
    return out


def test_every_received_message_survives_kill_9(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    config = tmp_path / "server.toml"
    config.write_text("[limits]\nenabled = false\n")
    received: list[Message] = []
    with spawned_server("--config", str(config), data_dir=data) as srv:
        sender = IRCClient(srv.port).register("sender")
        reader = IRCClient(srv.port).register("reader", "server-time message-tags")
        sender.send("JOIN #room")
        sender.expect("366")  # joined first, so it sees the reader arrive
        reader.send("JOIN #room")
        reader.expect("JOIN", lambda m: m.nick == "reader")
        sender.expect("JOIN", lambda m: m.nick == "reader")
        sender.send(*(f"PRIVMSG #room :message {i}" for i in range(3000)))
        while len(received) < 500:  # kill it mid-stream, while messages are still flowing
            received.append(reader.expect("PRIVMSG"))
        assert srv.process is not None
        srv.process.send_signal(signal.SIGKILL)
        srv.process.wait(timeout=10)
        for m in reader.collect(0.5):  # whatever was already in our socket buffer
            if m.command == "PRIVMSG":
                received.append(m)
    assert (Path(data) / "socketchat.db-wal").exists() or (Path(data) / "socketchat.db").exists()
    with spawned_server(data_dir=data) as srv:
        c = IRCClient(srv.port).register("checker", CAPS)
        c.send("JOIN #room")
        history = all_history(c, "#room", page=100)
    stored = {m.tags["msgid"]: m for m in history}
    missing = [m.param(1) for m in received if m.tags["msgid"] not in stored]
    assert not missing, f"{len(missing)} received messages lost, e.g. {missing[:3]}"
    for m in received:
        assert stored[m.tags["msgid"]].param(1) == m.param(1)
        assert stored[m.tags["msgid"]].tags["time"] == m.tags["time"]
    texts = [m.param(1) for m in history]
    assert texts == sorted(texts, key=lambda t: int(t.split()[1]))  # in order, no duplicates


def test_history_after_a_clean_restart_and_paging_both_ways(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", "echo-message")
        alice.send("JOIN #room", *(f"PRIVMSG #room :m{i}" for i in range(250)))
        alice.expect("PRIVMSG", lambda m: m.param(1) == "m249")
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:
        c = IRCClient(srv.port).register("bob", CAPS)
        c.send("JOIN #room")
        backward = all_history(c, "#room", page=40)
        assert [m.param(1) for m in backward] == [f"m{i}" for i in range(250)]
        forward: list[Message] = []
        page = fetch(c, "CHATHISTORY AFTER #room timestamp=2000-01-01T00:00:00.000Z 33")
        while page:
            forward += page
            page = fetch(c, f"CHATHISTORY AFTER #room msgid={page[-1].tags['msgid']} 33")
        assert [m.tags["msgid"] for m in forward] == [m.tags["msgid"] for m in backward]


def test_replay_on_join_over_sockets(tmp_path: Path) -> None:
    settings = {"history_replay_on_join": 5, "history_replay_unidentified": True}
    with running_server(limits=NO_FLOOD, **settings) as srv:
        alice = IRCClient(srv.port).register("alice", "echo-message")
        alice.send("JOIN #room", *(f"PRIVMSG #room :m{i}" for i in range(8)))
        alice.expect("PRIVMSG", lambda m: m.param(1) == "m7")
        bob = IRCClient(srv.port).register("bob", "batch server-time")
        bob.send("JOIN #room")
        start = bob.expect("BATCH")
        assert start.params[1:] == ("chathistory", "#room")
        lines = [bob.expect("PRIVMSG") for _ in range(5)]
        assert [m.param(1) for m in lines] == [f"m{i}" for i in range(3, 8)]
        assert all(m.tags["batch"] == start.params[0][1:] and "time" in m.tags for m in lines)
        plain = IRCClient(srv.port).register("carol")
        plain.send("JOIN #room")
        assert plain.expect("NOTICE").param(1) == "--- history ---"
        first = plain.expect("PRIVMSG")
        assert first.param(1).startswith("[") and first.param(1).endswith("UTC] m3")


def test_private_history_is_private_over_sockets(tmp_path: Path) -> None:
    with running_server() as srv:
        alice = IRCClient(srv.port).register("alice", CAPS)
        bob = IRCClient(srv.port).register("bob", CAPS)
        carol = IRCClient(srv.port).register("carol", CAPS)
        alice.send("PRIVMSG bob :for bob only")
        bob.expect("PRIVMSG")
        assert [m.param(1) for m in fetch(bob, "CHATHISTORY LATEST alice * 10")] == ["for bob only"]
        assert fetch(carol, "CHATHISTORY LATEST alice * 10") == []
        assert fetch(carol, "CHATHISTORY LATEST bob * 10") == []
        bob.send("QUIT")
        bob.closed_by_server()
        newcomer = IRCClient(srv.port).register("bob", CAPS)
        assert fetch(newcomer, "CHATHISTORY LATEST alice * 10") == []
        assert fetch(alice, "CHATHISTORY LATEST bob * 10") == []  # the new bob is someone else
