"""`socketchat serve` without storage, for the benchmark's `socketchat-nohistory` target.

A cluster node has no storage yet (docs/cluster.md, Limits), while a plain `socketchat serve`
writes every line to SQLite. To measure what the cluster layer costs, the single server must
do the same work as the node minus the layer: this runs the ordinary `socketchat` command with
the storage backend replaced by none (the path a cluster node takes, `storage=None`). Bench
only: no product option switches history off.

Run as `python bench/nostore.py serve --port ...` (the arguments of `socketchat`).
"""

from __future__ import annotations

import sys
from typing import Any

import socketchat.server.main as serve


def _no_storage(*_args: Any) -> None:
    return None


serve.open_backend = _no_storage  # type: ignore[assignment]
serve.Persistence = _no_storage  # type: ignore[assignment,misc,attr-defined]

if __name__ == "__main__":
    from socketchat.cli import main

    sys.exit(main(sys.argv[1:]))
