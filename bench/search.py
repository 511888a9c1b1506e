"""Full-text search at scale: SEARCH latency over a million stored messages, and what the index
costs on disk and at insert time.

    PYTHONPATH=src python -m bench.search                  # 1,000,000 messages (a few minutes)
    PYTHONPATH=src python -m bench.search --rows 100000

Builds a real database in a temporary directory: `--rows` chat lines (English and Persian,
words drawn with a Zipf-like skew from a vocabulary, so some words are in a third of all lines
and most are rare; Persian verbs written with and without the zero-width non-joiner) in 200
channels of very different sizes and 2,000 private conversations. It is written at schema 7
(no index), measured, then opened by `SqliteBackend`, whose migration builds the index for the
old rows (timed), and measured again: the growth per million messages.

Then `SqliteBackend.search` — the whole of SEARCH's storage work, as the event loop runs it —
for a reader in 20 channels (a mix of busy and quiet ones) with 40 private conversations:
one-word searches of common, middling and rare words, two-word searches, Persian words typed
with and without ZWNJ, `in=` one channel, `from=` a nick, and no words at all (`in=` only).
Each kind: 200 searches, the limit of 100; p50, p95 and the maximum. A last line measures the
worst case this design has: a word in a third of all lines searched by someone who is only in
one small channel (every match elsewhere is skipped), which the time limit ends.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from socketchat.storage.base import SearchQuery, SearchTimeout, StoredMessage
from socketchat.storage.searchindex import SearchIndexer, index_path
from socketchat.storage.sqlite import MIGRATIONS, SqliteBackend

BASE_MS = 1_700_000_000_000
CHANNELS = 200
PRIVATE = 2000
_INSERT = (
    "INSERT INTO messages (key, time_ms, msgid, command, source, target, text, tags, era,"
    " restricted, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0, '')"
)
_ENGLISH = (
    "the a to is and of in it you that for on we are this be have with at can not do what"
    " meeting homework class room lunch today tomorrow question answer test exam paper project"
    " server client message network python socket thread window browser teacher student"
    " deadline review merge branch commit release bug fix crash slow fast search index"
)
_PERSIAN = (
    "من تو او ما شما آنها است نیست را به از در که با این آن برای هم یک خیلی خوب کلاس درس"
    " امتحان تکلیف جلسه فردا امروز ساعت کتاب کتابخانه دانشگاه استاد دانشجو سوال جواب پروژه"
    " می‌روم می‌آیم می‌خواهم می‌دانم می‌کنم نمی‌دانم بچه‌ها خانه‌ها"
)
ENGLISH, PERSIAN = _ENGLISH.split(), _PERSIAN.split()


def _vocabulary(rnd: random.Random) -> tuple[list[str], list[float]]:
    """Words, and Zipf-like weights: the few words of everyday chat first, then rare ones."""
    rare = ["".join(rnd.choice("bcdfghjklmnprstvwz") + rnd.choice("aeiou") for _ in range(4))]
    rare += [
        "".join(rnd.choice("bcdfghjklmnprstvwz") + rnd.choice("aeiou") for _ in range(3))
        for _ in range(20_000)
    ]
    words = ENGLISH + PERSIAN + rare
    return words, [1.0 / (rank + 1) ** 1.07 for rank in range(len(words))]


def _without_zwnj(word: str) -> str:
    return word.replace("\u200c", "")


def build(path: Path, rows: int, rnd: random.Random) -> tuple[list[str], dict[str, int]]:
    """`rows` messages at schema 7 (before the index). Returns the vocabulary in rank order and
    how many lines each channel got."""
    raw = sqlite3.connect(path)
    before = next(i for i, step in enumerate(MIGRATIONS) if "messages_fts" in step)
    raw.executescript(";".join(MIGRATIONS[:before]) + f"; PRAGMA user_version = {before};")
    raw.execute("PRAGMA journal_mode=WAL")
    words, weights = _vocabulary(rnd)
    cumulative = list(itertools.accumulate(weights))  # (choices() would sum them every call)
    channel_cumulative = list(itertools.accumulate(1.0 / (c + 1) for c in range(CHANNELS)))
    sizes: dict[str, int] = {}
    batch = []
    conversations = set()
    for n in range(rows):
        if rnd.random() < 0.1:
            p = rnd.randrange(PRIVATE)
            key, target = f"p:a:u{p % 97} a:v{p}", f"v{p}"
            conversations.add((key, f"a:u{p % 97}", f"a:v{p}", f"u{p % 97}", f"v{p}"))
        else:
            c = rnd.choices(range(CHANNELS), cum_weights=channel_cumulative)[0]  # #c0 busiest
            key = target = f"#c{c}"
        sizes[key] = sizes.get(key, 0) + 1
        chosen = rnd.choices(words, cum_weights=cumulative, k=rnd.randint(4, 14))
        if rnd.random() < 0.5:  # half of the Persian verbs typed without ZWNJ
            chosen = [_without_zwnj(w) for w in chosen]
        text = " ".join(chosen)
        nick = f"n{rnd.randrange(500)}"
        tags = json.dumps({"msgid": f"m{n}", "time": str(BASE_MS + n * 50)})
        batch.append((key, BASE_MS + n * 50, f"m{n}", "PRIVMSG", f"{nick}!u@h", target, text, tags))
        if len(batch) == 50_000:
            raw.executemany(_INSERT, batch)
            batch.clear()
    raw.executemany(_INSERT, batch)
    raw.executemany("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", sorted(conversations))
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return words, sizes


def size_mb(path: Path) -> float:
    """The database and its search index file (storage/searchindex.py), WALs included."""
    files = [*path.parent.glob(path.name + "*"), *path.parent.glob(index_path(path).name + "*")]
    return sum(os.path.getsize(p) for p in files) / 1e6


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"  {name:<44} p50 {statistics.median(times) * 1000:6.1f} ms"
        f"  p95 {p95 * 1000:6.1f} ms  max {times[-1] * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rnd = random.Random(12)
    with tempfile.TemporaryDirectory(prefix="socketchat-bench-") as tmp:
        path = Path(tmp) / "search.db"
        start = time.perf_counter()
        words, sizes = build(path, args.rows, rnd)
        print(f"built {args.rows:,} messages in {time.perf_counter() - start:.0f} s")
        print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        plain = size_mb(path)
        start = time.perf_counter()
        backend = SqliteBackend(path)  # the migration; the worker builds the index file
        opened = time.perf_counter() - start
        assert backend.wait_indexed(3600.0)
        migrated = time.perf_counter() - start
        backend.close()
        backend = SqliteBackend(path)
        indexed = size_mb(path)
        per_million = (indexed - plain) * 1e6 / args.rows
        print(
            f"database: {plain:.0f} MB without the index, {indexed:.0f} MB with it"
            f" (+{(indexed - plain) / plain * 100:.0f} %; {per_million:.0f} MB per million"
            f" messages); the migration {opened:.1f} s (before the server listens), then the"
            f" worker thread builds the index for the old rows: {migrated:.1f} s in all"
        )
        bench_inserts(Path(tmp))

        channels = sorted(k for k in sizes if k.startswith("#"))
        # a reader in 20 channels: the 3 busiest, then quieter ones; 40 private conversations
        mine = channels[:3] + rnd.sample(channels[3:], 17)
        scope: dict[str, tuple[str, ...]] = {k: () for k in mine}
        share = sum(sizes[k] for k in mine) / args.rows
        print(
            f"reader: 20 channels ({share * 100:.0f} % of all lines), private conversations of"
            f" a:u7; {args.runs} searches of each kind, limit 100"
        )
        common, middling, rare = words[:15], words[40:200], words[2000:20000]
        persian = [w for w in words[: len(ENGLISH) + len(PERSIAN)] if "\u200c" in w]

        def kind(name: str, make: Callable[[], tuple[dict[str, tuple[str, ...]], SearchQuery]]):
            queries = [make() for _ in range(args.runs)]
            it = iter(queries)

            stopped = []

            def one() -> None:
                s, q = next(it)
                try:
                    backend.search(s, "a:u7", q)
                except SearchTimeout:
                    stopped.append(q.text)

            report(name, timed(one, args.runs))
            if stopped:
                print(f"    ({len(stopped)} stopped by the time limit, e.g. {stopped[0]!r})")

        kind("one common word", lambda: (scope, SearchQuery(rnd.choice(common))))
        kind("one middling word", lambda: (scope, SearchQuery(rnd.choice(middling))))
        kind("one rare word", lambda: (scope, SearchQuery(rnd.choice(rare))))
        kind(
            "two words (common + middling)",
            lambda: (scope, SearchQuery(f"{rnd.choice(common)} {rnd.choice(middling)}")),
        )
        kind("Persian verb, with ZWNJ", lambda: (scope, SearchQuery(rnd.choice(persian))))
        kind(
            "Persian verb, without ZWNJ",
            lambda: (scope, SearchQuery(_without_zwnj(rnd.choice(persian)))),
        )
        kind(
            "in= one channel, middling word",
            lambda: ({rnd.choice(mine): ()}, SearchQuery(rnd.choice(middling))),
        )
        kind(
            "from= a nick, middling word",
            lambda: (scope, SearchQuery(rnd.choice(middling), sender=f"n{rnd.randrange(500)}")),
        )
        kind("in= one channel, no words", lambda: ({rnd.choice(mine): ()}, SearchQuery()))
        kind(
            "in= + from=, no words",
            lambda: ({rnd.choice(mine): ()}, SearchQuery(sender=f"n{rnd.randrange(500)}")),
        )
        quiet = channels[-1]
        start = time.perf_counter()
        try:
            got = len(backend.search({quiet: ()}, "", SearchQuery(common[0])))
            outcome = f"{got} found"
        except SearchTimeout:
            outcome = "stopped by the time limit (FAIL SEARCH INTERNAL_ERROR TIMEOUT)"
        print(
            f"worst case: '{common[0]}' in {quiet} only ({sizes[quiet]} lines):"
            f" {(time.perf_counter() - start) * 1000:.0f} ms, {outcome}"
        )
        print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        backend.close()


def bench_inserts(tmp: Path) -> None:
    """What the index adds to writing history on the event loop's thread: 100,000 appends and
    commits of 100 lines (the server's group commit), with the index's worker thread running
    (it competes for the GIL and the disk) and without it."""
    results = {}
    start_worker = SearchIndexer.start
    for indexed in (True, False):
        path = tmp / f"inserts-{indexed}.db"
        SearchIndexer.start = start_worker if indexed else lambda self: None  # type: ignore[method-assign]
        backend = SqliteBackend(path)
        SearchIndexer.start = start_worker  # type: ignore[method-assign]
        rnd = random.Random(3)
        words, weights = _vocabulary(rnd)
        cumulative = list(itertools.accumulate(weights))
        lines = [" ".join(rnd.choices(words, cum_weights=cumulative, k=10)) for _ in range(100_000)]
        start = time.perf_counter()
        for n, text in enumerate(lines):
            backend.append(StoredMessage("#c", n, f"m{n}", "PRIVMSG", "x!u@h", "#c", text, {}))
            if n % 100 == 99:
                backend.commit()
        backend.commit()
        results[indexed] = time.perf_counter() - start
        if indexed:
            backend.wait_indexed(600.0)
        backend.close()
    print(
        f"writing 100,000 lines (commits of 100): {results[False]:.2f} s without the index's"
        f" worker, {results[True]:.2f} s with it ({results[True] / results[False]:.2f}x)"
    )


if __name__ == "__main__":
    main()
