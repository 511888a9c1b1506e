"""What the event loop waits for, per storage backend: SQLite (a file) against PostgreSQL (a
server on loopback, started for the run, durable: fsync and synchronous commits on).

    PYTHONPATH=src:. python -m bench.storage_backends               # 10,000 lines, 300 turns
    PYTHONPATH=src:. python -m bench.storage_backends --lines 50000 --turns 1000

Both backends are called as the server calls them (`storage/base.py: Backend`, synchronous, on
one thread). Measured, median and 99th percentile in microseconds:

* a loop turn's group commit: `append` of k lines (k = 1, 10, 100), then `commit`;
* CHATHISTORY LATEST 50 and BEFORE msgid=... 50 in a channel of `--lines` lines;
* `get_account` of an existing account and of a missing one (every nick change asks);
* SEARCH of one word that 1 line in 100 contains, newest 50.

The PostgreSQL server is the tests' (`tests/support/postgres.py`: initdb in a temporary
directory, as the `postgres` user when run as root), so this needs `scripts/setup.sh --test`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.postgres import PostgresServer

from socketchat.storage.base import Account, Backend, SearchQuery, StoredMessage
from socketchat.storage.postgres import PostgresBackend
from socketchat.storage.sqlite import SqliteBackend

BASE_MS = 1_700_000_000_000


def line(n: int, key: str = "#bench") -> StoredMessage:
    word = "needle" if n % 100 == 0 else "hay"
    tags = {"time": str(BASE_MS + n), "msgid": f"m{n}"}
    text = f"line {n} with some {word} words in it"
    return StoredMessage(key, BASE_MS + n, f"m{n}", "PRIVMSG", "alice!u@h", key, text, tags)


def timed(fn: Callable[[], object], times: int) -> tuple[float, float]:
    """(median, p99) in microseconds."""
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def measure(db: Backend, lines: int, turns: int) -> dict[str, tuple[float, float]]:
    for n in range(lines):
        db.append(line(n))
        if n % 1000 == 999:
            db.commit()
    db.create_account(Account("alice", "scrypt$x", "", 1.0))
    db.commit()
    db.checkpoint()  # what the server runs once a second (PostgreSQL: ANALYZE after growth)
    out: dict[str, tuple[float, float]] = {}
    counter = [lines]

    def turn(k: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(k):
                counter[0] += 1
                db.append(line(counter[0], "#other"))
            db.commit()

        return run

    for k in (1, 10, 100):
        out[f"turn: {k} line(s) + commit"] = timed(turn(k), max(20, turns // k * 3))
    middle = f"m{lines // 2}"
    out["LATEST 50"] = timed(lambda: db.before("#bench", None, 50), turns)

    def before_msgid() -> None:
        pos = db.find("#bench", middle)
        assert pos is not None
        db.before("#bench", pos, 50)

    out["BEFORE msgid 50"] = timed(before_msgid, turns)
    out["get_account (exists)"] = timed(lambda: db.get_account("Alice"), turns)
    out["get_account (missing)"] = timed(lambda: db.get_account("nobody"), turns)
    query = SearchQuery(text="needle", limit=50)
    out["SEARCH 1 word, 50"] = timed(lambda: db.search({"#bench": ()}, "", query), turns)
    db.commit()  # reads leave a transaction open in PostgreSQL: end it, as a loop turn does
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.storage_backends", description=__doc__)
    p.add_argument("--lines", type=int, default=10_000)
    p.add_argument("--turns", type=int, default=300)
    args = p.parse_args(argv)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="socketchat-bench-storage-") as tmp:
        sq = SqliteBackend(Path(tmp) / "socketchat.db")
        results["SQLite"] = measure(sq, args.lines, args.turns)
        sq.close()
    server = PostgresServer(durable=True).start()
    try:
        pg = PostgresBackend(server.database())
        results["PostgreSQL"] = measure(pg, args.lines, args.turns)
        pg.close()
    finally:
        server.stop()
    names = list(results)
    print(f"{args.lines} lines in the channel; µs, median / p99")
    print("| operation | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for op in results[names[0]]:
        cells = [f"{results[n][op][0]:.0f} / {results[n][op][1]:.0f}" for n in names]
        print(f"| {op} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
