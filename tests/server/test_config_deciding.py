"""What a cluster node may have of its own and what must be the network's (`config.py`:
`NODE_LOCAL`, `DECIDING`, `deciding`, `with_settings`, `differences`)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from socketchat.server.config import (
    DECIDING,
    NODE_LOCAL,
    SECRET,
    ClusterConfig,
    ConfigError,
    Limits,
    Operator,
    ServerConfig,
    WebircGateway,
    WebPushSettings,
    canonical,
    deciding,
    differences,
    setting_paths,
    with_settings,
)
from socketchat.server.net.cluster import mismatch


def test_every_setting_is_classified_once() -> None:
    """A setting added to `ServerConfig` or one of its tables fails here until it is put in
    `NODE_LOCAL` (a node's own) or `DECIDING` (the network's): no one decides by default."""
    paths = set(setting_paths())
    unclassified = paths - NODE_LOCAL - DECIDING
    assert not unclassified, f"classify in config.py NODE_LOCAL or DECIDING: {unclassified}"
    assert not NODE_LOCAL & DECIDING
    assert not (NODE_LOCAL | DECIDING) - paths, "a classified setting that does not exist"
    assert paths >= SECRET


def test_the_paths_cover_every_table() -> None:
    tables = {"limits": Limits, "webpush": WebPushSettings, "cluster": ClusterConfig}
    for name, cls in tables.items():
        assert {f"{name}.{f.name}" for f in dataclasses.fields(cls)} <= set(setting_paths())
        assert name not in setting_paths()  # (a table is its keys)
    assert "nicklen" in setting_paths() and "operators" in setting_paths()


def test_what_a_node_has_of_its_own() -> None:
    """The brief's node-local settings, and a few that must never be (they decide)."""
    for path in ("port", "host", "tls_cert", "tls_key", "data_dir", "log_level", "log_format"):
        assert path in NODE_LOCAL
    for path in ("cluster.node_id", "cluster.redis_url", "metrics", "limits.max_clients"):
        assert path in NODE_LOCAL
    for path in ("nicklen", "casemapping", "operators", "cloak_hosts", "password"):
        assert path in DECIDING
    for path in ("limits.max_channels_per_client", "webpush.max_subscriptions"):
        assert path in DECIDING


def unusual() -> ServerConfig:
    """A configuration with a value unlike the default for every deciding setting."""
    config = ServerConfig(
        operators=(Operator("root", "scrypt$x"),),
        webirc=(WebircGateway("gw", "scrypt$y", ("10.0.0.0/8",)),),
        trusted_proxies=("10.0.0.1",),
        casemapping="ascii",
    )
    changes: dict[str, Any] = {}
    for path in sorted(DECIDING):
        value = deciding(config)[path]
        if isinstance(value, bool):
            changes[path] = not value
        elif isinstance(value, int | float):
            changes[path] = value + 3
        elif isinstance(value, str) and path != "casemapping":
            changes[path] = value + "-x"
    return with_settings(config, changes)


def test_deciding_is_the_network_part_and_round_trips_through_json() -> None:
    config = dataclasses.replace(unusual(), port=7000, log_level="DEBUG")
    settings = deciding(config)
    assert set(settings) == DECIDING
    assert settings["nicklen"] == 33 and settings["limits.max_targets"] == 7
    assert settings["operators"] == [{"name": "root", "password_hash": "scrypt$x"}]
    text = canonical(settings)
    assert text == canonical(json.loads(text))  # one text for the same settings
    assert list(json.loads(text)) == sorted(settings)
    # a node's own file with the network's part on top: the network's deciding settings, its
    # own ports and levels
    mine = ServerConfig(port=6000, log_level="WARNING")
    taken = with_settings(mine, json.loads(text))
    assert deciding(taken) == settings
    assert taken == dataclasses.replace(config, port=6000, log_level="WARNING")
    assert isinstance(taken.operators[0], Operator) and taken.webirc[0].hosts == ("10.0.0.0/8",)


def test_with_settings_refuses_a_setting_it_does_not_know() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        with_settings(ServerConfig(), {"limits.nope": 1})


def test_differences_name_each_setting_with_both_values() -> None:
    network = deciding(ServerConfig())
    here = deciding(
        dataclasses.replace(
            ServerConfig(nicklen=32, password="hunter2", operators=(Operator("a", "h"),)),
            limits=Limits(max_channels_per_client=5),
        )
    )
    assert differences(network, network) == []
    assert differences(here, network) == [
        "limits.max_channels_per_client (5 here, 50 in the network)",
        "nicklen (32 here, 30 in the network)",
        "operators (differs)",  # (secrets: named, never shown)
        "password (differs)",
    ]
    assert "hunter2" not in " ".join(differences(here, network))
    # a version with one more (or one less) setting: it differs too
    assert differences({**network, "new": 1}, network) == ["new (1 here, not in the network's)"]
    assert differences(network, {**network, "new": 1}) == ["new (not here, 1 in the network)"]
    # a float written as an int is the same setting
    assert differences({**network, "history_max_age_days": 0}, network) == []


def test_the_refusal_is_one_sentence_naming_the_settings() -> None:
    text = mismatch(differences(deciding(ServerConfig(nicklen=32)), deciding(ServerConfig())))
    assert text.startswith(
        "this node's configuration differs from the network's: nicklen (32 here, 30 in the network)"
    )
    assert "\n" not in text


def test_configuration_md_lists_the_node_local_settings() -> None:
    """docs/configuration.md's "On a cluster" list is `NODE_LOCAL`, table by table."""
    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    listed = text.split("<!-- node-local -->")[1].split("<!-- /node-local -->")[0]
    documented: set[str] = set()
    for item in listed.split("\n- ")[1:]:
        table, _, keys = item.partition(":")
        prefix = "" if table.strip("- `[]") == "server" else table.strip("- `[]") + "."
        if "all of it" in keys:
            documented |= {p for p in NODE_LOCAL if p.startswith(prefix)}
            assert prefix == "cluster."
            continue
        documented |= {prefix + key for key in re.findall(r"`([a-z_]+)`", keys)}
    assert documented == NODE_LOCAL
    assert {p for p in setting_paths() if p.startswith("cluster.")} <= NODE_LOCAL
