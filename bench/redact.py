"""What wiping a redacted line costs on SQLite before 3.42 (no FTS5 secure-delete): the
redaction itself on the event loop, then the scrub of the search index (an incremental
optimize, done by the index's worker thread: storage/searchindex.py, timed here from the
request to its end, off the loop) and retention batches with ``secure_delete=ON`` against
``FAST``.

    PYTHONPATH=src python -m bench.redact --rows 100000
    PYTHONPATH=src python -m bench.redact --rows 1000000 --keep /tmp/m1.db   # reuse the build

The database is built as bench/search.py builds it (`build`), then opened by `SqliteBackend`
(whose worker builds the index) and scrubbed once, so every line is in one big segment, as on
a server that has scrubbed before.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.search import build
from socketchat.storage.sqlite import SqliteBackend


def scrub(db: SqliteBackend) -> list[float]:
    """One scrub by the index's worker, in ms, from the request to its end (as one step: the
    worker commits between its merge steps, and the loop does not wait for any)."""
    t = time.perf_counter()
    db._deleted(0.0)
    db.wait_indexed(3600.0)
    return [(time.perf_counter() - t) * 1000]


def show(name: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=20) if len(times) > 1 else times * 19
    print(
        f"{name:32} n={len(times):4}  p50 {statistics.median(times):7.2f} ms"
        f"  p95 {q[18]:7.2f} ms  max {max(times):7.2f} ms  total {sum(times) / 1000:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", help="build the database here once and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp) / "base.db"
        if not base.exists():
            build(base, args.rows, random.Random(7))
            db = SqliteBackend(base)
            scrub(db)
            db.close()
        path = Path(tmp) / "t.db"
        shutil.copy(base, path)
        db = SqliteBackend(path)
        rows = db.message_count()
        print(f"{rows} messages, {path.stat().st_size / 1e6:.0f} MB")
        scrub(db)  # (what the open found to do)
        victims = db.db.execute(
            "SELECT key, msgid FROM messages ORDER BY random() LIMIT 50"
        ).fetchall()
        deletes = []
        for key, msgid in victims:
            t = time.perf_counter()
            db.delete(key, msgid)
            db.commit()
            deletes.append((time.perf_counter() - t) * 1000)
        show("REDACT (delete + commit)", deletes)
        show("scrub after 50 redactions", scrub(db))
        key, msgid = db.db.execute(
            "SELECT key, msgid FROM messages WHERE seq = (SELECT max(seq) / 2 FROM messages)"
        ).fetchone()
        db.delete(key, msgid)
        db.commit()
        show("scrub after 1 redaction", scrub(db))
        for mode in ("FAST", "ON"):
            db.db.execute(f"PRAGMA secure_delete={mode}")
            batches = db.prune_batches(keep_per_key=1000)
            times = []
            for _ in range(20):
                t = time.perf_counter()
                if next(batches, None) is None:
                    break
                db.commit()
                times.append((time.perf_counter() - t) * 1000)
            show(f"retention batch, secure_delete={mode}", times)
        db.close()


if __name__ == "__main__":
    main()
