"""Composition: a `Server` with its command layer. The one place the core meets the commands.

The core (`core.py`, `session.py`) knows no command: it calls the `Dispatcher` it is given.
`build_server` gives it the command table's; `server/main.py` and the tests' harness both build
their servers here, so what runs is what is tested.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from socketchat.server.commands.dispatch import TABLE_DISPATCHER
from socketchat.server.config import ServerConfig
from socketchat.server.core import Server
from socketchat.storage.base import Storage


def build_server(
    config: ServerConfig | None = None,
    *,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] | None = None,
    storage: Storage | None = None,
) -> Server:
    """A server that runs the command table (`commands/table.py`). `clock` stamps messages,
    `monotonic` measures durations (see `Server`)."""
    return Server(
        config, clock=clock, monotonic=monotonic, storage=storage, dispatcher=TABLE_DISPATCHER
    )
