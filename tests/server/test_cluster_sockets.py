"""Three real `socketchat serve --redis` nodes on a real redis-server are one IRC server.

The nodes share a module's cluster (each start costs a second); each test uses its own nicks
and channels. The chaos tests (tests/server/test_cluster_chaos.py) start their own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketchat.irc.message import Message
from tests.support import free_port, wait_for_port
from tests.support.cluster import CONFIG, OPER_PASSWORD, Cluster, running_cluster
from tests.support.irc import IRCClient
from tests.web.wsclient import WSClient


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
    """Numerics as anyone would see them: the asker's nick (their first parameter) left out,
    and WHOIS's idle seconds (317: counted when each asker asks, a second apart or not)."""
    return [
        (m.source or "", m.command, *m.params[1:2], "<idle>", *m.params[3:])
        if m.command == "317"
        else (m.source or "", m.command, *m.params[1:])
        for m in msgs
    ]


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
        # one server: created once, whichever node says it
        created = {next(m.params[-1] for m in c.log if m.command == "003") for c in everyone}
        assert len(created) == 1
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


def test_100_clients_claim_one_nick_on_three_nodes_and_exactly_one_wins(
    cluster: Cluster,
) -> None:
    claimants = [IRCClient(cluster.nodes[i % 3].port) for i in range(100)]
    try:
        for i, c in enumerate(claimants):  # as close to at once as one thread gets
            c.send("NICK racer", f"USER r{i} 0 * :r{i}")
        outcome = [first_of(c, "001", "433") for c in claimants]
        assert outcome.count("001") == 1 and outcome.count("433") == 99
        winner = f"~r{outcome.index('001')}"
        observers = [on(cluster, i, f"obs{i}") for i in range(3)]
        try:  # every node knows the same holder
            for o in observers:
                o.send("WHOIS racer")
                assert o.expect("311").params[2] == winner
        finally:
            for o in observers:
                o.close()
    finally:
        for c in claimants:
            c.close()


def first_of(client: IRCClient, *commands: str, timeout: float = 20.0) -> str:
    """Which of `commands` the server sent first to this fresh client."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in client.log:
            if msg.command in commands:
                return msg.command
        client.collect(0.05)
    raise AssertionError(f"none of {commands} came; last lines: {client.log[-5:]}")


def test_two_creators_of_one_channel_on_two_nodes_give_one_op(cluster: Cluster) -> None:
    left, right = on(cluster, 0, "lefty"), on(cluster, 2, "righty")
    try:
        channels = [f"#both{i}" for i in range(10)]
        for name in channels:
            left.send(f"JOIN {name}")
            right.send(f"JOIN {name}")
        for name in channels:
            views = [replies(c, f"NAMES {name}", "366") for c in (left, right)]
            for view in views:
                members = view[-1].params[-1].split()
                assert sorted(m.lstrip("@") for m in members) == ["lefty", "righty"]
                assert sum(m.startswith("@") for m in members) == 1, name
            assert views[0][-1].params[-1] == views[1][-1].params[-1]
    finally:
        left.close()
        right.close()


def test_limit_5_with_20_joiners_on_three_nodes_lets_exactly_5_in(cluster: Cluster) -> None:
    op = on(cluster, 0, "limop")
    joiners = [on(cluster, i % 3, f"j{i}") for i in range(20)]
    try:
        joined(op, "#lim")
        op.send("MODE #lim +l 6")  # the op and five more
        op.expect("MODE")
        for j in joiners:
            j.send("JOIN #lim")
        answers = [first_of(j, "366", "471") for j in joiners]
        assert answers.count("366") == 5 and answers.count("471") == 15
        for index in range(3):
            names = replies(joiners[index], "NAMES #lim", "366")
            assert len(names[-1].params[-1].split()) == 6
    finally:
        op.close()
        for j in joiners:
            j.close()


def test_a_node_started_later_replays_the_log_and_serves_websocket(cluster: Cluster) -> None:
    alice = on(cluster, 0, "latealice")
    try:
        joined(alice, "#late")
        alice.send("TOPIC #late :set before the node started")
        alice.expect("TOPIC")
        web_port = free_port()
        node = cluster.start_node("late", "--web-port", str(web_port))
        wait_for_port(web_port)
        webby = WSClient(web_port).register("webby")
        try:
            webby.send("JOIN #late")
            assert webby.expect("332").params[-1] == "set before the node started"
            names = webby.expect("353").params[-1].split()
            assert sorted(names) == ["@latealice", "webby"]
            alice.expect("JOIN", lambda m: m.nick == "webby")
            webby.send("PRIVMSG #late :hello from the web")
            assert alice.expect("PRIVMSG").params == ("#late", "hello from the web")
            assert "joined after" in node.log()
        finally:
            webby.close()
    finally:
        alice.close()


def test_invite_kick_kill_monitor_and_away_across_nodes(cluster: Cluster) -> None:
    op = on(cluster, 0, "chanop", "away-notify labeled-response echo-message batch")
    guest = on(cluster, 1, "guest")
    watcher = on(cluster, 2, "watcher")
    try:
        joined(op, "#closed")
        op.send("MODE #closed +i")
        op.expect("MODE")
        guest.send("JOIN #closed")
        assert guest.expect("473").params[1] == "#closed"  # invite only, seen on node 2
        op.send("INVITE guest #closed")
        assert guest.expect("INVITE").params == ("guest", "#closed")
        joined(guest, "#closed")
        op.expect("JOIN", lambda m: m.nick == "guest")
        # a labeled command answered on its own node, after the log
        op.send("@label=l1 PRIVMSG #closed :labeled")
        echo = op.expect("PRIVMSG", lambda m: m.params == ("#closed", "labeled"))
        assert echo.tags.get("label") == "l1"
        guest.send("AWAY :lunch")
        assert op.expect("AWAY", lambda m: m.nick == "guest").params == ("lunch",)
        op.send("KICK #closed guest :out")
        assert guest.expect("KICK").params == ("#closed", "guest", "out")
        watcher.send("MONITOR + guest")
        assert watcher.expect("730").params[-1].startswith("guest!")
        op.send(f"OPER root {OPER_PASSWORD}")  # (the password check runs on node 1 only)
        op.expect("381")
        op.send("KILL guest :enough")
        assert "enough" in guest.expect("ERROR").params[0]
        assert watcher.expect("731").params[-1] == "guest"  # offline, seen on node 3
        watcher.send("WHOIS guest")
        assert watcher.expect("401").params[1] == "guest"
    finally:
        for c in (op, guest, watcher):
            c.close()


def test_cloaks_are_the_same_on_every_node() -> None:
    cloaked = CONFIG.replace("cloak_hosts = false", "cloak_hosts = true")
    with running_cluster(2, cloaked) as pair:
        one, two = on(pair, 0, "one"), on(pair, 1, "two")
        try:  # the same address, so the same cloak: one secret for the network (in Redis)
            hosts = set()
            for asker, nick in ((one, "two"), (two, "one"), (one, "one")):
                asker.send(f"WHOIS {nick}")
                hosts.add(asker.expect("311").params[3])
            assert len(hosts) == 1 and hosts.pop().endswith(".cloak.socketchat")
        finally:
            one.close()
            two.close()
