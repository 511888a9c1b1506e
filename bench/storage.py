"""Storage at scale: how long the event loop is held by CHATHISTORY TARGETS and by retention.

    PYTHONPATH=src python -m bench.storage                      # 50,000 conversations, 1 M rows
    PYTHONPATH=src python -m bench.storage --conversations 5000 --rows 100000

Builds real databases (the server's schema, WAL) in a temporary directory, then measures:

* TARGETS: `SqliteBackend.latest_times` for a user with that many private conversations and 20
  channels (median of five; the command's limit of 100), checked against the per-conversation
  answer (`latest_time` for each, as TARGETS did before);
* retention with `history_max_messages=50` over `--rows` messages in `rows / 100` channels, run as
  the server runs it (one batch, then a commit; WAL checkpoints on another thread): the longest
  and the median batch — the time the event loop is held — and the total; then a steady-state
  pass after 2,000 new lines.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from socketchat.storage.sqlite import SqliteBackend

_INSERT = (
    "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
BASE_MS = 1_700_000_000_000


def _conversations_db(path: Path, count: int) -> dict[str, tuple[str, str]]:
    SqliteBackend(path).close()
    db = sqlite3.connect(path)
    rows, conversations = [], []
    for i in range(count):
        a, b = sorted(("a:alice", f"c:{i:08x}"))
        key = f"p:{a} {b}"
        nicks = ("alice", f"n{i}") if a == "a:alice" else (f"n{i}", "alice")
        conversations.append((key, a, b, *nicks))
        rows += [
            (key, BASE_MS + i * 10 + j, f"m{i}-{j}", "PRIVMSG", "x!u@h", "alice", "hi", "{}")
            for j in range(2)
        ]
    channels = {}
    for c in range(20):
        channels[f"#c{c}"] = ("", f"#c{c}")
        rows += [
            (
                f"#c{c}",
                BASE_MS + j * 1000 + c,
                f"c{c}-{j}",
                "PRIVMSG",
                "x!u@h",
                f"#c{c}",
                "hi",
                "{}",
            )
            for j in range(50)
        ]
    db.executemany(_INSERT, rows)
    db.executemany("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", conversations)
    db.commit()
    db.close()
    return channels


def bench_targets(tmp: Path, count: int) -> None:
    channels = _conversations_db(tmp / "targets.db", count)
    backend = SqliteBackend(tmp / "targets.db")

    def old() -> list[tuple[int, str]]:
        found = []
        for key, (era, name) in channels.items():
            latest = backend.latest_time(key, 0, 2**62, eras=(era,))
            if latest is not None:
                found.append((latest, name))
        for conv in backend.conversations("a:alice"):
            latest = backend.latest_time(conv.key, 0, 2**62)
            if latest is not None:
                found.append((latest, conv.other_nick("a:alice")))
        return sorted(found)[:100]

    def new() -> list[tuple[int, str]]:
        return backend.latest_times(channels, "a:alice", 0, 2**62, 100)

    assert old() == new()
    for name, fn in (("one query per conversation (before)", old), ("one query (now)", new)):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        print(f"TARGETS, {count:,} conversations, {name}: median {statistics.median(times):.3f} s")
    backend.close()


def _retention_db(path: Path, rows: int, keys: int) -> None:
    SqliteBackend(path).close()
    db = sqlite3.connect(path)
    rnd = random.Random(1)
    db.executemany(
        _INSERT,
        (
            (f"#k{k}", BASE_MS + t, f"m{t}", "PRIVMSG", "x!u@h", f"#k{k}", "a line of chat", "{}")
            for t in range(rows)
            for k in [rnd.randrange(keys)]
        ),
    )
    db.commit()
    db.close()


def _pass(backend: SqliteBackend, keep: int) -> tuple[int, list[float], float]:
    """One retention pass as the server runs it: a batch and a commit per loop turn, and a
    checkpoint every second on another thread (`Persistence.tick` offloads it)."""
    stop = threading.Event()

    def checkpoints() -> None:
        while not stop.wait(1.0):
            backend.checkpoint()

    worker = threading.Thread(target=checkpoints, daemon=True)
    worker.start()
    batches = backend.prune_batches(keep_per_key=keep)
    times, removed = [], 0
    started = time.perf_counter()
    while True:
        start = time.perf_counter()
        try:
            removed += next(batches)
        except StopIteration:
            break
        backend.commit()
        times.append(time.perf_counter() - start)
    stop.set()
    worker.join()
    return removed, times, time.perf_counter() - started


def bench_retention(tmp: Path, rows: int) -> None:
    path = tmp / "retention.db"
    keys = max(10, rows // 100)  # 100 lines per channel: half of them go
    _retention_db(path, rows, keys)
    backend = SqliteBackend(path)
    removed, times, total = _pass(backend, 50)
    print(
        f"retention, {rows:,} rows, keep 50 per channel: {removed:,} deleted in {len(times)}"
        f" batches, longest {max(times) * 1000:.0f} ms, median"
        f" {statistics.median(times) * 1000:.0f} ms, total {total:.1f} s"
    )
    rnd = random.Random(2)
    for t in range(2000):
        k = rnd.randrange(keys)
        backend.db.execute(
            _INSERT, (f"#k{k}", BASE_MS + rows + t, f"n{t}", "PRIVMSG", "x", "#k", "a line", "{}")
        )
    removed, times, total = _pass(backend, 50)
    print(
        f"retention, steady state (2,000 new lines): {removed:,} deleted in {len(times)}"
        f" batches, longest {max(times) * 1000:.0f} ms, median"
        f" {statistics.median(times) * 1000:.1f} ms, total {total:.2f} s"
    )
    backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="socketchat-bench-") as tmp:
        bench_targets(Path(tmp), args.conversations)
        bench_retention(Path(tmp), args.rows)


if __name__ == "__main__":
    main()
