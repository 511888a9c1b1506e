"""The settings file of the terminal and desktop clients: where it is, what survives a round
trip, and that a damaged or foreign file never stops the client."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from socketchat.client.settings import Settings, load, save, settings_path


def test_the_file_is_under_the_users_config_directory(tmp_path: Path) -> None:
    assert settings_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "socketchat/client.json"
    assert settings_path({"HOME": "/home/x"}) == Path("/home/x/.config/socketchat/client.json")
    assert settings_path({"SOCKETCHAT_CONFIG": "/etc/x.json", "HOME": "/h"}) == Path("/etc/x.json")


def test_round_trip_is_private_and_keeps_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "socketchat" / "client.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"nick": "old", "future_option": [1, 2]}), encoding="utf-8")
    wanted = load(path).replace(
        nick="مهسا",
        host="chat.example",
        port=6697,
        tls=True,
        theme="light",
        language="fa",
        channels=("#lobby", "#فارسی"),
        queries=("bob",),
    )
    save(wanted, path)
    assert load(path) == wanted
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["future_option"] == [1, 2] and data["nick"] == "مهسا"
    assert "مهسا" in path.read_text(encoding="utf-8")  # readable, not \\u escapes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["client.json"]  # no temporary left


def test_missing_damaged_or_odd_files_give_the_defaults(tmp_path: Path) -> None:
    assert load(tmp_path / "none.json") == Settings()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert load(bad) == Settings()
    bad.write_text("[1, 2]", encoding="utf-8")
    assert load(bad) == Settings()
    bad.write_text(
        json.dumps({"port": 99999, "theme": "pink", "channels": ["#a", 5, ""], "tls": "yes"}),
        encoding="utf-8",
    )
    odd = load(bad)
    assert (odd.port, odd.theme, odd.channels, odd.tls) == (None, None, ("#a",), False)
