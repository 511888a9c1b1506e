"""Snapshots of a replica (`server/cluster/snapshot.py`) on the list-log cluster, without Redis.

The point: a node that loads a snapshot taken at position P and applies the log after P is in
the same state as a node that replayed the whole log — compared field by field, by walking
the objects (every slot of `Session` and `User`, every attribute of `ChatState`, and the
`Server`'s, each either compared or named as local to a node's own connections: a field added
later fails here until it is snapshotted or declared local).
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from typing import Any

import pytest

from socketchat.server.cluster import snapshot
from socketchat.server.cluster.replica import Replica
from socketchat.server.commands.multiline import OpenBatch
from socketchat.server.compose import build_server
from socketchat.server.config import Limits, Operator, ServerConfig
from socketchat.server.core import Server
from socketchat.server.passwords import hash_password
from socketchat.server.session import Session
from socketchat.server.state import Channel
from socketchat.server.user import User
from tests.server.cluster.test_replica import Cluster, NodeClient, of
from tests.server.harness import FakeLink

# What a node keeps for its own connections only: never in a snapshot, never compared.
SESSION_LOCAL = {
    "__weakref__",
    "server",
    "link",
    "framer",
    "lag_clock",
    "inbox",
    "inbox_bytes",
    "paused",
    "spent_pause",
    "held",
    "processing",
    "outbox",
    "outbox_bytes",
    "dirty",
    "capture",
    "deferred_label",
    "bad_input",
    "internal_errors",
    "ping_sent_at",
    "connected_mono",  # (the registration timer)
    "last_seen",  # (the ping timer)
    "close_reason",
    "tagmask",  # (made from caps)
}
USER_LOCAL = {"__weakref__"}
STATE_LOCAL = {"new_era"}  # (a function: the replica's msgid source)
# The Server's attributes the replica's state is made of; the others are the node's own.
SERVER_SHARED = {"state", "per_ip", "bans", "login_throttle"}
SERVER_LOCAL = {
    "config", "dispatcher", "sequencer", "clock", "monotonic", "storage", "name", "started_at",
    "started_mono", "sessions", "shutting_down", "pending", "pending_per_ip", "refusal_log",
    "connect_throttle", "incident_log", "dirty", "delayed", "closing", "wakeup", "tick_wanted",
    "offloader", "rehash_hook", "stats", "commit_timer", "sts", "_next_sweep", "_ids",
    "_msgid_prefix", "_msgids", "_time_cache", "caps", "cloak_secret", "tracebacks",
    "bad_input_log", "static_numerics", "push", "network_rehash",
}  # fmt: skip
REPLICA_SHARED = {"nodes", "gone", "last_seq", "last_id", "applied", "sessions", "owner"}
REPLICA_LOCAL = {
    "wall", "server", "node", "name", "applying", "detached", "caught_up", "_now", "_entry_id",
    "_entry_node", "_msgids", "_local_ids", "_seq", "_closing", "unlogged", "_waiting",
    "_outgoing", "want_write", "on_self_gone",
}  # fmt: skip


def norm(value: Any) -> Any:
    """A comparable form: users, sessions and channels by identity, sets sorted, dicts in
    their order, dataclasses by their fields."""
    if isinstance(value, User):
        return ("user", value.id)
    if isinstance(value, Session):
        return ("session", value.id)
    if isinstance(value, Channel):
        return ("channel", value.folded)
    if isinstance(value, set | frozenset):
        return sorted((norm(v) for v in value), key=repr)
    if isinstance(value, dict):
        return [(norm(k), norm(v)) for k, v in value.items()]
    if isinstance(value, list | tuple | deque):
        return [norm(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, norm(dataclasses.astuple(value)))
    return value


def slots(cls: type) -> set[str]:
    return {s for k in cls.__mro__ for s in getattr(k, "__slots__", ())}


def picture(replica: Replica, server: Server) -> dict[str, Any]:
    """Everything a replica holds, field by field (see the module's doc)."""
    assert slots(Session) >= SESSION_LOCAL and slots(User) >= USER_LOCAL
    assert set(vars(server)) == SERVER_SHARED | SERVER_LOCAL, "a new Server attribute: decide"
    assert set(vars(replica)) == REPLICA_SHARED | REPLICA_LOCAL, "a new Replica attribute"
    assert not replica._waiting  # (a snapshot is refused then: `SnapshotBusy`)
    out: dict[str, Any] = {f"replica.{k}": norm(getattr(replica, k)) for k in REPLICA_SHARED}
    users: dict[int, User] = {}
    for sid, s in sorted(replica.sessions.items()):
        if sid in replica.unlogged:  # (this node's: not in the network's state yet)
            out["replica.sessions"].remove((sid, ("session", sid)))
            out["replica.owner"].remove((sid, replica.owner[sid]))
            continue
        if s.closed:
            out[f"session {sid}"] = "closed"
            continue
        for field in sorted(slots(Session) - SESSION_LOCAL):
            out[f"session {sid}.{field}"] = norm(getattr(s, field))
        users[s.user.id] = s.user
    state = server.state
    for user in [*state._nicks.values(), *(u for c in state._channels.values() for u in c.members)]:
        users[user.id] = user
    for uid, user in sorted(users.items()):
        for field in sorted(slots(User) - USER_LOCAL):
            out[f"user {uid}.{field}"] = norm(getattr(user, field))
    for name, value in vars(state).items():
        if name not in STATE_LOCAL:
            out[f"state.{name}"] = norm(value)
    for folded, channel in state._channels.items():
        for field in sorted(slots(Channel)):
            out[f"channel {folded}.{field}"] = norm(getattr(channel, field))
    per_ip = dict(server.per_ip)
    for sid in replica.unlogged:
        per_ip[replica.sessions[sid].ip] -= 1
    out["server.per_ip"] = norm({ip: n for ip, n in per_ip.items() if n})
    out["server.bans"] = norm(vars(server.bans))
    out["server.login_throttle"] = norm(vars(server.login_throttle))
    return out


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, "\n".join(f"{k}:\n  {a[k]}\n  {b[k]}" for k in differ)


OPER = Operator("root", hash_password("pw", log2_n=4))
CONFIG = ServerConfig(operators=(OPER,), limits=Limits().disabled())


def add_node(net: Cluster, data: bytes | None = None) -> int:
    """A node that starts now: from the snapshot `data` and the log after it, or from the
    log's first entry. Returns its index. (Built as `net` builds its nodes: with the store,
    for a `StoreCluster`, its `Facts` empty until the snapshot fills them.)"""
    replica = Replica(wall=net.clock)
    server = net._build(replica, net.config)
    index = len(net.replicas)
    server.offloader = lambda work, done: done(work())
    replica.attach(server, index + 1, f"n{index + 1}")
    start = 0
    if data is not None:
        snapshot.load(replica, data, open_batch=OpenBatch)
        start = [entry_id for entry_id, _ in net.log].index(replica.last_id) + 1
    net.replicas.append(replica)
    net.servers.append(server)
    net.read.append(start)
    net.work_done.append(0)
    net.pump()
    return index


def busy_network() -> tuple[Cluster, list[NodeClient]]:
    """Three nodes and most of what a replica can hold."""
    net = Cluster(3, CONFIG)
    caps = "echo-message message-tags server-time batch draft/multiline draft/metadata-3"
    alice = net.client(0, "alice", caps)
    bob = net.client(1, "bob", "multi-prefix away-notify")
    carol = net.client(2, "carol")
    dave = net.client(0, "dave")
    alice.send("JOIN #main,#side", "MODE #main +imntlk 10 sekrit", "TOPIC #main :the topic")
    alice.send("MODE #main +b bad!*@*", "MODE #main +e good!*@*", "MODE #main +I friend!*@*")
    alice.send("INVITE bob #main", "INVITE carol #main")
    bob.send("JOIN #main sekrit", "JOIN #side")
    alice.send("MODE #main +v bob", "MODE #main +o bob")
    carol.send("JOIN #side", "JOIN #third", "AWAY :lunch", "MODE carol +iw")
    dave.send("JOIN #side", "NICK dave2", "NICK dave3")  # (WHOWAS)
    quitter = net.client(1, "quitter")
    quitter.send("JOIN #side", "QUIT :bye")
    alice.send("MONITOR + bob,nobody,Carol", "METADATA * SET color :blue")
    alice.send("METADATA * SUB color", "MARKREAD #main timestamp=2026-12-01T10:00:00.000Z")
    alice.send("BATCH +ml draft/multiline #side", "@batch=ml PRIVMSG #side :first half")
    half = net.client(2)  # registering: NICK but no USER yet
    half.send("CAP LS 302", "NICK halfway")
    op = net.client(1, "op")
    op.send("OPER root wrong")  # (a failed login counts)
    op.send("OPER root pw", "KLINE 10 *@10.9.9.9 :go away")
    return net, [alice, bob, carol, dave, half, op]


def test_a_node_from_a_snapshot_is_field_by_field_a_node_that_replayed_the_log() -> None:
    net, (alice, bob, carol, _dave, half, _op) = busy_network()
    data = snapshot.dump(net.replicas[0])
    assert snapshot.position(data) == net.log[-1][0]
    loaded = add_node(net, data)
    replayed = add_node(net)

    def same() -> None:
        want = picture(net.replicas[replayed], net.servers[replayed])
        assert_same(picture(net.replicas[loaded], net.servers[loaded]), want)
        # the nodes there all along hold it too (their own sessions' local fields aside)
        assert_same(picture(net.replicas[1], net.servers[1]), want)
        # and replicas at one position dump the same bytes
        assert snapshot.dump(net.replicas[loaded]) == snapshot.dump(net.replicas[replayed])
        assert snapshot.dump(net.replicas[0]) == snapshot.dump(net.replicas[loaded])

    same()  # at the snapshot's position (and the two nodes' "up")
    # the log goes on: what was half done at the snapshot finishes, the rest changes
    alice.send("@batch=ml PRIVMSG #side :second half", "BATCH -ml")
    half.send("USER h 0 * :h", "CAP END")
    bob.send("PART #side :later", "TOPIC #main :a newer topic", "MODE #main -v bob")
    carol.send("NICK carol2", "AWAY", "QUIT :gone")
    same()


def test_chat_works_through_a_node_that_started_from_a_snapshot() -> None:
    net, (alice, bob, *_rest) = busy_network()
    data = snapshot.dump(net.replicas[1])
    node = add_node(net, data)
    erin = net.client(node, "erin", "multi-prefix")
    erin.send("JOIN #side", "NAMES #side")
    names = [m.params[-1] for m in of(erin.received(), "353")]
    assert names and set(names[0].split()) == {"@alice", "bob", "carol", "dave3", "erin"}
    erin.send("PRIVMSG #side :hello from the new node", "PRIVMSG bob :and to you")
    heard = [m.params for m in of(bob.received(), "PRIVMSG")]
    assert ("#side", "hello from the new node") in heard and ("bob", "and to you") in heard
    assert ("#side", "hello from the new node") in [
        m.params for m in of(alice.received(), "PRIVMSG")
    ]
    erin.send("JOIN #main")  # the snapshot's channel modes are in force (+k, then +i)
    assert of(erin.received(), "475")
    erin.send("JOIN #main sekrit")
    assert of(erin.received(), "473")
    bob.send("PRIVMSG erin :welcome")
    assert [m.params for m in of(erin.received(), "PRIVMSG")] == [("erin", "welcome")]
    erin.send("WHOIS alice")
    whois = erin.received()
    assert of(whois, "311") and of(whois, "319")


def test_a_snapshot_waits_while_blocking_work_is_in_flight() -> None:
    net = Cluster(2, CONFIG)
    op = net.client(0, "op")
    waits: list[Any] = []
    net.servers[0].offloader = lambda work, done: waits.append((work, done))
    op.send("OPER root pw")
    with pytest.raises(snapshot.SnapshotBusy):
        snapshot.dump(net.replicas[0])
    with pytest.raises(snapshot.SnapshotBusy):  # (its result is not in the log yet either)
        snapshot.dump(net.replicas[1])
    work, done = waits.pop()
    done(work())
    net.pump()
    assert snapshot.dump(net.replicas[1])


def test_a_node_without_the_store_loads_a_version_1_snapshot() -> None:
    """Version 1 is version 2 without the store's part: a network without the shared store,
    upgraded node by node, goes on from its older writer's snapshot."""
    net, _clients = busy_network()
    doc = json.loads(snapshot.dump(net.replicas[0]))
    assert doc["v"] == 2 and "store" not in doc
    doc["v"] = 1
    loaded = add_node(net, json.dumps(doc).encode())
    replayed = add_node(net)
    assert_same(
        picture(net.replicas[loaded], net.servers[loaded]),
        picture(net.replicas[replayed], net.servers[replayed]),
    )


def test_a_snapshot_of_another_version_or_damaged_is_refused() -> None:
    net = Cluster(1, CONFIG)
    fresh = Replica(wall=net.clock)
    fresh.attach(build_server(CONFIG, clock=fresh.clock), 9, "n9")
    with pytest.raises(snapshot.SnapshotError, match="version"):
        snapshot.load(fresh, b'{"v": 999, "id": "1-0"}')
    with pytest.raises(snapshot.SnapshotError):
        snapshot.load(fresh, b"{not json")
    with pytest.raises(snapshot.SnapshotError):
        snapshot.load(fresh, b'{"v": 1, "id": "1-0"}')


def test_a_local_connection_not_yet_in_the_log_is_not_in_the_snapshot() -> None:
    net, _clients = busy_network()
    early = NodeClient.__new__(NodeClient)  # accepted on node 1; its "conn" not appended yet
    early.cluster, early.link, early._read = net, FakeLink(), 0
    early.session = net.servers[0].connect(early.link, "10.1.2.3", 50000)
    other = net.servers[1].connect(FakeLink(), "10.4.5.6", 50001)  # node 2's comes first
    for raw in net.replicas[1].take_outgoing():
        net.append(raw)
    for i, replica in enumerate(net.replicas):
        for entry_id, raw in net.log[net.read[i] :]:
            replica.apply(entry_id, raw)
        net.read[i] = len(net.log)
    data = snapshot.dump(net.replicas[0])  # (node 1 has seen node 2's "conn", not its own)
    net.pump()  # now the early one's "conn" is in the log, after the snapshot's position
    early.send("NICK early", "USER e 0 * :e", "JOIN #side")
    loaded, replayed = add_node(net, data), add_node(net)
    want = picture(net.replicas[replayed], net.servers[replayed])
    assert_same(picture(net.replicas[loaded], net.servers[loaded]), want)
    assert ("10.1.2.3", 1) in want["server.per_ip"] and ("10.4.5.6", 1) in want["server.per_ip"]
    order = [sid for sid, _ in want["replica.sessions"]]
    assert order.index(other.id) < order.index(early.session.id)
