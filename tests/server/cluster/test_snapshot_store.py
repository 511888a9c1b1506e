"""Snapshots of a replica whose node has the shared store (`cluster/snapshot.py`, `store`):
a node loaded from a snapshot and a node that replayed the whole log hold the same store
state, field by field — the deciding `Facts`, nick protection's timers, account creation's
and ChanServ's rate limits, ChanServ's registry and pending transfers. Every attribute of
`Persistence`, `ClusterStore`, ChanServ's `Registry`, `NickGuard` and `RegistrationLimit` is
either compared or declared local here: one added later fails until it is decided.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from socketchat.server import chanserv
from socketchat.server.accounts import NickGuard, RegistrationLimit
from socketchat.server.cluster import snapshot
from socketchat.server.cluster.store import ClusterStore, Facts
from socketchat.server.core import Server
from socketchat.server.persistence import Persistence
from tests.server.cluster.test_replica import of
from tests.server.cluster.test_snapshot import add_node, assert_same, norm, picture
from tests.server.cluster.test_store import PASSWORD, StoreCluster, sasl

PERSISTENCE_SHARED = {"guard", "registrations"}  # (and `backend`: below, as the store)
PERSISTENCE_LOCAL = {
    "backend",
    "config",
    "_connection_ids",  # a cache of `connection_token`, which every node computes alike
    "_seen",  # history positions: read on the session's own node only (the store's gate)
    "_read",
    "_next_retention",  # retention and checkpoints: this node's timers
    "_retention",
    "_retention_removed",
    "_next_checkpoint",
    "_checkpointing",
    "reads_closed",  # (functions)
    "connection_token",
    "paused",  # this node's storage outage
    "_retry_at",
    "_paused_at",
    "_senders",
    "_told",
    "_queue_full_logged",
    # logins under way: the account's values as `Facts` holds them, kept in step by the
    # same writes; a node without them reads `Facts` and answers alike
    "_logins",
}
STORE_SHARED = {"facts"}
STORE_LOCAL = {
    "shared",
    "replica",
    "_owed",  # which nodes this node waits for before its own reads
    "_wrote",  # this node's own last write
    "_gave_up",  # owed nodes its reads already waited for in vain
    "_behind_at",  # the entry whose reads went ahead without them (CHATHISTORY fails)
}
REGISTRY_SHARED = {"records", "transfers", "registered_times"}
REGISTRY_LOCAL = {"backend"}
GUARD_SHARED = {"pending"}
GUARD_LOCAL = {"asked"}  # "due" appended: by the session's own node only
LIMIT_SHARED = {"window", "recent", "per_ip"}
LIMIT_LOCAL = {"refusals_logged", "refused"}  # (when "limit reached" was last logged)


def store_picture(server: Server) -> dict[str, Any]:
    """Everything the store layer holds, field by field (see the module's doc)."""
    p = server.storage
    assert isinstance(p, Persistence) and isinstance(p.backend, ClusterStore)
    store = p.backend
    registry = chanserv.registry_of(server)
    assert registry is not None
    assert set(vars(p)) == PERSISTENCE_SHARED | PERSISTENCE_LOCAL, "a new Persistence attribute"
    assert set(vars(store)) == STORE_SHARED | STORE_LOCAL, "a new ClusterStore attribute"
    assert set(vars(registry)) == REGISTRY_SHARED | REGISTRY_LOCAL, "a new Registry attribute"
    guard_fields = {f.name for f in dataclasses.fields(NickGuard)}
    assert guard_fields == GUARD_SHARED | GUARD_LOCAL, "a new NickGuard field"
    limit_fields = {f.name for f in dataclasses.fields(RegistrationLimit)}
    assert limit_fields == LIMIT_SHARED | LIMIT_LOCAL, "a new RegistrationLimit field"
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Facts):  # every one
        out[f"facts.{f.name}"] = norm(getattr(store.facts, f.name))
    for name in sorted(REGISTRY_SHARED):
        out[f"chanserv.{name}"] = norm(getattr(registry, name))
    out["guard.pending"] = norm({s: v for s, v in p.guard.pending.items() if not s.closed})
    for name in sorted(LIMIT_SHARED):
        out[f"registrations.{name}"] = norm(getattr(p.registrations, name))
    return out


def register(net: StoreCluster, node: int, name: str) -> Any:
    c = net.client(node)
    c.send("CAP LS 302", "CAP REQ :draft/account-registration")
    c.send(f"NICK {name}", f"USER {name} 0 * :{name}", f"REGISTER * * {PASSWORD}", "CAP END")
    assert of(c.received(), "REGISTER")[0].param(0) == "SUCCESS"
    return c


def busy_store(tmp_path: Path) -> tuple[StoreCluster, list[Any]]:
    """Three nodes with the store, and most of what its memory holds."""
    net = StoreCluster(tmp_path, nick_protect_seconds=30.0, always_on=False)
    ann = register(net, 0, "ann")
    ben = register(net, 1, "ben")
    register(net, 2, "cat").send("QUIT")
    ann.send("JOIN #reg", "PRIVMSG ChanServ :REGISTER #reg the registered one")
    ann.send("PRIVMSG ChanServ :ACCESS #reg ADD ben op", "TOPIC #reg :kept")
    registry = chanserv.registry_of(net.servers[0])
    record = registry.get("#reg") if registry is not None else None
    assert record is not None
    code = chanserv.confirmation_code(record, "transfer", "ben")
    ann.send(f"PRIVMSG ChanServ :TRANSFER #reg ben {code}")  # (pending: not accepted yet)
    ann.send("METADATA * SET color :green")
    ben.send("MARKREAD #reg timestamp=2026-12-01T10:00:00.000Z")
    impostor = net.client(2, "cat_")
    impostor.send("NICK cat")  # (nick protection's timer, running)
    assert "registered nickname" in of(impostor.received(), "NOTICE")[-1].param(1)
    return net, [ann, ben, impostor]


def test_a_node_from_a_snapshot_holds_the_store_state_of_one_that_replayed_the_log(
    tmp_path: Path,
) -> None:
    net, (_ann, ben, _impostor) = busy_store(tmp_path)
    data = snapshot.dump(net.replicas[0])
    loaded = add_node(net, data)
    replayed = add_node(net)
    # (what the test shows is not empty)
    pic = store_picture(net.servers[replayed])
    assert pic["facts.accounts"] and pic["facts.channels"] and pic["facts.metadata"]
    assert pic["facts.read_markers"] and pic["chanserv.transfers"] and pic["guard.pending"]
    assert pic["chanserv.registered_times"] and pic["registrations.recent"]

    def same() -> None:
        want = store_picture(net.servers[replayed])
        assert_same(store_picture(net.servers[loaded]), want)
        assert_same(store_picture(net.servers[1]), want)
        assert_same(
            picture(net.replicas[loaded], net.servers[loaded]),
            picture(net.replicas[replayed], net.servers[replayed]),
        )
        assert snapshot.dump(net.replicas[loaded]) == snapshot.dump(net.replicas[replayed])

    same()
    # the log goes on: the timer ends, the transfer is accepted, a new account, a marker
    net.clock.advance(31)
    for server in net.servers:
        server.tick()
    net.pump()
    assert all(s.state.find_nick("cat") is None for s in net.servers)  # renamed everywhere
    ben.send("PRIVMSG ChanServ :TRANSFER ACCEPT #reg")
    ben.send("MARKREAD #reg timestamp=2026-12-01T11:00:00.000Z")
    register(net, 3, "dan")  # (on the node loaded from the snapshot)
    same()
    again = sasl(net, loaded, "ann")  # SASL decided from the snapshot's accounts
    assert of(again.received(), "903")
    assert chanserv.registry_of(net.servers[loaded]).get("#reg").founder == "ben"  # type: ignore[union-attr]


@pytest.mark.parametrize("version", [1, 2])
def test_a_store_node_refuses_a_snapshot_without_the_store(tmp_path: Path, version: int) -> None:
    net, _clients = busy_store(tmp_path)
    data = snapshot.dump(net.replicas[0])
    doc = json.loads(data)
    del doc["store"]
    doc["v"] = version  # (version 1: before snapshots carried the store)
    with pytest.raises(snapshot.SnapshotError, match="without the shared store"):
        add_node(net, json.dumps(doc).encode())
