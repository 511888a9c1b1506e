"""Three real `socketchat serve --redis` nodes on a real redis-server are one IRC server.

The nodes share a module's cluster (each start costs a second); each test uses its own nicks
and channels. The chaos tests (tests/server/test_cluster_chaos.py) start their own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketchat.irc.message import Message
from tests.support import free_port
from tests.support.cluster import Cluster, running_cluster
from tests.support.irc import IRCClient


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(3) as running:
        yield running


def on(cluster: Cluster, index: int, nick: str, caps: str = "") -> IRCClient:
    return IRCClient(cluster.nodes[index].port).register(nick, caps)


def joined(client: IRCClient, channel: str) -> None:
    client.send(f"JOIN {channel}")
    client.expect("366")


def replies(client: IRCClient, line: str, end: str) -> list[Message]:
    """What `line` is answered with, up to the numeric `end` (left out)."""
    client.collect(0.05)
    start = len(client.log)
    client.send(line)
    client.expect(end)
    out = client.log[start:]
    return [m for m in out[: out.index(next(m for m in out if m.command == end))]]


def without_asker(msgs: list[Message]) -> list[tuple[str, ...]]:
    """Numerics as anyone would see them: the asker's nick (their first parameter) left out."""
    return [(m.source or "", m.command, *m.params[1:]) for m in msgs]


def test_two_people_on_different_nodes_chat_and_pm(cluster: Cluster) -> None:
    alice = on(cluster, 0, "alice", "echo-message message-tags server-time")
    bob = on(cluster, 1, "bob", "message-tags server-time")
    try:
        joined(alice, "#lobby")
        joined(bob, "#lobby")
        alice.expect("JOIN", lambda m: m.nick == "bob")
        alice.send("PRIVMSG #lobby :hello bob")
        heard = bob.expect("PRIVMSG", lambda m: m.params == ("#lobby", "hello bob"))
        echo = alice.expect("PRIVMSG", lambda m: m.params == ("#lobby", "hello bob"))
        assert heard.nick == "alice"
        # one message: the same msgid and server-time for the sender's echo and the reader
        assert heard.tags["msgid"] == echo.tags["msgid"]
        assert heard.tags["time"] == echo.tags["time"]
        bob.send("PRIVMSG alice :psst")
        pm = alice.expect("PRIVMSG", lambda m: m.params == ("alice", "psst"))
        assert pm.source is not None and pm.source.startswith("bob!")
        bob.send("PART #lobby :bye")
        assert alice.expect("PART", lambda m: m.nick == "bob").params == ("#lobby", "bye")
    finally:
        alice.close()
        bob.close()


def test_names_who_whois_are_the_same_from_every_node(cluster: Cluster) -> None:
    carol = on(cluster, 0, "carol")
    dave = on(cluster, 1, "dave")
    erin = on(cluster, 2, "erin")
    try:
        for c in (carol, dave, erin):
            joined(c, "#same")
        carol.expect("JOIN", lambda m: m.nick == "erin")
        dave.expect("JOIN", lambda m: m.nick == "erin")
        everyone = (carol, dave, erin)
        for query, end, askers in (
            ("NAMES #same", "366", everyone),
            ("WHO #same", "315", everyone),
            ("LUSERS", "266", everyone),
            ("WHOIS carol", "318", (dave, erin)),  # (one's own WHOIS shows more)
            ("WHOIS erin", "318", (carol, dave)),
        ):
            seen = [without_asker(replies(c, query, end)) for c in askers]
            assert all(view == seen[0] for view in seen), query
        names = replies(dave, "NAMES #same", "366")
        assert names[0].params[-1].split() == ["@carol", "dave", "erin"]
        who = {m.params[5] for m in replies(erin, "WHO #same", "315") if m.command == "352"}
        assert who == {"carol", "dave", "erin"}
    finally:
        for c in (carol, dave, erin):
            c.close()


def test_a_quit_on_one_node_is_seen_on_the_others_and_frees_the_nick(cluster: Cluster) -> None:
    frank = on(cluster, 2, "frank")
    grace = on(cluster, 0, "grace")
    try:
        joined(frank, "#quits")
        joined(grace, "#quits")
        frank.expect("JOIN", lambda m: m.nick == "grace")
        grace.send("QUIT :see you")
        quit_ = frank.expect("QUIT", lambda m: m.nick == "grace")
        assert quit_.params == ("Quit: see you",)
        again = on(cluster, 1, "grace")  # the nick is free on every node
        again.close()
    finally:
        frank.close()
        grace.close()


def test_redis_unreachable_at_start_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", "0", "--data-dir", str(tmp_path / "d"), "--redis", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.startswith(f"socketchat serve: cannot reach Redis at {url}: ")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
