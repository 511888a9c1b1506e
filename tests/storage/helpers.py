"""A sans-I/O server with real SQLite storage in a temporary file, on the fake clock."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.persistence import Persistence
from socketchat.storage.sqlite import SqliteBackend
from tests.server.harness import Client, Net


def stored_net(tmp_path: Path, **settings: Any) -> Net:
    """`Net` whose server keeps history and accounts in `tmp_path/socketchat.db`.

    Flood control is off unless `limits` is given: the fake clock does not move by itself.
    """
    settings.setdefault("limits", Limits().disabled())
    config = dataclasses.replace(ServerConfig(), **settings)
    net = Net(config)
    storage = Persistence(SqliteBackend(tmp_path / "socketchat.db"), config)
    net.server = build_server(config, clock=net.clock, storage=storage)
    return net


def persistence(net: Net) -> Persistence:
    storage = net.server.storage
    assert isinstance(storage, Persistence)
    return storage


def texts(messages: list[Any], command: str = "PRIVMSG") -> list[str]:
    return [m.param(1) for m in messages if m.command == command]


__all__ = ["Client", "persistence", "stored_net", "texts"]
