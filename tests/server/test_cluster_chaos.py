"""A cluster's failures with real processes: SIGKILL a node, SIGSTOP one past its lease, restart
Redis. Each test starts its own redis-server and nodes (docs/cluster.md, "Failures")."""

from __future__ import annotations

import time

from socketchat.server.config import ClusterConfig
from tests.support import wait_for
from tests.support.cluster import Cluster, running_cluster
from tests.support.irc import IRCClient

LEASE = ClusterConfig().lease_seconds
# how long the others may take to reap a node: its lease, then a check (every lease/5); the
# margin is for a loaded test machine, not a promise (the target is the lease + 2 s)
REAP_WAIT = LEASE + 6


def member(cluster: Cluster, index: int, nick: str, channel: str) -> IRCClient:
    client = IRCClient(cluster.nodes[index].port, timeout=REAP_WAIT).register(nick)
    client.send(f"JOIN {channel}")
    client.expect("366")
    return client


def closed(client: IRCClient) -> bool:
    """The server closed the connection (a reset too: it had unread input from the client)."""
    try:
        return client.closed_by_server()
    except ConnectionResetError:
        return True


def test_sigkill_a_node_its_users_quit_for_the_others_and_their_nicks_are_free() -> None:
    with running_cluster(3) as cluster:
        bob = member(cluster, 0, "bob", "#chaos")
        carol = member(cluster, 1, "carol", "#chaos")
        alice = member(cluster, 2, "alice", "#chaos")
        bob.expect("JOIN", lambda m: m.nick == "alice")
        carol.expect("JOIN", lambda m: m.nick == "alice")
        cluster.nodes[2].kill()
        for survivor in (bob, carol):
            quit_ = survivor.expect("QUIT", lambda m: m.nick == "alice")
            assert quit_.params == ("Node gone",)
        again = IRCClient(cluster.nodes[1].port).register("alice")  # the nick is free
        again.send("JOIN #chaos")
        bob.expect("JOIN", lambda m: m.nick == "alice")
        bob.send("PRIVMSG #chaos :still here")
        assert carol.expect("PRIVMSG").params == ("#chaos", "still here")
        assert again.expect("PRIVMSG").params == ("#chaos", "still here")
        for c in (bob, carol, alice, again):
            c.close()


def test_sigstop_past_the_lease_then_sigcont_the_node_closes_its_clients() -> None:
    with running_cluster(2) as cluster:
        bob = member(cluster, 0, "bob", "#pause")
        alice = member(cluster, 1, "alice", "#pause")
        bob.expect("JOIN", lambda m: m.nick == "alice")
        paused = cluster.nodes[1]
        paused.stop()
        try:
            assert bob.expect("QUIT", lambda m: m.nick == "alice").params == ("Node gone",)
            # the nick is someone else's now; the paused node's client speaks meanwhile
            other = member(cluster, 0, "alice", "#pause")
            bob.expect("JOIN", lambda m: m.nick == "alice")
            alice.send("PRIVMSG #pause :I am back", "NICK alicia", "JOIN #pause")
        finally:
            paused.resume()
        error = alice.expect("ERROR")
        assert "Lost contact with the cluster" in error.params[0]
        assert closed(alice)
        wait_for(lambda: paused.process.poll() is not None, timeout=10)
        assert paused.process.returncode == 1
        # it resurrected nothing: no line of its client reached anyone, the nick stays taken
        seen = bob.collect(1.0)
        assert not [m for m in seen if m.command in ("PRIVMSG", "NICK", "JOIN", "QUIT")]
        bob.send("WHOIS alice")
        assert bob.expect("311").params[2] == "~alice"
        bob.send("NAMES #pause")
        assert sorted(bob.expect("353").params[-1].split()) == ["@bob", "alice"]
        assert "cut itself off" in paused.log() or "reaped this node" in paused.log()
        for c in (bob, alice, other):
            c.close()


def test_redis_restarted_empty_every_node_closes_its_clients_and_exits() -> None:
    with running_cluster(2) as cluster:
        alice = member(cluster, 0, "alice", "#r")
        bob = member(cluster, 1, "bob", "#r")
        started = time.monotonic()
        cluster.redis.restart()  # SIGKILL, and back empty: the log and the leases are gone
        for client in (alice, bob):
            error = client.expect("ERROR")
            assert "Lost contact with the cluster" in error.params[0]
        for node in cluster.nodes:
            wait_for(lambda n=node: n.process.poll() is not None, timeout=10)  # type: ignore[misc]
            assert node.process.returncode == 1
        assert time.monotonic() - started < 60  # (not a timing claim: it did not hang)
        # restarted (as a supervisor would), the cluster is one server again, fresh
        fresh = [cluster.start_node("n1b"), cluster.start_node("n2b")]
        again = IRCClient(fresh[0].port).register("alice")
        other = IRCClient(fresh[1].port).register("bob")
        again.send("JOIN #r")
        again.expect("366")
        other.send("JOIN #r")
        again.expect("JOIN", lambda m: m.nick == "bob")
        for c in (alice, bob, again, other):
            c.close()


def test_a_node_that_stops_says_so_its_users_quit_at_once() -> None:
    with running_cluster(2) as cluster:
        bob = member(cluster, 0, "bob", "#stop")
        alice = member(cluster, 1, "alice", "#stop")
        bob.expect("JOIN", lambda m: m.nick == "alice")
        cluster.nodes[1].process.terminate()  # SIGTERM: no lease to wait for
        assert bob.expect("QUIT", timeout=5).params == ("Server shutting down",)
        assert "Server shutting down" in alice.expect("ERROR").params[0]
        assert cluster.nodes[1].process.wait(timeout=10) == 0
        bob.send("NAMES #stop")
        assert bob.expect("353").params[-1].split() == ["@bob"]
        for c in (bob, alice):
            c.close()


def test_a_persistent_redis_restarted_within_the_lease_the_nodes_carry_on() -> None:
    with running_cluster(2, persistent=True) as cluster:
        alice = member(cluster, 0, "alice", "#r")
        bob = member(cluster, 1, "bob", "#r")
        alice.expect("JOIN", lambda m: m.nick == "bob")
        cluster.redis.restart()  # SIGKILL, and back at once with its append-only file
        bob.send("PRIVMSG #r :after the restart")
        assert alice.expect("PRIVMSG").params == ("#r", "after the restart")
        alice.send("PRIVMSG bob :still one server")
        assert bob.expect("PRIVMSG").params == ("bob", "still one server")
        assert all(node.process.poll() is None for node in cluster.nodes)
        for c in (alice, bob):
            c.close()
