"""`socketchat serve --storage postgresql://...` as a real process on a real PostgreSQL: chat,
CHATHISTORY, REGISTER and SASL login, and a restart (with another, empty data directory) that
keeps them all; and an unreachable database at start is one sentence and exit status 1."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.postgres import fresh_database
from tests.support.server import spawned_server

CAPS = "batch server-time message-tags draft/chathistory"


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database() as u:
        yield u


def history(c: IRCClient, target: str) -> list[str]:
    start = c._pos
    c.send(f"CHATHISTORY LATEST {target} * 100", "PING :hist")
    c.expect("PONG", lambda m: m.param(-1) == "hist")
    return [m.param(1) for m in c.log[start:] if m.command == "PRIVMSG"]


def sasl_client(port: int, nick: str, password: str) -> IRCClient:
    c = IRCClient(port)
    c.send("CAP LS 302", f"CAP REQ :sasl {CAPS}", f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    token = base64.b64encode(f"{nick}\0{nick}\0{password}".encode()).decode()
    c.send(f"AUTHENTICATE {token}")
    c.expect("903")  # SASL authentication successful
    c.send("CAP END")
    c.expect("001")
    c.nick = nick
    return c


def test_chat_history_and_accounts_live_in_postgresql_across_a_restart(
    tmp_path: Path, url: str
) -> None:
    with spawned_server("--storage", url, data_dir=str(tmp_path / "one")) as srv:
        alice = IRCClient(srv.port)
        alice.send("CAP LS 302", f"CAP REQ :draft/account-registration {CAPS}")
        alice.send("NICK alice", "USER alice 0 * :alice", "REGISTER * * alice-password")
        alice.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
        alice.send("CAP END")
        alice.expect("001")
        bob = IRCClient(srv.port).register("bob", CAPS)
        alice.send("JOIN #room")
        alice.expect("366")
        bob.send("JOIN #room")
        bob.expect("366")
        alice.send("PRIVMSG #room :hello from alice", "PRIVMSG bob :a secret for bob")
        assert bob.expect("PRIVMSG").param(1) == "hello from alice"
        assert bob.expect("PRIVMSG").param(1) == "a secret for bob"
        assert history(bob, "#room") == ["hello from alice"]
        assert history(bob, "alice") == ["a secret for bob"]
        alice.close()
        bob.close()
    # another data directory: whatever comes back came from PostgreSQL
    with spawned_server("--storage", url, data_dir=str(tmp_path / "two")) as srv:
        assert srv.process is not None
        alice = sasl_client(srv.port, "alice", "alice-password")
        alice.send("JOIN #room")
        alice.expect("366")
        assert history(alice, "#room") == ["hello from alice"]
        stranger = IRCClient(srv.port).register("stranger", CAPS)
        assert history(stranger, "alice") == []  # not a party to her conversation with bob
        alice.close()
        stranger.close()
    assert not (tmp_path / "two" / "socketchat.db").exists()  # SQLite was never opened


def test_an_unreachable_database_at_start_is_one_sentence_and_status_1(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "socketchat", "serve", "--port", str(free_port())]
    cmd += ["--web-port", "0", "--data-dir", str(tmp_path)]
    cmd += ["--storage", f"postgresql://chat:pw@127.0.0.1:{port}/chat"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"socketchat serve: cannot connect to postgresql://chat@127.0.0.1:{port}/chat:"
        " nothing listens there (is PostgreSQL running?)"
    ]


def test_the_config_files_storage_table_selects_postgresql(tmp_path: Path, url: str) -> None:
    config = tmp_path / "socketchat.toml"
    config.write_text(f'[storage]\nurl = "{url}"\n')
    with spawned_server("--config", str(config), data_dir=str(tmp_path / "d")) as srv:
        c = IRCClient(srv.port).register("carol", CAPS)
        c.send("JOIN #c", "PRIVMSG #c :kept in postgres")
        c.expect("366")
        assert history(c, "#c") == ["kept in postgres"]
        c.close()
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT text FROM messages WHERE key = '#c' AND command = 'PRIVMSG'"
        ).fetchone()
    assert row == ("kept in postgres",)
