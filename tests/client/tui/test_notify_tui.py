"""Alerts in the terminal client: the bell (and OSC 9/777) for a mention or a private message
it is not showing, or while the terminal has lost the focus; in Pilot, and the real command in
a real terminal (tmux), whose raw output is read back with pipe-pane."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from textual import events as tev

from socketchat.client.tui.app import ChatApp
from tests.client.conftest import ServerUnderTest
from tests.client.peers import fast_backoff, peer
from tests.client.tui.test_app import SIZE, alice_in_lobby, log_text, members_text, ready, until
from tests.support import require_tool, wait_for
from tests.support.irc import IRCClient


async def test_bell_for_what_is_not_looked_at(
    irc_server: ServerUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCKETCHAT_NOTIFY", "osc9")
    monkeypatch.delenv("TMUX", raising=False)
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await until(pilot, lambda: "bob" in members_text(app))
        bob.send("PRIVMSG #lobby :alice: here, focused")  # shown and focused: quiet
        await until(pilot, lambda: "here, focused" in log_text(app))
        bob.send("PRIVMSG #lobby :nobody in particular")
        await until(pilot, lambda: "nobody in particular" in log_text(app))
        assert app.alerts == []
        bob.send("PRIVMSG alice :سلام، a word")  # another tab
        await until(pilot, lambda: len(app.alerts) == 1)
        assert app.alerts[0] == "\a\x1b]9;bob: سلام، a word\a"
        bob.send("PRIVMSG alice :again at once")  # throttled: one ring per conversation
        await pilot.pause(0.3)
        assert len(app.alerts) == 1
        app.post_message(tev.AppBlur())  # the terminal reported it lost the focus
        await until(pilot, lambda: not app.app_focus)
        bob.send("PRIVMSG #lobby :alice: while you were away")
        await until(pilot, lambda: len(app.alerts) == 2)
        assert app.alerts[1] == "\a\x1b]9;#lobby: bob: alice: while you were away\a"


def test_the_real_command_rings_in_tmux(irc_server: ServerUnderTest, tmp_path: Path) -> None:
    tmux = require_tool("tmux")
    sock = f"socketchat-notify-{uuid.uuid4().hex[:8]}"
    raw = tmp_path / "pane.raw"
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    command = (
        f"env SOCKETCHAT_NOTIFY=osc777 {sys.executable} -m socketchat chat"
        f" --host 127.0.0.1 --port {irc_server.port} --nick tmuxuser"
    )

    def tm(*args: str) -> str:
        return subprocess.run(
            [tmux, "-L", sock, "-f", "/dev/null", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout

    tm("new-session", "-d", "-s", "c", "-x", "120", "-y", "40", command)
    try:
        tm("pipe-pane", "-t", "c", "-O", f"cat >> {raw}")  # the program's raw output
        bob.expect("JOIN", lambda m: m.nick == "tmuxuser", timeout=20)
        wait_for(lambda: ready(tm("capture-pane", "-p", "-t", "c"), "tmuxuser"), timeout=10)
        bob.send("PRIVMSG tmuxuser :ping from bob")
        # inside tmux the notification goes through tmux's passthrough, the bell as it is
        wanted = b"\x07\x1bPtmux;\x1b\x1b]777;notify;bob;ping from bob\x07\x1b\\"
        wait_for(lambda: raw.exists() and wanted in raw.read_bytes(), timeout=10)
        # the terminal loses the focus (as tmux reports it: CSI O): the shown tab alerts too
        bob.send("PRIVMSG #lobby :tmuxuser: before the blur")
        wait_for(lambda: "before the blur" in tm("capture-pane", "-p", "-t", "c"), timeout=10)
        assert b"before the blur" not in raw.read_bytes().split(b"777;notify;")[-1][:200]
        tm("send-keys", "-t", "c", "-H", "1b", "5b", "4f")
        time.sleep(0.3)
        bob.send("PRIVMSG #lobby :tmuxuser: after the blur")
        wanted = b"777;notify;#lobby;bob: tmuxuser: after the blur\x07"
        wait_for(lambda: wanted in raw.read_bytes(), timeout=10)
        tm("send-keys", "-t", "c", "-l", "/exit")
        tm("send-keys", "-t", "c", "Enter")
        bob.expect("QUIT", lambda m: m.nick == "tmuxuser", timeout=10)
    finally:
        subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True, timeout=10)
        bob.close()


PASSWORD = "correct-horse-42"


def account_peer(port: int, nick: str, account: str, caps: str = "draft/read-marker") -> IRCClient:
    """A raw client logged in to `account` (made first when `nick` is `account`)."""
    c = IRCClient(port)
    c.send("CAP LS 302", f"CAP REQ :draft/account-registration sasl {caps}")
    c.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    if nick == account:
        c.send(f"REGISTER * * {PASSWORD}")
        c.expect("REGISTER", timeout=10)
    else:
        token = base64.b64encode(f"\0{account}\0{PASSWORD}".encode()).decode()
        c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {token}")
        c.expect("903", timeout=10)
    c.send("CAP END")
    c.expect("001")
    return c


# draft/read-marker and accounts: our server only (ngircd has neither)
@pytest.mark.parametrize("irc_server", ["socketchat"], indirect=True)
async def test_what_is_read_in_the_terminal_is_marked_read(irc_server: ServerUnderTest) -> None:
    """Looking at a mention (the tab shown, the terminal focused) tells the server, which then
    does not push it to the account's other devices; the phone hears MARKREAD."""
    made = account_peer(irc_server.port, "alice", "alice")
    # not always-on: the nick is free for the client, which sends NICK before its SASL is done
    made.send("PRIVMSG NickServ :SET ALWAYS-ON OFF", "QUIT")
    assert made.closed_by_server()
    phone = account_peer(irc_server.port, "alicephone", "alice")
    app = ChatApp(
        "alice",
        irc_server.host,
        irc_server.port,
        backoff=fast_backoff(),
        account="alice",
        account_password=PASSWORD,
    )
    async with peer(irc_server.port, "bob") as bob, app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.core is not None and app.core.state == "connected")
        await until(pilot, lambda: app.shown == "#lobby" and "bob" in members_text(app))
        bob.send("PRIVMSG #lobby :alice: read this")
        await until(pilot, lambda: "read this" in log_text(app))
        marker = await asyncio.to_thread(
            phone.expect, "MARKREAD", lambda m: m.param(0) == "#lobby", 10
        )
        assert marker.param(1).startswith("timestamp=")
        app.post_message(tev.AppBlur())
        await until(pilot, lambda: not app.app_focus)
        bob.send("PRIVMSG #lobby :alice: not read yet")
        await until(pilot, lambda: len(app.alerts) == 1)
        assert not [
            m for m in await asyncio.to_thread(phone.collect, 0.5) if m.command == "MARKREAD"
        ]
        app.post_message(tev.AppFocus())  # back: now it is read
        again = await asyncio.to_thread(
            phone.expect, "MARKREAD", lambda m: m.param(0) == "#lobby", 10
        )
        assert again.param(1) > marker.param(1)
    phone.close()
