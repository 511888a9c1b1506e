"""`rehash.apply_config` without a process: what follows the new configuration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from socketchat.server.compose import build_server
from socketchat.server.config import ServerConfig
from socketchat.server.persistence import Persistence
from socketchat.server.rehash import apply_config
from socketchat.storage.sqlite import open_storage


def test_storage_takes_the_new_history_settings(tmp_path: Path) -> None:
    """Replay on join and retention read the storage's configuration: a REHASH reaches it."""
    config = ServerConfig()
    storage = Persistence(open_storage(tmp_path), config)
    server = build_server(config, storage=storage)
    try:
        new = dataclasses.replace(config, history_replay_on_join=7, history_max_messages=100)
        assert apply_config(server, new) == []
        assert storage.config.history_replay_on_join == 7
        assert storage.config.history_max_messages == 100
        assert storage.config is server.config
    finally:
        storage.close()
