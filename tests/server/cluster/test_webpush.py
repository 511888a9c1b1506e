"""draft/webpush on a cluster without Redis or PostgreSQL (`StoreCluster`: three replicas on one
list-log, one counted SQLite backend): a subscription is written once and known to every node
from memory; a mention or a private message is pushed by the sender's node only, decided with
the account's devices on every node; a device on another node that reads in time stops it; a
404/410 heard by one node goes through the log and every node forgets the subscription.
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

from socketchat.server.cluster import snapshot
from socketchat.server.cluster.replica import Replica
from socketchat.server.config import ServerConfig, WebPushSettings
from socketchat.server.core import Server
from socketchat.server.persistence import Persistence
from socketchat.server.webpush import PushJob
from socketchat.storage.base import PushSubscription
from tests.server.cluster.test_replica import of
from tests.server.cluster.test_snapshot import add_node
from tests.server.cluster.test_store import PASSWORD, StoreCluster
from tests.server.test_webpush_core import ENDPOINT, KEYS, VAPID

CAPS = "draft/account-registration draft/read-marker server-time message-tags"


class PushCluster(StoreCluster):
    """A `StoreCluster` whose every node offers draft/webpush (as `main` does on each node of a
    network with the store: one VAPID key)."""

    def _build(self, replica: Replica, config: ServerConfig | None) -> Server:
        server = super()._build(replica, config)
        server.push.enable(VAPID)
        return server


def push_cluster(tmp_path: Path, **push: Any) -> PushCluster:
    settings = dataclasses.replace(WebPushSettings(), **push)
    return PushCluster(tmp_path, webpush=settings, always_on=False)


def account(net: StoreCluster, node: int, name: str, *, new: bool = False) -> Any:
    """A client on `node` logged in to `name` (REGISTERed when `new`, else SASL)."""
    c = net.client(node)
    c.send("CAP LS 302", f"CAP REQ :{CAPS} sasl", f"NICK {name}", f"USER {name} 0 * :{name}")
    if new:
        c.send(f"REGISTER * * {PASSWORD}")
    else:
        token = base64.b64encode(f"{name}\0{name}\0{PASSWORD}".encode()).decode()
        c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {token}")
    c.send("CAP END")
    assert c.session.account == name, c.received()
    return c


def subscriptions(server: Server, name: str) -> list[PushSubscription]:
    assert isinstance(server.storage, Persistence)
    return server.storage.push_subscriptions(name)


def later(net: StoreCluster, seconds: float) -> None:
    """`seconds` pass, for the nodes' clocks and the log's (entries are stamped by it)."""
    net.clock.advance(seconds)
    net.ms = max(net.ms, int(net.clock.now * 1000))
    for server in net.servers:
        server.tick()


def queued(net: StoreCluster) -> list[list[PushJob]]:
    """What each node's notifier has put in its queue for the transport (and empty it)."""
    out = []
    for server in net.servers:
        out.append(list(server.push.queue))
        server.push.queue.clear()
    return out


def test_a_subscription_is_written_once_and_every_node_knows_it_from_memory(
    tmp_path: Path,
) -> None:
    net = push_cluster(tmp_path, max_subscriptions=1)
    alice = account(net, 0, "alice", new=True)
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")
    assert of(alice.received(), "WEBPUSH")[-1].params[:2] == ("REGISTER", ENDPOINT)
    assert net.shared.calls["add_push_subscription"] == 1  # three nodes applied it, one wrote
    assert [s.endpoint for s in net.shared.backend.push_subscriptions("alice")] == [ENDPOINT]
    reads = net.shared.calls["push_subscriptions"]
    assert len({tuple(subscriptions(s, "alice")) for s in net.servers}) == 1  # the same, all
    assert [s.endpoint for s in subscriptions(net.servers[2], "alice")] == [ENDPOINT]
    # the limit is decided from memory, in the log's order: a second device on another node
    phone = account(net, 2, "alice")
    phone.send(f"WEBPUSH REGISTER {ENDPOINT}/phone {KEYS}")
    fail = of(phone.received(), "FAIL")[-1]
    assert fail.params[:2] == ("WEBPUSH", "MAX_REGISTRATIONS")
    assert net.shared.calls["push_subscriptions"] == reads  # never the database
    # UNREGISTER through another node: gone everywhere, deleted once
    phone.send(f"WEBPUSH UNREGISTER {ENDPOINT}")
    assert net.shared.calls["remove_push_subscription"] == 1
    assert all(subscriptions(s, "alice") == [] for s in net.servers)
    assert net.shared.backend.push_subscriptions("alice") == []


def test_a_mention_is_pushed_once_by_the_senders_node(tmp_path: Path) -> None:
    net = push_cluster(tmp_path, delay=30.0)
    alice = account(net, 0, "alice", new=True)
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}", "JOIN #c")
    bob = net.client(1, "bob")
    bob.send("JOIN #c")
    alice.send("QUIT")  # no device of alice anywhere: pushed at once
    bob.send("PRIVMSG alice :are you there?")
    [on_a, on_b, on_c] = queued(net)
    assert on_a == [] and on_c == []
    [job] = on_b
    assert (job.account, job.endpoint) == ("alice", ENDPOINT)
    assert job.payload.endswith(b" PRIVMSG alice :are you there?")
    assert b"msgid=" in job.payload


def test_a_device_on_another_node_delays_the_push_and_reading_there_cancels_it(
    tmp_path: Path,
) -> None:
    net = push_cluster(tmp_path, delay=30.0)
    alice = account(net, 0, "alice", new=True)
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}", "JOIN #c")
    alice.send("QUIT")
    laptop = account(net, 2, "alice")  # her device: on the third node
    laptop.send("JOIN #c")
    bob = net.client(1, "bob")
    bob.send("JOIN #c", "PRIVMSG #c :alice: the minutes, please")
    heard = of(laptop.received(), "PRIVMSG")[-1]
    assert queued(net) == [[], [], []]  # a device is connected: wait `delay`
    assert net.servers[1].push.pending_count() == 1
    assert net.servers[0].push.pending_count() == net.servers[2].push.pending_count() == 0
    later(net, 10)
    laptop.send(f"MARKREAD #c timestamp={heard.tags['time']}")  # read on node 3, in time
    later(net, 21)
    assert queued(net) == [[], [], []]
    assert net.servers[1].push.suppressed == 1
    # not read this time: pushed, by bob's node, once the delay is over
    bob.send("PRIVMSG #c :alice: and the agenda")
    later(net, 29)
    assert queued(net) == [[], [], []]
    later(net, 2)
    [on_a, on_b, on_c] = queued(net)
    assert on_a == on_c == [] and len(on_b) == 1
    assert on_b[0].payload.endswith(b"PRIVMSG #c :alice: and the agenda")


def test_a_gone_subscription_is_forgotten_by_every_node_through_the_log(tmp_path: Path) -> None:
    net = push_cluster(tmp_path)
    alice = account(net, 0, "alice", new=True)
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}", f"WEBPUSH REGISTER {ENDPOINT}/2 {KEYS}")
    alice.send("QUIT")
    bob = net.client(1, "bob")
    bob.send("PRIVMSG alice :hello")
    [_, jobs, _] = queued(net)
    assert sorted(j.endpoint for j in jobs) == [ENDPOINT, f"{ENDPOINT}/2"]
    gone = next(j for j in jobs if j.endpoint == ENDPOINT)
    pusher = net.servers[1]
    pusher.push.delivered(gone, 410)  # heard by bob's node only
    assert all(len(subscriptions(s, "alice")) == 2 for s in net.servers)  # (not yet applied)
    net.pump()
    for server in net.servers:
        assert [s.endpoint for s in subscriptions(server, "alice")] == [f"{ENDPOINT}/2"]
    assert net.shared.calls["remove_push_subscription"] == 1  # by the entry's node only
    assert [s.endpoint for s in net.shared.backend.push_subscriptions("alice")] == [f"{ENDPOINT}/2"]
    assert pusher.push.removed == 1
    # and the next push goes to the one left, alone
    bob.send("PRIVMSG alice :again")
    assert [[j.endpoint for j in q] for q in queued(net)] == [[], [f"{ENDPOINT}/2"], []]


def test_a_node_from_a_snapshot_knows_the_subscriptions(tmp_path: Path) -> None:
    net = push_cluster(tmp_path)
    alice = account(net, 0, "alice", new=True)
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}", f"WEBPUSH REGISTER {ENDPOINT}/2 {KEYS}")
    bob = account(net, 1, "bob", new=True)
    bob.send(f"WEBPUSH REGISTER {ENDPOINT}/2 {KEYS}")  # (the endpoint moves to bob)
    loaded = add_node(net, snapshot.dump(net.replicas[0]))
    replayed = add_node(net)
    want = {"alice": [ENDPOINT], "bob": [f"{ENDPOINT}/2"]}
    for index in (0, loaded, replayed):
        got = {a: [s.endpoint for s in subscriptions(net.servers[index], a)] for a in want}
        assert got == want
    assert [s.endpoint for s in net.shared.backend.push_subscriptions("bob")] == [f"{ENDPOINT}/2"]
