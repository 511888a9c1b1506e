"""The Textual client driven by Pilot against real servers, plus one smoke test in tmux."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable

from textual.pilot import Pilot
from textual.widgets import Input, RichLog, Static, Tabs

from socketchat.client.tui.app import ChatApp
from tests.client.conftest import ServerUnderTest
from tests.client.peers import fast_backoff, peer
from tests.support import require_tool, wait_for
from tests.support.irc import IRCClient

SIZE = (110, 30)


def log_text(app: ChatApp) -> str:
    return "\n".join(strip.text for strip in app.query_one("#log", RichLog).lines)


def members_text(app: ChatApp) -> str:
    return str(app.query_one("#members", Static).render())


def tab_labels(app: ChatApp) -> list[str]:
    return [str(tab.label) for tab in app.query_one("#tabs", Tabs).query("Tab")]


async def until(pilot: Pilot[int], predicate: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate!r}")
        await pilot.pause(0.02)


async def type_line(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")


def make_app(server: ServerUnderTest, nick: str | None = "alice") -> ChatApp:
    return ChatApp(nick, server.host, server.port, backoff=fast_backoff())


async def joined(pilot: Pilot[int], app: ChatApp) -> None:
    await until(pilot, lambda: app.core is not None and app.shown == "#lobby")
    await until(pilot, lambda: app.core is not None and app.core.state == "connected")
    await until(pilot, lambda: "alice" in members_text(app))


@contextlib.asynccontextmanager
async def alice_in_lobby(server: ServerUnderTest) -> AsyncIterator[tuple[ChatApp, Pilot[int]]]:
    """The client run headless as alice, once it has joined #lobby."""
    app = make_app(server)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        yield app, pilot


async def test_send_and_receive_with_timestamps(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await type_line(pilot, "hello from the terminal")
        msg = await bob.privmsg("hello from the terminal")
        assert (msg.nick, msg.param(0)) == ("alice", "#lobby")
        bob.send("PRIVMSG #lobby :hi terminal")
        await until(pilot, lambda: "<bob> hi terminal" in log_text(app))
        line = next(ln for ln in log_text(app).splitlines() if "<bob> hi terminal" in ln)
        assert re.match(r"^\d\d:\d\d <bob> hi terminal", line), line
        assert "<alice> hello from the terminal" in log_text(app)
        assert app.query_one("#input", Input).value == ""


async def test_user_list_updates(irc_server: ServerUnderTest) -> None:
    async with alice_in_lobby(irc_server) as (app, pilot):
        assert "bob" not in members_text(app)
        async with peer(irc_server.port, "bob") as bob:
            await until(pilot, lambda: "bob" in members_text(app))
            assert "2 here" in members_text(app)
            bob.send("NICK robert")
            await until(pilot, lambda: "robert" in members_text(app))
            bob.send("PART #lobby")
            await until(pilot, lambda: "robert" not in members_text(app))


async def test_pm_opens_a_tab_and_unread_counts(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await until(pilot, lambda: "bob" in members_text(app))
        await type_line(pilot, "/pm bob a private word")
        msg = await bob.privmsg("a private word")
        assert (msg.nick, msg.param(0)) == ("alice", "bob")
        await until(pilot, lambda: app.shown == "bob")
        assert "bob" in tab_labels(app)
        assert "<alice> a private word" in log_text(app)
        # back to #lobby; bob answers privately: the bob tab counts it as unread
        await pilot.press("ctrl+p")
        await until(pilot, lambda: app.shown == "#lobby")
        bob.send("PRIVMSG alice :answer one", "PRIVMSG alice :answer two")
        await until(pilot, lambda: "bob (2)" in tab_labels(app))
        await pilot.press("ctrl+n")
        await until(pilot, lambda: "<bob> answer two" in log_text(app))
        await until(pilot, lambda: "bob" in tab_labels(app))


async def test_tab_completes_nicks(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bobby") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await until(pilot, lambda: "bobby" in members_text(app))
        await pilot.press("b", "o", "tab")
        assert app.query_one("#input", Input).value == "bobby: "
        await pilot.press(*"hey", "enter")
        msg = await bob.privmsg("bobby: hey")
        assert msg.nick == "alice"


async def test_asks_for_a_nick_and_exit(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob:
        app = make_app(irc_server, nick=None)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.screen.query("#nick-input"))
            box = app.screen.query_one("#nick-input", Input)
            box.value = ""
            await type_line(pilot, "zoe")
            await until(pilot, lambda: app.core is not None and app.core.state == "connected")
            assert app.core is not None and app.core.nick == "zoe"
            await bob.expect("JOIN", lambda m: m.nick == "zoe")
            await type_line(pilot, "/exit")
            await bob.expect("QUIT", lambda m: m.nick == "zoe")
            await until(pilot, lambda: not app.is_running)
        assert app.return_code == 0


async def test_status_line_shows_reconnecting(irc_server: ServerUnderTest) -> None:
    async with alice_in_lobby(irc_server) as (app, pilot):
        assert "connected" in str(app.query_one("#status", Static).render())
        await asyncio.to_thread(irc_server.stop)
        await until(
            pilot, lambda: "reconnecting in" in str(app.query_one("#status", Static).render())
        )
        await asyncio.to_thread(irc_server.start)
        await until(pilot, lambda: app.core is not None and app.core.state == "connected")


def test_real_command_in_tmux(irc_server: ServerUnderTest) -> None:
    tmux = require_tool("tmux")
    sock = f"socketchat-test-{uuid.uuid4().hex[:8]}"
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    command = (
        f"{sys.executable} -m socketchat chat --host 127.0.0.1 --port {irc_server.port}"
        f" --nick tmuxuser"  # no 2> redirect: Textual draws on stderr
    )

    def tm(*args: str) -> str:
        return subprocess.run(
            [tmux, "-L", sock, *args], check=True, capture_output=True, text=True, timeout=10
        ).stdout

    tm("new-session", "-d", "-s", "c", "-x", "120", "-y", "40", command)
    try:
        bob.expect("JOIN", lambda m: m.nick == "tmuxuser", timeout=20)
        # The input line is drawn (its placeholder shows) before keys are typed: keys sent while
        # Textual is still starting up can be swallowed by its terminal set-up on a busy machine.
        wait_for(lambda: "Type a message" in tm("capture-pane", "-p", "-t", "c"), timeout=10)
        tm("send-keys", "-t", "c", "-l", "hello from tmux")
        wait_for(lambda: "hello from tmux" in tm("capture-pane", "-p", "-t", "c"), timeout=10)
        tm("send-keys", "-t", "c", "Enter")
        msg = bob.expect("PRIVMSG", lambda m: m.param(1) == "hello from tmux", timeout=10)
        assert msg.nick == "tmuxuser"
        bob.send("PRIVMSG #lobby :hello back")
        wait_for(lambda: "<bob> hello back" in tm("capture-pane", "-p", "-t", "c"), timeout=10)
        tm("send-keys", "-t", "c", "-l", "/exit")
        tm("send-keys", "-t", "c", "Enter")
        bob.expect("QUIT", lambda m: m.nick == "tmuxuser", timeout=10)
    finally:
        subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True, timeout=10)
        bob.close()


async def test_page_up_at_the_top_fetches_older_history() -> None:
    from tests.support.server import running_server

    with running_server(limits={"flood_burst": 0}) as server:
        async with peer(server.port, "bob") as bob:
            bob.send(*(f"PRIVMSG #lobby :line {i}" for i in range(70)))
            bob.send("PING :stored")
            await bob.expect("PONG")
            app = ChatApp("alice", server.host, server.port, backoff=fast_backoff())
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: "<bob> line 69" in log_text(app))
                text = log_text(app)
                assert "line 19" not in text
                assert text.index("<bob> line 20") < text.index("You joined #lobby")
                log = app.query_one("#log", RichLog)
                for _ in range(20):  # PageUp to the top, then once more: older history
                    await pilot.press("pageup")
                    if "Start of the history" in log_text(app):
                        break
                    await pilot.pause(0.05)
                await until(pilot, lambda: "Start of the history of #lobby" in log_text(app))
                said = [ln for ln in log_text(app).splitlines() if "<bob> line" in ln]
                assert [int(ln.rsplit(" ", 1)[1]) for ln in said] == list(range(70))
                assert log.scroll_y > 0  # what was shown stays in view, below the new lines
