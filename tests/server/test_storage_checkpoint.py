"""The WAL checkpoint (SQLite's one fsync-heavy step) runs off the event loop, from tick.

With SQLite's automatic checkpoints a COMMIT on the loop copied 1,000 pages into the database
file and fsynced it: 100 ms to 1 s during a retention pass (bench/storage.py). Now commits only
append to the WAL, and `Persistence.tick` hands `Backend.checkpoint` to the offloader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from socketchat.storage.sqlite import SqliteBackend
from tests.storage.helpers import persistence, stored_net


def test_commits_do_not_checkpoint_and_tick_offloads_it(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    offloaded: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []
    db = persistence(net).backend
    assert isinstance(db, SqliteBackend)
    assert db.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    alice = net.client("alice")
    alice.send("JOIN #room")
    net.server.offloader = lambda work, done: offloaded.append((work, done))
    for i in range(3000):  # well over the 1,000 pages that triggered automatic checkpoints
        alice.send(f"PRIVMSG #room :line {i} " + "x" * 200)
    main_file = tmp_path / "socketchat.db"
    assert main_file.stat().st_size <= 4096  # the header page only: the rest is in the WAL
    net.server.tick()
    assert len(offloaded) == 1  # (nothing else here is offloaded: no passwords)
    net.server.tick()  # one at a time: none while the first is under way
    assert len(offloaded) == 1
    work, done = offloaded[0]
    done(work())  # as the offloader does: on a worker, then back on the loop
    assert main_file.stat().st_size > 3000 * 200
    net.clock.advance(1.5)
    net.server.tick()
    assert len(offloaded) == 2
    offloaded[1][1](offloaded[1][0]())
    net.clock.advance(-3600)  # the wall clock steps back an hour: checkpoints go on
    net.server.tick()
    assert len(offloaded) == 3
