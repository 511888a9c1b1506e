"""Micro-benchmarks of the hot path: serialising a PRIVMSG and fanning one out to a channel.

    PYTHONPATH=src python -m bench.micro

Prints the best of nine runs (CPU time), in microseconds per operation. The fan-out runs through the
sans-I/O harness (fake links): 1,000 members in four tag profiles, one PRIVMSG relayed to all.
So does one PING line through a registered session (the per-line path), and registration
(NICK + USER + the welcome burst), 3,000 connections a run with names never seen before (the
casemap caches are warm for names seen once), ASCII and Persian; and registration with real
SQLite storage holding 2,000 accounts (half ASCII, half Persian), where every new nick is checked
against the registered ones (nick protection, by fold and by confusable skeleton). And a
cluster node applying one log entry (a PRIVMSG to a channel of 200) where the members are
shadows and where they are its own (docs/cluster.md).
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable

from socketchat.irc.message import Message, serialize
from socketchat.server.config import ServerConfig
from socketchat.server.core import Server

TEXT = "hello there, this is a fairly ordinary line of chat text"
TAGS = {"time": "2026-12-01T17:00:00.000Z", "msgid": "ab12cd34ef", "account": "alice"}


def _fanout_server(members: int) -> Server:
    from tests.server.harness import Net

    net = Net(ServerConfig(), flood_rate=0.0, max_clients_per_ip=0, max_clients=0)
    profiles = ["", "server-time", "server-time message-tags", "batch server-time message-tags"]
    sender = net.client("sender")
    sender.send("JOIN #big")
    for i in range(members):
        c = net.client(f"u{i}", profiles[i % len(profiles)])
        c.session.receive_data(b"JOIN #big\r\n")
    net.server.flush()
    for s in net.server.sessions:
        s.take_output()
        s.link.sent.clear()  # type: ignore[attr-defined]
    return net.server


_FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_FA_NAMES = ("مهسا", "سارا", "نگار", "کاوه", "بابک", "شیرین")


def _registration_cost(casemapping: str, persian: bool, n: int = 3000, accounts: int = 0) -> float:
    """CPU seconds per registration, best of nine runs, each with fresh nicks; with `accounts`
    registered accounts in a real SQLite file (nick protection looks each nick up)."""
    import dataclasses
    import tempfile
    from pathlib import Path

    from tests.server.harness import Net

    from socketchat.server.compose import build_server
    from socketchat.server.persistence import Persistence
    from socketchat.storage.base import Account
    from socketchat.storage.sqlite import SqliteBackend

    def nick(run: int, i: int) -> str:
        if not persian:
            return f"u{run}x{i}"
        return _FA_NAMES[i % 6] + "".join(_FA_DIGITS[int(d)] for d in str(run * 100000 + i))

    best = float("inf")
    for run in range(1, 10):
        config = ServerConfig(casemapping=casemapping)
        config = dataclasses.replace(config, limits=config.limits.disabled())
        net = Net(config)
        tmp = tempfile.TemporaryDirectory()
        if accounts:
            backend = SqliteBackend(Path(tmp.name) / "socketchat.db")
            for i in range(accounts):
                backend.create_account(Account(nick(0, i) if i % 2 else f"u0x{i}", "h", "", 1.0))
            backend.commit()
            net.server = build_server(config, clock=net.clock, storage=Persistence(backend, config))
        nicks = [nick(run, i) for i in range(n)]
        start = time.process_time()
        for name in nicks:
            net.client().send(f"NICK {name}", "USER u 0 * :real")
        best = min(best, (time.process_time() - start) / n)
        assert len(net.server.state.users()) == n, "a registration failed"
        if accounts:
            backend.close()
        tmp.cleanup()
    return best


def _line_cost() -> float:
    """CPU seconds for one input line through a registered session: framing, flood control,
    parsing, the core's call into its injected dispatcher (`Server.dispatcher`), the handler."""
    from tests.server.harness import Net

    net = Net(ServerConfig(), flood_rate=0.0)
    session = net.client("alice").session

    def one() -> None:
        session.receive_data(b"PING x\r\n")
        session.take_output()
        net.server.dirty.clear()

    return _best(one, 20_000)


def _cluster_apply_cost(local: bool, members: int = 200, n: int = 2000) -> float:
    """One cluster log entry, a PRIVMSG to a channel of `members`, applied by a node where
    they are all shadows (`local` False: what every other node pays) or all its own clients
    (the node that delivers), flushing every 100 entries as the reader does per batch."""
    from tests.server.cluster.test_replica import Cluster

    from socketchat.server.cluster.entries import encode
    from socketchat.server.config import Limits

    net = Cluster(2, ServerConfig(limits=Limits().disabled()))
    clients = [net.client(1, f"u{i}") for i in range(members)]
    for c in clients:
        c.send("JOIN #big")
    sid = clients[0].session.id
    replica, server = net.replicas[1 if local else 0], net.servers[1 if local else 0]
    start_ms = net.ms + 1
    raws = [
        encode("line", 2, 1_000_000 + i, s=sid, c="PRIVMSG", p=["#big", TEXT]) for i in range(n)
    ]
    started = time.process_time()
    for i, raw in enumerate(raws):
        replica.apply(f"{start_ms + i}-0", raw)
        if i % 100 == 99:
            server.flush()
    server.flush()
    return (time.process_time() - started) / n


def _best(fn: Callable[[], object], number: int) -> float:
    """Best of nine, in CPU seconds per call (process time: the machine is shared)."""
    timer = timeit.Timer(fn, timer=time.process_time)
    return min(timer.repeat(repeat=9, number=number)) / number


def main() -> None:
    n = 100_000
    best = _best(lambda: serialize("PRIVMSG", ("#lobby", TEXT), "alice!a@h"), n)
    print(f"serialize PRIVMSG:            {best * 1e6:.3f} us")
    msg = Message("PRIVMSG", ("#lobby", TEXT), "alice!a@host.example", TAGS)
    best = _best(lambda: msg.to_bytes({"time": TAGS["time"]}), n)
    print(f"Message.to_bytes with a tag:  {best * 1e6:.3f} us")
    best = _best(lambda: serialize("001", ("alice", "Welcome to the network"), "irc.example"), n)
    print(f"serialize numeric:            {best * 1e6:.3f} us")
    server = _fanout_server(1000)
    members = list(server.state.find_channel("#big").members)  # type: ignore[union-attr]
    relay = Message("PRIVMSG", ("#big", TEXT), "sender!s@host.example", TAGS)

    def fan() -> None:
        server.fanout(relay, members)
        for s in members:
            s.take_output()
        server.dirty.clear()

    rounds = 200
    best = _best(fan, rounds)
    print(f"fanout to 1,000 members:      {best * 1e6:.1f} us")
    line = _line_cost()
    print(f"one line (PING) through a session: {line * 1e6:.2f} us")
    for local in (False, True):
        label = f"cluster: apply PRIVMSG to 200 {'local' if local else 'shadow'} members:"
        print(f"{label:<40}{min(_cluster_apply_cost(local) for _ in range(3)) * 1e6:.1f} us")
    for mapping, persian in (("ascii", False), ("precis", False), ("precis", True)):
        label = f"register ({mapping}, {'Persian' if persian else 'ASCII'} nicks):"
        print(f"{label:<40}{_registration_cost(mapping, persian) * 1e6:.1f} us")
    for persian in (False, True):
        label = f"register (precis, {'Persian' if persian else 'ASCII'}, 2,000 accounts):"
        cost = _registration_cost("precis", persian, accounts=2000)
        print(f"{label:<40}{cost * 1e6:.1f} us")


if __name__ == "__main__":
    main()
