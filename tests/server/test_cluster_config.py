"""The network's settings on real `socketchat serve --redis` nodes and a real redis-server
(`config.DECIDING`, `net/cluster.py`): a node whose file differs refuses to start, naming the
settings; REHASH and SIGHUP on one node change them on every node.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support import free_port
from tests.support.cluster import CONFIG, OPER_PASSWORD, Cluster, running_cluster
from tests.support.irc import IRCClient


def isupport(port: int, key: str, nick: str) -> str:
    """The value of ISUPPORT `key` that a new connection to `port` is told."""
    client = IRCClient(port).register(nick)
    try:
        for m in client.log:
            if m.command == "005":
                for token in m.params[1:-1]:
                    name, _, value = token.partition("=")
                    if name == key:
                        return value
        raise AssertionError(f"no {key} in ISUPPORT")
    finally:
        client.close()


def serve(cluster: Cluster, name: str, config: Path) -> subprocess.CompletedProcess[str]:
    """A node that is expected not to start: its exit and what it said."""
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", "0", "--data-dir", str(cluster.directory / name)]
    cmd += ["--config", str(config), "--redis", cluster.redis.url, "--node-id", name]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def test_a_node_with_other_settings_refuses_to_start_and_rehash_changes_every_node() -> None:
    with running_cluster(0) as cluster:
        own = cluster.directory / "n1.toml"  # n1's own file, the same as everyone's at first
        own.write_text(CONFIG)
        one = cluster.start_node("n1", "--config", str(own))
        two = cluster.start_node("n2")  # the shared file: the same settings, so it starts
        assert isupport(two.port, "NICKLEN", "early") == "30"

        other = cluster.directory / "other.toml"
        other.write_text(CONFIG.replace("[server]\n", "[server]\nnicklen = 32\n"))
        refused = serve(cluster, "n3", other)
        assert refused.returncode == 1
        assert refused.stderr.startswith(
            "socketchat serve: this node's configuration differs from the network's:"
            " nicklen (32 here, 30 in the network) ("
        ), refused.stderr
        assert "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1

        # REHASH on n1 with a changed file: n2 takes n1's settings, not its own file's
        own.write_text(
            CONFIG.replace("[server]\n", "[server]\nnicklen = 20\n").replace(
                "[limits]\n", "[limits]\nmax_channels_per_client = 1\n"
            )
        )
        op = IRCClient(one.port).register("op")
        far = IRCClient(two.port).register("far")
        try:
            op.send(f"OPER root {OPER_PASSWORD}")
            op.expect("381")
            good = own.read_text()
            own.write_text(good + "bogus = 1\n")  # (an unknown key: refused as a whole)
            op.send("REHASH")
            refusal = op.expect("NOTICE", lambda m: "REHASH refused" in m.params[-1])
            assert "bogus" in refusal.params[-1]
            assert isupport(two.port, "NICKLEN", "same") == "30"  # nothing changed anywhere
            own.write_text(good)
            op.send("REHASH")
            op.expect("382")
            assert isupport(two.port, "NICKLEN", "late") == "20"
            assert isupport(one.port, "NICKLEN", "late1") == "20"
            far.send("JOIN #first")
            far.expect("366")
            far.send("JOIN #second")  # refused on n2 as on n1: one channel each now
            assert far.expect("405").params[1] == "#second"
        finally:
            op.close()
            far.close()
        deadline = time.monotonic() + 5
        warning = "differs from the network's, which it runs: limits.max_channels_per_client"
        while warning not in two.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "limits.max_channels_per_client (50 here, 1 in the network)" in two.log()
        assert "nicklen (30 here, 20 in the network)" in two.log()
        assert warning not in one.log()  # (its own file is the network's)

        # the network's settings in Redis are the new ones: the old file is refused now
        refused = serve(cluster, "n4", cluster.directory / "socketchat.toml")
        assert refused.returncode == 1
        assert "nicklen (30 here, 20 in the network)" in refused.stderr
        assert "limits.max_channels_per_client (50 here, 1 in the network)" in refused.stderr
        cluster.start_node("n5", "--config", str(own))  # and n1's file starts

        # SIGHUP on n1 goes through the log too
        own.write_text(CONFIG.replace("[server]\n", "[server]\nnicklen = 25\n"))
        one.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while (seen := isupport(two.port, "NICKLEN", "hup")) != "25":
            assert time.monotonic() < deadline, seen
            time.sleep(0.1)


def names(client: IRCClient, channel: str) -> list[str]:
    client.send(f"NAMES {channel}")
    listed = client.expect("353", timeout=5).params[-1]
    return sorted(listed.split())


def test_a_node_that_starts_later_replays_the_log_with_the_settings_of_its_time() -> None:
    """A JOIN refused under the old limit stays refused on a node that starts after a REHASH
    raised it: the node replays the entries before the REHASH with the network's settings of
    then (`socketchat:config:start`, or the snapshot's), not with its file's (the newest)."""
    one_channel = CONFIG.replace("[limits]\n", "[limits]\nmax_channels_per_client = 1\n")
    with running_cluster(0, one_channel) as cluster:
        own = cluster.directory / "n1.toml"
        own.write_text(one_channel)
        one = cluster.start_node("n1", "--config", str(own))
        joiner = IRCClient(one.port).register("joiner")
        op = IRCClient(one.port).register("op")
        try:
            joiner.send("JOIN #a")
            joiner.expect("366")
            joiner.send("JOIN #b")
            joiner.expect("405")
            op.send("JOIN #b")
            op.expect("366")
            own.write_text(CONFIG)  # (50 channels)
            op.send(f"OPER root {OPER_PASSWORD}")
            op.expect("381")
            op.send("REHASH")
            op.expect("382")
            # n2 with the new file (the network's now) replays the whole log
            two = cluster.start_node("n2", "--config", str(own))
            watcher = IRCClient(two.port).register("watcher")
            try:
                assert names(watcher, "#b") == ["@op"]
                assert names(watcher, "#a") == ["@joiner"]
                joiner.send("JOIN #b")  # the new limit from the REHASH on: on both nodes
                joiner.expect("366")
                assert names(watcher, "#b") == ["@op", "joiner"]
            finally:
                watcher.close()
            assert "differs from the network's" not in two.log()
        finally:
            joiner.close()
            op.close()


def test_a_snapshot_keeps_the_settings_it_was_made_with() -> None:
    import redis

    frequent = CONFIG + "\n[cluster]\nsnapshot_entries = 10\nsnapshot_seconds = 0\n"
    with running_cluster(0, frequent) as cluster:
        own = cluster.directory / "n1.toml"
        own.write_text(frequent.replace("[server]\n", "[server]\nnicklen = 20\n"))
        one = cluster.start_node("n1", "--config", str(own))
        store = redis.Redis.from_url(cluster.redis.url)
        try:
            assert json.loads(store.get("socketchat:config:start") or b"")["nicklen"] == 20
            own.write_text(frequent.replace("[server]\n", "[server]\nnicklen = 24\n"))
            op = IRCClient(one.port).register("op")
            try:
                op.send(f"OPER root {OPER_PASSWORD}", "REHASH")
                op.expect("382")
                for i in range(15):  # entries enough for a snapshot after the REHASH
                    op.send(f"PING :{i}")
                op.expect("PONG", lambda m: m.params[-1] == "14")
                deadline = time.monotonic() + 10
                while True:
                    kept = store.get("socketchat:snapshot:config")
                    if kept is not None and json.loads(kept)["nicklen"] == 24:
                        break
                    assert time.monotonic() < deadline, kept
                    time.sleep(0.1)
            finally:
                op.close()
            assert json.loads(store.get("socketchat:config") or b"")["nicklen"] == 24
            # the first node's settings stay what the log began with
            assert json.loads(store.get("socketchat:config:start") or b"")["nicklen"] == 20
            two = cluster.start_node("n2", "--config", str(own))  # from the snapshot
            assert "loaded the snapshot" in two.log()
            assert isupport(two.port, "NICKLEN", "late") == "24"
        finally:
            store.close()
