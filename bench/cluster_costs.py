"""What one cluster log entry costs, measured: the inputs of docs/cluster.md's estimate.

    PYTHONPATH=src .venv/bin/python -m bench.cluster_costs [--users 5000] [--no-redis]

Prints, for the entries a network mostly makes (a PRIVMSG to a channel, JOIN, a connection
and its registration):

- **bytes per entry**: the encoded entry, and what Redis holds per entry of the Stream
  (``MEMORY USAGE`` of the log key over its length, a real `redis-server` on a free port);
- **Redis CPU per entry** (``INFO cpu`` before and after): appending (the node's script, 50
  entries a call, as a busy writer does) and reading (``XREAD COUNT 1000``, what each node
  pays per entry);
- **µs to apply an entry** (CPU time, best of three) on a node where the users are shadows
  (what every node pays for every entry of the network) — the sans-I/O replica alone, no
  Redis;
- **replica memory** (``tracemalloc``): per shadow connection (its `Session` and `User`),
  per channel membership, per channel;
- **snapshot**: bytes per user and the time to write and load one (`cluster/snapshot.py`).

The machine is shared: the numbers are orders of magnitude; process time, not wall time.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import socket
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from socketchat.server.cluster.entries import encode
from socketchat.server.cluster.replica import ID_SPAN, Replica
from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.core import Server

TEXT = "hello there, this is a fairly ordinary line of chat text"
NODE = 2  # the node the measured users are on (the replica is node 1: they are its shadows)
Entry = tuple[str, bytes]  # (stream id, the encoded entry)


class Log:
    """Entries of node `NODE`, with stream ids of a clock that moves 1 ms per entry."""

    def __init__(self) -> None:
        self.ms = 1_800_000_000_000
        self.seq = 0
        self.entries: list[Entry] = []

    def add(self, kind: str, **data: Any) -> bytes:
        self.seq += 1
        self.ms += 1
        raw = encode(kind, NODE, self.seq, **data)
        self.entries.append((f"{self.ms}-0", raw))
        return raw


def conn(log: Log, i: int) -> bytes:
    sid = NODE * ID_SPAN + i
    return log.add("conn", s=sid, ip=f"10.0.{i // 250}.{i % 250}", port=40000 + i % 20000,
                   host=f"10.0.{i // 250}.{i % 250}", sec=False, via="tcp")  # fmt: skip


def line(log: Log, i: int, command: str, *params: str) -> bytes:
    return log.add("line", s=NODE * ID_SPAN + i, c=command, p=list(params))


def fresh_node() -> tuple[Replica, Server]:
    clock = [1_800_000_000.0]
    replica = Replica(wall=lambda: clock[0])
    config = ServerConfig(limits=Limits().disabled())
    server = build_server(config, clock=replica.clock, monotonic=replica.clock)
    replica.attach(server, 1, "n1")
    replica.take_outgoing()  # (its own "up": no writer here)
    replica.apply("1799999999999-0", encode("up", NODE, 0, name="n2"))
    replica.last_seq[NODE] = 0
    return replica, server


def apply_all(replica: Replica, server: Server, entries: list[Entry]) -> float:
    """CPU seconds to apply `entries`, flushing every 100 as the reader does per batch."""
    started = time.process_time()
    for i, (entry_id, raw) in enumerate(entries):
        replica.apply(entry_id, raw)
        if i % 100 == 99:
            server.flush()
    server.flush()
    return time.process_time() - started


def populate(
    users: int, channels: int, per_user: int, chunk: int = 500
) -> tuple[Log, dict[str, list[Entry]]]:
    """`users` connections that register and join `per_user` of `channels` channels each, in
    chunks of `chunk` users: their conns, then their NICKs, USERs, JOINs (sequence numbers in
    that order, as a node appends); the entries also by kind."""
    log = Log()
    kinds: dict[str, list[Entry]] = {"conn": [], "NICK": [], "USER": [], "JOIN": []}
    for first in range(0, users, chunk):
        chunk_users = range(first, min(users, first + chunk))
        for i in chunk_users:
            conn(log, i)
            kinds["conn"].append(log.entries[-1])
        for i in chunk_users:
            line(log, i, "NICK", f"user{i}")
            kinds["NICK"].append(log.entries[-1])
        for i in chunk_users:
            line(log, i, "USER", f"u{i}", "0", "*", f"Real Name {i}")
            kinds["USER"].append(log.entries[-1])
        for i in chunk_users:
            names = ",".join(f"#chan{(i + k * 7) % channels}" for k in range(per_user))
            line(log, i, "JOIN", names)
            kinds["JOIN"].append(log.entries[-1])
    return log, kinds


def apply_costs(users: int, channels: int, per_user: int) -> dict[str, float]:
    """µs per entry of each kind, applied on a node where everyone is a shadow."""
    best: dict[str, float] = {}
    for _ in range(3):
        log, by_kind = populate(users, channels, per_user)
        replica, server = fresh_node()
        # 500 users at a time: their conns, then NICKs, USERs, JOINs (timed per kind)
        times = dict.fromkeys(by_kind, 0.0)
        for i in range(0, users, 500):
            for kind in by_kind:
                times[kind] += apply_all(replica, server, by_kind[kind][i : i + 500])
        for kind, t in times.items():
            best[kind] = min(best.get(kind, float("inf")), t / users * 1e6)
        assert server.state.user_count() == users, "registrations were dropped"
        # a PRIVMSG to a channel of about users * per_user / channels members
        msgs = Log()
        msgs.ms, msgs.seq = log.ms, log.seq
        for k in range(2000):
            line(msgs, k % users, "PRIVMSG", f"#chan{(k % users) % channels}", TEXT)
        t = apply_all(replica, server, msgs.entries)
        best["PRIVMSG"] = min(best.get("PRIVMSG", float("inf")), t / 2000 * 1e6)
        parts = Log()
        parts.ms, parts.seq = msgs.ms, msgs.seq
        for i in range(users):
            line(parts, i, "QUIT", "bye")
        t = apply_all(replica, server, parts.entries)
        best["QUIT"] = min(best.get("QUIT", float("inf")), t / users * 1e6)
    return best


def memory_costs(users: int, channels: int, per_user: int) -> dict[str, float]:
    """Bytes of replica memory per shadow connection, per membership, per channel."""
    log, by_kind = populate(users, channels, per_user, chunk=users)
    joins = by_kind["JOIN"]
    only_conns = log.entries[: len(log.entries) - len(joins)]  # (the JOINs come last)
    replica, server = fresh_node()
    gc.collect()
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    apply_all(replica, server, only_conns)
    gc.collect()
    m1 = tracemalloc.get_traced_memory()[0]
    apply_all(replica, server, joins)
    gc.collect()
    m2 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    made = server.state.channel_count()
    members = sum(len(c.members) for c in server.state.channels())
    assert members == users * per_user, f"only {members} memberships: entries were dropped"
    # channels: about 1 KB each of their own (measured apart: a membership's share is the rest)
    replica2, server2 = fresh_node()
    one_each = Log()
    for i in range(200):
        conn(one_each, i)
        line(one_each, i, "NICK", f"solo{i}")
        line(one_each, i, "USER", "u", "0", "*", "r")
    apply_all(replica2, server2, one_each.entries)
    joins2 = Log()
    joins2.ms, joins2.seq = one_each.ms, one_each.seq
    for i in range(200):
        line(joins2, i, "JOIN", f"#solo{i}")
    gc.collect()
    tracemalloc.start()
    c0 = tracemalloc.get_traced_memory()[0]
    apply_all(replica2, server2, joins2.entries)
    gc.collect()
    c1 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_channel_with_one = (c1 - c0) / 200
    return {
        "per_connection": (m1 - m0) / users,
        "per_membership": ((m2 - m1) - made * per_channel_with_one) / max(1, members - made) + 0.0,
        "per_channel_with_one_member": per_channel_with_one,
        "memberships": float(members),
        "channels": float(made),
    }


def snapshot_costs(users: int, channels: int, per_user: int) -> dict[str, float] | None:
    try:
        from socketchat.server.cluster import snapshot
    except ImportError:
        return None
    log, _ = populate(users, channels, per_user)
    replica, server = fresh_node()
    apply_all(replica, server, log.entries)
    t0 = time.process_time()
    data = snapshot.dump(replica)
    t1 = time.process_time()
    loaded, _server2 = fresh_node()
    t2 = time.process_time()
    snapshot.load(loaded, data)
    t3 = time.process_time()
    return {
        "bytes_per_user": len(data) / users,
        "bytes": float(len(data)),
        "write_s": t1 - t0,
        "load_s": t3 - t2,
    }


# -- Redis ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_costs(samples: list[bytes], n: int = 20_000) -> dict[str, float] | None:
    """Redis memory and CPU per entry, on a redis-server of its own."""
    if shutil.which("redis-server") is None:
        return None
    import redis

    from socketchat.server.net.cluster import APPEND_SCRIPT, LOG_KEY

    port = free_port()
    tmp = tempfile.mkdtemp(prefix="cluster-costs-")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        r.set("socketchat:lease:1", "n1")
        append = r.register_script(APPEND_SCRIPT)

        def cpu() -> float:
            info = r.info("cpu")
            return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

        batch = 50
        c0 = cpu()
        for i in range(0, n, batch):
            append(keys=["socketchat:lease:1", LOG_KEY],
                   args=[samples[(i + k) % len(samples)] for k in range(batch)])  # fmt: skip
        c1 = cpu()
        usage = float(r.memory_usage(LOG_KEY, samples=0) or 0)
        c2 = cpu()
        last = "0-0"
        while True:
            resp = r.xread({LOG_KEY: last}, count=1000)
            if not resp:
                break
            items = resp[0][1]
            last = items[-1][0]
        c3 = cpu()
        # a round trip per call, per read: what each call costs beside the entries
        t0 = time.perf_counter()
        for _ in range(2000):
            r.ping()
        rtt = (time.perf_counter() - t0) / 2000
        return {
            "append_us": (c1 - c0) / n * 1e6,
            "read_us": (c3 - c2) / n * 1e6,
            "bytes_per_entry": usage / n,
            "round_trip_ms": rtt * 1e3,
        }
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _show(title: str, rows: dict[str, float], fmt: Callable[[float], str]) -> None:
    print(title)
    for k, v in rows.items():
        print(f"  {k:<32}{fmt(v)}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.cluster_costs")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--channels", type=int, default=250)
    p.add_argument("--per-user", type=int, default=5, help="channels per user")
    p.add_argument("--no-redis", action="store_true")
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared: orders of magnitude)")
    members = args.users * args.per_user // args.channels
    log = Log()
    samples = {
        "conn": conn(log, 123),
        "NICK": line(log, 123, "NICK", "someone123"),
        "JOIN": line(log, 123, "JOIN", "#channel"),
        "PRIVMSG": line(log, 123, "PRIVMSG", "#channel", TEXT),
        "PRIVMSG with label and +typing": log.add(
            "line",
            s=NODE * ID_SPAN + 123,
            c="PRIVMSG",
            p=["#channel", TEXT],
            t={"label": "abc123", "+draft/reply": "1800000000123-0-0"},
        ),
    }
    _show("encoded entry (bytes)", {k: float(len(v)) for k, v in samples.items()}, "{:.0f}".format)
    if not args.no_redis:
        mix = [samples["PRIVMSG"]] * 8 + [samples["JOIN"], samples["NICK"]]
        rc = redis_costs(mix)
        if rc is None:
            print("redis-server is not installed: no Redis figures")
        else:
            _show("Redis, per entry (80% PRIVMSG)", rc, "{:.2f}".format)
    costs = apply_costs(args.users, args.channels, args.per_user)
    _show(
        f"apply on a node where all are shadows (µs per entry; {args.users} users,"
        f" PRIVMSG to a channel of ~{members})",
        costs,
        "{:.1f}".format,
    )
    mem = memory_costs(args.users, args.channels, args.per_user)
    _show("replica memory (bytes)", mem, "{:.0f}".format)
    snap = snapshot_costs(args.users, args.channels, args.per_user)
    if snap is not None:
        _show(f"snapshot of {args.users} users", snap, "{:.3f}".format)


if __name__ == "__main__":
    main()
