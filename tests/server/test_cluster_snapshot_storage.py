"""Snapshots and log trimming on a network with the shared store, with real nodes on a real
redis-server and a real PostgreSQL (docs/cluster.md): after a snapshot and trimming, a node
started later (from the snapshot, not from the store's snapshot and the whole log) knows the
accounts (SASL works on it), registered channels' access, read markers and history, and chats.
"""

from __future__ import annotations

import redis

from tests.server.test_cluster_snapshot import wait_until
from tests.server.test_cluster_storage import (
    CAPS,
    STORE_CONFIG,
    chanserv,
    history,
    registered,
    sasl,
)
from tests.support.cluster import running_cluster
from tests.support.postgres import fresh_database

SNAPSHOTS = STORE_CONFIG.replace("[limits]\n", "[limits]\nflood_rate = 0.0\n") + (
    "\n[cluster]\nsnapshot_entries = 40\nsnapshot_seconds = 0\n"
)


def test_a_node_started_after_trimming_knows_the_store_from_the_snapshot() -> None:
    with fresh_database() as url, running_cluster(2, SNAPSHOTS, extra=("--storage", url)) as net:
        r = redis.Redis(port=net.redis.port)
        clients = []
        try:
            ann = registered(net, 0, "ann")
            clients.append(ann)
            registered(net, 1, "ben").close()
            ann.send("JOIN #kept")
            ann.expect("366")
            chanserv(ann, "REGISTER #kept", "successfully registered")
            chanserv(ann, "ACCESS #kept ADD ben op", "ben")
            for i in range(120):
                ann.send(f"PRIVMSG #kept :line {i}")
            ann.send("QUIT :bye")
            ann.closed_by_server()
            marker = sasl(net, 1, "ann", "draft/read-marker server-time")
            marker.send("MARKREAD #kept timestamp=2026-01-02T03:04:05.678Z")
            marker.expect("MARKREAD")
            marker.send("QUIT")
            marker.closed_by_server()
            wait_until("a snapshot", lambda: r.get("socketchat:snapshot:id") is not None)
            wait_until("the log trimmed", lambda: r.xlen("socketchat:log") < 60)
            first = r.xrange("socketchat:log", count=1)[0][0].decode()
            assert first != "0-0"

            node = net.start_node("n3", "--storage", url)
            assert "loaded the snapshot at" in node.log()
            # an account from before the snapshot: SASL on the new node
            ben = sasl(net, 2, "ben", CAPS)
            clients.append(ben)
            ben.send("JOIN #kept")
            mode = ben.expect("MODE", lambda m: m.nick == "ChanServ")
            assert mode.params == ("#kept", "+o", "ben")  # its access, from the snapshot
            assert history(ben, "#kept")[-1] == "line 119"
            ann = sasl(net, 2, "ann", "draft/read-marker server-time")
            clients.append(ann)
            ann.send("MARKREAD #kept")
            got = ann.expect("MARKREAD").params
            assert got == ("#kept", "timestamp=2026-01-02T03:04:05.678Z")
            # and it chats with the nodes that were there all along
            cid = registered(net, 0, "cid")
            clients.append(cid)
            cid.send("JOIN #kept")
            cid.expect("366")
            ben.send("PRIVMSG #kept :hello from the new node")
            cid.expect("PRIVMSG", lambda m: m.param(1) == "hello from the new node")
            cid.send("PRIVMSG ben :hi back")
            ben.expect("PRIVMSG", lambda m: m.param(1) == "hi back")
        finally:
            for c in clients:
                c.close()
