"""Configuration: TOML file, flags on top, switching limits off, validation, docs, logging."""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from socketchat.server.config import (
    ClusterConfig,
    ConfigError,
    Limits,
    Operator,
    ServerConfig,
    WebircGateway,
    WebPushSettings,
    load_config,
)
from tests.support.irc import IRCClient
from tests.support.server import spawned_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _doc_rows(section: str) -> dict[str, str]:
    """`key -> default` from the table under the `## section` heading."""
    text = DOCS.read_text()
    start = text.index(f"## `{section}`")
    end = text.find("\n## ", start + 1)
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \|", text[start : end if end > 0 else None], re.M)
    return dict(rows)


@pytest.mark.parametrize(
    "cls,section",
    [
        (ServerConfig, "[server]"),
        (Limits, "[limits]"),
        (Operator, "[[operators]]"),
        (WebircGateway, "[[webirc]]"),
        (WebPushSettings, "[webpush]"),
        (ClusterConfig, "[cluster]"),
    ],
)
def test_every_setting_is_documented_with_its_real_default(cls: type, section: str) -> None:
    rows = _doc_rows(section)
    fields = dataclasses.fields(cls)
    assert set(rows) == {f.name for f in fields}, "docs/configuration.md is out of date"
    for f in fields:
        if f.default is not dataclasses.MISSING and not dataclasses.is_dataclass(f.default):
            assert rows[f.name] == f"`{_toml(f.default)}`", f.name
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
            if not dataclasses.is_dataclass(default):
                assert rows[f.name] == f"`{_toml(default)}`", f.name


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "socketchat.toml"
    path.write_text(text)
    return path


def test_file_then_flags(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[server]
name = "irc.example"
port = 7000
motd = "line one\\nline two"
cloak_hosts = true
web_origins = ["https://chat.example"]

[limits]
sendq = 4096
flood_rate = 2.5

[[operators]]
name = "root"
password_hash = "scrypt$x"
""",
    )
    config = load_config(path, port=7001, name=None)
    assert config.name == "irc.example"
    assert config.port == 7001  # the flag wins
    assert config.motd == "line one\nline two"
    assert config.cloak_hosts is True
    assert config.web_origins == ("https://chat.example",)
    assert config.limits.sendq == 4096 and config.limits.flood_rate == 2.5
    assert config.limits.flood_burst == Limits().flood_burst
    assert config.operators == (Operator("root", "scrypt$x"),)


def test_limits_switch_off_all_at_once_or_one_by_one(tmp_path: Path) -> None:
    off = load_config(_write(tmp_path, "[limits]\nenabled = false\nsendq = 1000\n")).limits
    for f in dataclasses.fields(Limits):
        if f.name in ("ping_interval", "whowas_history", "max_line_bytes", "max_tag_bytes"):
            assert getattr(off, f.name) == getattr(Limits(), f.name), f.name
            continue  # not defences (the last two are the protocol's line lengths)
        expected = 1000 if f.name == "sendq" else 0
        assert getattr(off, f.name) == expected, f.name
    one = load_config(_write(tmp_path, "[limits]\nmax_clients = 0\n")).limits
    assert one.max_clients == 0 and one.sendq == Limits().sendq


@pytest.mark.parametrize(
    "text,error",
    [
        ("[server]\nprot = 1\n", "unknown key"),
        ("[limit]\nsendq = 1\n", "unknown table"),
        ("[limits]\nsendq = -1\n", "sendq must be"),
        ('[limits]\nflood_rate = "fast"\n', "flood_rate must be"),
        ("[server]\nport = 70000\n", "port must be"),
        ('[server]\nlog_level = "LOUD"\n', "log_level"),
        ('[[operators]]\nname = "x"\n', r"\[\[operators\]\] needs password_hash"),
        # a key appended after the operators (meant for [server]) lands in their entry; it
        # was Python's "Operator.__init__() got an unexpected keyword argument 'motd'"
        (
            '[[operators]]\nname = "x"\npassword_hash = "y"\nmotd = "hi"\n',
            r"unknown key\(s\) in \[\[operators\]\]: motd",
        ),
        (
            '[[webirc]]\nname = "g"\npassword_hash = "y"\nhost = ["10.0.0.1"]\n',
            r"\[\[webirc\]\]: host",
        ),
        ("[server\n", "cannot read"),
        ('[cluster]\nredis_url = "localhost:6379"\n', "redis_url must look like"),
        ('[cluster]\nnode_id = "a b"\n', "node_id"),
        ("[cluster]\nlease = 5\n", "unknown key"),
        ("[cluster]\nsnapshot_entries = -1\n", "snapshot_entries"),
    ],
)
def test_bad_config_is_an_error(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        load_config(_write(tmp_path, text))


def test_serve_reports_a_bad_config_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "[limits]\nsendq = -5\n")
    result = subprocess.run(
        [sys.executable, "-m", "socketchat", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "sendq must be" in result.stderr


def test_serve_uses_the_file_flags_override_and_logs_at_the_configured_level(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        '[server]\nname = "from.file"\nmotd = "hello from the file"\nlog_level = "WARNING"\n',
    )
    with spawned_server("--config", str(path), "--name", "from.flag") as srv:
        assert srv.process is not None
        c = IRCClient(srv.port).register("conf")
        welcome = c.log[0]
        assert welcome.command == "001" and welcome.source == "from.flag"
        assert any(m.command == "372" and "hello from the file" in m.param(1) for m in c.log)
        c.send_raw(b"PRIVMSG conf :\xff\xfe\r\n")
        c.expect("FAIL")
        c.send("QUIT")
        assert c.closed_by_server()
        srv.process.send_signal(signal.SIGTERM)
        assert srv.process.wait(timeout=10) == 0
        out = srv.output()
    assert "bad input: " in out and "not valid UTF-8" in out  # incidents at WARNING
    assert " connect id=" not in out  # connection events are INFO


def test_info_logs_one_line_per_connection_event() -> None:
    with spawned_server("--log-level", "INFO") as srv:
        assert srv.process is not None
        c = IRCClient(srv.port).register("logme")
        c.send("QUIT :bye")
        assert c.closed_by_server()
        srv.process.send_signal(signal.SIGINT)
        assert srv.process.wait(timeout=10) == 0
        out = srv.output()
    (sid,) = re.findall(r"registered id=(\d+) nick=logme", out)
    assert len(re.findall(rf"INFO socketchat.server: connect id={sid} from 127.0.0.1", out)) == 1
    assert len(re.findall(rf"disconnect id={sid} nick=logme: Quit: bye", out)) == 1


def test_proxy_settings_from_the_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[server]
trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]
trusted_proxy_header = "forwarded"
proxy_protocol = true

[[webirc]]
name = "kiwi"
password_hash = "scrypt$x"
hosts = ["192.0.2.0/24"]
""",
    )
    config = load_config(path)
    assert config.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert config.trusted_proxy_header == "forwarded" and config.proxy_protocol
    assert config.webirc == (WebircGateway("kiwi", "scrypt$x", ("192.0.2.0/24",)),)
    bad = _write(tmp_path, '[server]\ntrusted_proxies = ["10.0.0.0/33"]\n')
    with pytest.raises(ConfigError, match="not an address"):
        load_config(bad)
    bad = _write(tmp_path, '[server]\ntrusted_proxy_header = "x-real-ip"\n')
    with pytest.raises(ConfigError, match="trusted_proxy_header"):
        load_config(bad)
