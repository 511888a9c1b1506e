"""Snapshots and log trimming with real nodes on a real redis-server (docs/cluster.md).

After many entries the lowest live node writes a snapshot and the log is trimmed below it; a
node started later loads it, reads only the log after it, and then sees what the others see
(NAMES, WHO, MODE, TOPIC, bans) and chats with them.
"""

from __future__ import annotations

import time

import redis

from tests.server.test_cluster_sockets import joined, on, replies, without_asker
from tests.support.cluster import CONFIG, running_cluster
from tests.support.irc import IRCClient

SNAPSHOTS = CONFIG.replace("[limits]\n", "[limits]\nflood_rate = 0.0\n") + (
    "\n[cluster]\nsnapshot_entries = 40\nsnapshot_seconds = 0\n"
)


def wait_until(what: str, check: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def answer(client: IRCClient, line: str, end: str) -> list[tuple[str, ...]]:
    """What `line` is answered with, up to and with the numeric `end`, the asker left out."""
    got = replies(client, line, end)
    return without_asker([*got, client.log[len(client.log) - 1]])


def views(client: IRCClient) -> list[list[tuple[str, ...]]]:
    """What NAMES, WHO, MODE, TOPIC and the ban list of #snap look like to `client`."""
    return [
        answer(client, "NAMES #snap", "366"),
        answer(client, "WHO #snap", "315"),
        answer(client, "MODE #snap", "329"),
        answer(client, "TOPIC #snap", "333"),
        answer(client, "MODE #snap +b", "368"),
    ]


def position(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq)


def test_the_log_is_trimmed_and_a_later_node_starts_from_the_snapshot() -> None:
    with running_cluster(2, SNAPSHOTS) as cluster:
        r = redis.Redis(port=cluster.redis.port)
        alice = on(cluster, 0, "alice", "multi-prefix")
        bob = on(cluster, 1, "bob", "multi-prefix")
        clients = [alice, bob]
        try:
            joined(alice, "#snap")
            alice.send("MODE #snap +ntl 50", "TOPIC #snap :before the snapshot")
            alice.send("MODE #snap +b troll!*@*", "MODE #snap +b spam!*@*")
            joined(bob, "#snap")
            alice.send("MODE #snap +v bob")
            bob.expect("MODE", lambda m: m.params[1:] == ("+v", "bob"))
            for i in range(150):
                alice.send(f"PRIVMSG #snap :line {i}")
            bob.expect("PRIVMSG", lambda m: m.params == ("#snap", "line 149"), timeout=20)
            made = 150 + 12  # at least: the lines, the modes, the joins, registrations
            wait_until("a snapshot", lambda: r.get("socketchat:snapshot:id") is not None)
            # trimmed below the snapshot, once both nodes said how far they applied
            wait_until("the log trimmed", lambda: r.xlen("socketchat:log") < made // 2)
            first = r.xrange("socketchat:log", count=1)[0][0].decode()
            assert first != "0-0" and r.xlen("socketchat:log") < made // 2
            applied = {k.decode(): v.decode() for k, v in r.hgetall("socketchat:applied").items()}
            assert len(applied) == 2
            alice.send("TOPIC #snap :after the snapshot")  # (in the log after it)
            bob.expect("TOPIC", lambda m: m.params[-1] == "after the snapshot")

            node = cluster.start_node("n3")
            assert "loaded the snapshot at" in node.log()
            carol = on(cluster, 2, "carol", "multi-prefix")
            clients.append(carol)
            before = views(bob)
            # (a member sees who set a ban in full, an outsider by nick: below, as a member)
            assert views(carol)[:4] == before[:4] == views(alice)[:4]
            assert any("+bob" in line[-1].split() for line in before[0])  # (its +v)
            assert before[3][0][-1] == "after the snapshot"

            joined(carol, "#snap")
            carol.send("PRIVMSG #snap :hello from the new node", "PRIVMSG bob :psst")
            for c in (alice, bob):
                c.expect("PRIVMSG", lambda m: m.params == ("#snap", "hello from the new node"))
            bob.expect("PRIVMSG", lambda m: m.params == ("bob", "psst"))
            bob.send("PRIVMSG carol :hi carol")
            carol.expect("PRIVMSG", lambda m: m.params == ("carol", "hi carol"))
            assert views(carol) == views(bob) == views(alice)
        finally:
            for c in clients:
                c.close()


def test_a_node_lagging_behind_keeps_the_log_it_has_not_applied() -> None:
    with running_cluster(2, SNAPSHOTS) as cluster:
        r = redis.Redis(port=cluster.redis.port)
        alice = on(cluster, 0, "alice2")
        bob = on(cluster, 1, "bob2")
        try:
            joined(alice, "#lag")
            joined(bob, "#lag")
            bob.send("PING :synced")
            bob.expect("PONG")
            end = r.xrevrange("socketchat:log", count=1)[0][0]
            wait_until(  # (each node publishes how far it applied with its lease, every 1 s)
                "n2's position",
                lambda: position(r.hget("socketchat:applied", "2") or b"0-0") >= position(end),
            )
            cluster.nodes[1].stop()  # SIGSTOP: n2 applies nothing, and publishes nothing
            time.sleep(0.3)
            lagging = r.hget("socketchat:applied", "2")
            assert lagging is not None
            snapshot_before = r.get("socketchat:snapshot:id")
            for i in range(60):
                alice.send(f"PRIVMSG #lag :while n2 sleeps {i}")
            alice.send("PING :done")
            alice.expect("PONG")
            wait_until("a snapshot", lambda: r.get("socketchat:snapshot:id") != snapshot_before)
            # trimmed, but not past what n2 has not applied
            first = r.xrange("socketchat:log", count=1)[0][0]
            assert position(first) <= position(lagging)
            cluster.nodes[1].resume()
            got = [
                m
                for m in bob.collect(3.0)
                if m.command == "PRIVMSG" and m.params[-1].startswith("while n2")
            ]
            assert len(got) == 60
        finally:
            alice.close()
            bob.close()


def test_when_the_writer_dies_the_next_node_writes_the_snapshots() -> None:
    with running_cluster(3, SNAPSHOTS) as cluster:
        r = redis.Redis(port=cluster.redis.port)
        alice = on(cluster, 0, "alice3")  # on n1, the writer (the lowest live node)
        bob = on(cluster, 1, "bob3")
        carol = on(cluster, 2, "carol3")
        clients = [bob, carol]
        try:
            for c in (alice, bob, carol):
                joined(c, "#heir")
            cluster.nodes[0].kill()  # SIGKILL: its lease expires, n2 or n3 reaps it
            carol.expect("QUIT", lambda m: m.nick == "alice3", timeout=20)
            before = r.get("socketchat:snapshot:id")
            for i in range(60):
                bob.send(f"PRIVMSG #heir :after n1 {i}")
            carol.expect("PRIVMSG", lambda m: m.params[-1] == "after n1 59", timeout=20)
            wait_until("n2's snapshot", lambda: r.get("socketchat:snapshot:id") != before)
            assert "cluster: snapshot at" in cluster.nodes[1].log()
            # (the dead node's position is dropped: it holds nothing back)
            wait_until("n1's position dropped", lambda: r.hget("socketchat:applied", "1") is None)
            cluster.start_node("n4")
            dave = on(cluster, 3, "dave3")
            clients.append(dave)
            names = answer(dave, "NAMES #heir", "366")[0][-1].split()
            assert sorted(names) == ["bob3", "carol3"]
            joined(dave, "#heir")
            dave.send("PRIVMSG #heir :hello heirs")
            bob.expect("PRIVMSG", lambda m: m.params == ("#heir", "hello heirs"))
        finally:
            alice.close()
            for c in clients:
                c.close()


def test_a_live_node_that_published_no_position_keeps_the_whole_log() -> None:
    """(A node of a version before snapshots, in a rolling upgrade, says nothing.)"""
    with running_cluster(2, SNAPSHOTS) as cluster:
        r = redis.Redis(port=cluster.redis.port)
        alice = on(cluster, 0, "alice4")
        bob = on(cluster, 1, "bob4")
        try:
            joined(alice, "#old")
            joined(bob, "#old")
            cluster.nodes[1].stop()  # (within its lease: alive, and silent)
            r.hdel("socketchat:applied", "2")
            first = r.xrange("socketchat:log", count=1)[0][0]
            before = r.get("socketchat:snapshot:id")
            for i in range(60):
                alice.send(f"PRIVMSG #old :{i}")
            alice.send("PING :done")
            alice.expect("PONG")
            wait_until("a snapshot", lambda: r.get("socketchat:snapshot:id") != before)
            assert r.xrange("socketchat:log", count=1)[0][0] == first
            cluster.nodes[1].resume()
            got = [m for m in bob.collect(3.0) if m.command == "PRIVMSG"]
            assert len(got) == 60
        finally:
            alice.close()
            bob.close()
