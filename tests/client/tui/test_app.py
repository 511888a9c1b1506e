"""The Textual client driven by Pilot against real servers, plus one smoke test in tmux."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from textual import events as tev
from textual.pilot import Pilot
from textual.widgets import Input, RichLog, Static, Tabs

from socketchat.client import rtl
from socketchat.client.tui.app import ChatApp
from tests.client.conftest import ServerUnderTest
from tests.client.peers import AsyncPeer, fast_backoff, peer
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


async def test_up_and_down_recall_what_was_typed(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        box = app.query_one("#input", Input)
        await type_line(pilot, "first line")
        await type_line(pilot, "second line")
        await bob.privmsg("second line")
        await pilot.press(*"draft")
        await pilot.press("up")
        assert box.value == "second line"
        await pilot.press("up", "up")
        assert box.value == "first line"
        await pilot.press("down", "down")
        assert box.value == "draft"  # what was being typed comes back
        await pilot.press("up", "enter")
        msg = await bob.privmsg("second line")
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


def ready(screen: str, nick: str) -> bool:
    return re.search(rf"connected .*{nick}", screen) is not None and "Type a message" in screen


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
        # typed keys are only safe once the app is up and drawing (earlier ones may be lost
        # while Textual sets the terminal up): wait for the status line and the input line
        wait_for(lambda: ready(tm("capture-pane", "-p", "-t", "c"), "tmuxuser"), timeout=10)
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
                # the latest 50 items, alice's own JOIN among them (draft/event-playback)
                assert text.index("<bob> line 21") < text.index("You joined #lobby")
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


async def test_redact_takes_back_ones_own_line() -> None:
    """/redact without an id takes back one's own latest line (draft/message-redaction): REDACT
    is sent, and the line is drawn as "(message removed)", dim and italic, its words gone."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags draft/message-redaction")
        try:
            bob.send("JOIN #lobby")
            bob.expect("366")
            app = ChatApp("alice", server.host, server.port, backoff=fast_backoff())
            async with app.run_test(size=SIZE) as pilot:
                await joined(pilot, app)
                await type_line(pilot, "oops, the wrong room")
                said = await asyncio.to_thread(
                    bob.expect, "PRIVMSG", lambda m: m.param(1) == "oops, the wrong room"
                )
                await until(pilot, lambda: "<alice> oops, the wrong room" in log_text(app))
                await type_line(pilot, "/redact")
                redact = await asyncio.to_thread(bob.expect, "REDACT")
                assert tuple(redact.params[:2]) == ("#lobby", said.tags["msgid"])
                await until(pilot, lambda: "(message removed)" in log_text(app))
                assert "oops" not in log_text(app)
                strip = next(s for s in app.query_one("#log", RichLog).lines if "removed" in s.text)
                styles = [seg.style for seg in strip if "removed" in seg.text]
                assert styles and all(st is not None and st.italic and st.dim for st in styles)
        finally:
            bob.close()


MIXED = "جلسه ساعت 10:30 در room B است، OK?"


def log_rows(app: ChatApp) -> list[str]:
    return [strip.text.rstrip() for strip in app.query_one("#log", RichLog).lines]


async def test_formatting_codes_keep_their_text(irc_server: ServerUnderTest) -> None:
    """Italic and strike codes used to swallow the rest of the line; now every code is styled."""
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        bob.send(
            "PRIVMSG #lobby :a \x1ditalic\x1d b \x1estrike\x1e c \x02bold\x02 \x034,1red\x03 d"
        )
        await until(pilot, lambda: "<bob> a italic b strike c bold red d" in log_text(app))
        strip = next(s for s in app.query_one("#log", RichLog).lines if "strike c" in s.text)
        styles = {seg.text.strip(): seg.style for seg in strip if seg.text.strip() and seg.style}
        assert styles["italic"].italic and styles["strike"].strike and styles["bold"].bold
        red = styles["red"]
        assert red.color is not None and red.color.triplet is not None
        assert red.color.triplet.hex == "#ff0000"
        assert red.bgcolor is not None and red.bgcolor.triplet is not None
        assert "\x1d" not in log_text(app) and "\x03" not in log_text(app)


async def test_links_are_links(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        bob.send("PRIVMSG #lobby :see https://example.org/x now")
        await until(pilot, lambda: "https://example.org/x now" in log_text(app))
        strip = next(s for s in app.query_one("#log", RichLog).lines if "example.org" in s.text)
        (link,) = [seg for seg in strip if seg.style and seg.style.link]
        assert link.text == "https://example.org/x" and link.style is not None
        assert link.style.link == "https://example.org/x"


def test_links_reach_a_real_terminal_as_osc8_hyperlinks(irc_server: ServerUnderTest) -> None:
    """The real command on a pseudo-terminal writes a link as an OSC 8 hyperlink (what
    terminals make clickable), the URL whole inside it. Not tmux: 3.3a drops OSC 8."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios

    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    command = [sys.executable, "-m", "socketchat", "chat", "--host", "127.0.0.1"]
    command += ["--port", str(irc_server.port), "--nick", "ptyuser"]
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        command,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    seen = bytearray()

    def read_until(needle: bytes, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while needle not in seen and time.monotonic() < deadline:
            if select.select([primary], [], [], 0.1)[0]:
                try:
                    seen.extend(os.read(primary, 65536))
                except OSError:
                    return False
        return needle in seen

    try:
        bob.expect("JOIN", lambda m: m.nick == "ptyuser", timeout=20)
        bob.send("PRIVMSG #lobby :see https://example.org/osc-8?a=1 now")
        assert read_until(b";https://example.org/osc-8?a=1\x1b\\"), bytes(seen[-400:])
        start = seen.index(b";https://example.org/osc-8?a=1\x1b\\")
        opened = seen.rindex(b"\x1b]8;", 0, start)
        closed = seen.index(b"\x1b]8;;\x1b\\", start)
        inside = re.sub(rb"\x1b\[[0-9;]*m", b"", bytes(seen[start:closed]))
        assert inside.endswith(b"https://example.org/osc-8?a=1"), inside  # the shown text
        assert opened < start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        os.close(primary)
        bob.close()


async def test_persian_lines_are_reordered_for_the_terminal(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        bob.send(f"PRIVMSG #lobby :{MIXED}")
        await until(pilot, lambda: "<bob> ?OK" in log_text(app))
        row = next(r for r in log_rows(app) if "<bob> ?OK" in r)
        assert re.match(r"^\d\d:\d\d <bob> \?OK", row), row  # stamp and nick stay at the left
        text = row.split("> ", 1)[1]
        assert text.index("room B") < text.index("10:30")
        assert text.endswith("\ufeea\ufeb4\ufee0\ufe9f")  # جلسه, joined forms, at the right end


async def test_long_persian_lines_wrap_before_reordering(irc_server: ServerUnderTest) -> None:
    words = [f"کلمه{n}" for n in ("یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت")]
    long_line = " ".join(words * 3)
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        bob.send(f"PRIVMSG #lobby :{long_line}")
        await until(pilot, lambda: "<bob>" in log_text(app) and "\ufeea" in log_text(app))
        rows = log_rows(app)
        first = next(i for i, r in enumerate(rows) if "<bob>" in r)
        width = app.query_one("#log", RichLog).scrollable_content_region.width
        assert all(len(r) <= width for r in rows)
        wrapped = [r for r in rows[first + 1 :] if r.startswith(" " * 12)]
        assert wrapped, rows  # the continuation rows are indented under the text column
        # the first row ends (at its right) with the first word of the message
        assert rows[first].endswith(rtl.shape(words[0])[::-1])
        # a narrower terminal: the line is wrapped anew, every row still within the log
        before = len(rows)
        await pilot.resize_terminal(70, 30)
        await until(pilot, lambda: len(log_rows(app)) > before)
        width = app.query_one("#log", RichLog).scrollable_content_region.width
        assert all(len(r) <= width for r in log_rows(app))
        first = next(i for i, r in enumerate(log_rows(app)) if "<bob>" in r)
        assert log_rows(app)[first].endswith(rtl.shape(words[0])[::-1])


async def test_zwnj_typed_is_sent_intact(irc_server: ServerUnderTest) -> None:
    """Textual's Input drops characters that are not str.isprintable(), as the ZWNJ is not."""
    word = "می\u200cخندد"
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await type_as_terminal(pilot, app, word)
        assert app.query_one("#input", Input).value == word
        preview = str(app.query_one("#preview", Static).render())
        assert app.query_one("#preview", Static).display and "\u200c" in preview
        await pilot.press("enter")
        msg = await bob.privmsg(word)
        assert "\u200c".encode() in msg.param(1).encode()


async def type_as_terminal(pilot: Pilot[int], app: ChatApp, text: str) -> None:
    """Each character as the key event Textual's terminal parser makes of it (Key(name, char)).

    Not `pilot.press`: it looks a key's character up by the key's name, and for U+200C
    ("zero_width_non_joiner") that lookup fails, so Pilot sends no character at all.
    """
    driver = app._driver
    assert driver is not None
    for char in text:
        key = char if char.isalnum() else unicodedata.name(char).lower().replace(" ", "_")
        driver.send_message(tev.Key(key.replace("-", "_"), char))
        await pilot.pause()


def tmux_session(command: str) -> tuple[Callable[..., str], Callable[[], None]]:
    tmux = require_tool("tmux")
    sock = f"socketchat-test-{uuid.uuid4().hex[:8]}"

    def tm(*args: str) -> str:
        return subprocess.run(
            [tmux, "-L", sock, *args], check=True, capture_output=True, text=True, timeout=10
        ).stdout

    tm("new-session", "-d", "-s", "c", "-x", "120", "-y", "40", command)
    return tm, lambda: subprocess.run([tmux, "-L", sock, "kill-server"], capture_output=True)


def test_persian_in_a_real_terminal(irc_server: ServerUnderTest, tmp_path: Path) -> None:
    """The real command in tmux: a link is an OSC 8 hyperlink, a mixed line is drawn in reading
    order with joined letters, and a ZWNJ typed on the keyboard reaches the server."""
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    command = (
        f"env LANG=C.UTF-8 {sys.executable} -m socketchat chat --host 127.0.0.1"
        f" --port {irc_server.port} --nick tmuxfa"
    )
    tm, stop = tmux_session(command)
    raw = tmp_path / "pane.out"  # what the program writes to the terminal, escapes and all
    try:
        tm("pipe-pane", "-o", "-t", "c", f"cat >> {raw}")
        bob.expect("JOIN", lambda m: m.nick == "tmuxfa", timeout=20)
        wait_for(lambda: ready(tm("capture-pane", "-p", "-t", "c"), "tmuxfa"), timeout=10)
        bob.send("PRIVMSG #lobby :docs at https://example.org/docs today")
        # the link is an OSC 8 hyperlink (terminals that support them make it clickable)
        wait_for(lambda: raw.exists() and b"\x1b]8;" in raw.read_bytes(), timeout=10)
        osc8 = rb"\x1b\]8;[^;]*;https://example\.org/docs\x1b\\(\x1b\[[0-9;]*m)*https://example"
        assert re.search(osc8, raw.read_bytes())
        bob.send(f"PRIVMSG #lobby :{MIXED}")
        bob.send("PRIVMSG #lobby :\x02bold\x02 \x1ditalic\x1d after")
        wait_for(lambda: "<bob> bold italic after" in tm("capture-pane", "-p", "-t", "c"))
        screen = tm("capture-pane", "-p", "-t", "c")
        row = next(r for r in screen.splitlines() if "<bob> ?OK" in r)
        assert row.split("│")[0].rstrip().endswith("\ufeea\ufeb4\ufee0\ufe9f"), row
        tm("send-keys", "-t", "c", "-l", "می\u200cخندد")
        tm("send-keys", "-t", "c", "Enter")
        msg = bob.expect("PRIVMSG", lambda m: m.nick == "tmuxfa", timeout=10)
        assert msg.param(1) == "می\u200cخندد"
    finally:
        stop()
        bob.close()


async def test_a_taken_nick_is_asked_again_with_the_reason(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob:
        app = make_app(irc_server, nick="bob")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.screen.query("#nick-error"))
            error = str(app.screen.query_one("#nick-error").render())
            assert "bob is taken" in error, error
            assert "Persian" in str(app.screen.query_one("#nick-rules").render())
            box = app.screen.query_one("#nick-input", Input)
            assert box.value == "bob"
            box.value = ""
            await type_line(pilot, "9lives")  # checked here first: not a nick
            assert "Not a nickname" in str(app.screen.query_one("#nick-error").render())
            box.value = "robin"
            await pilot.press("enter")
            await until(pilot, lambda: app.core is not None and app.core.state == "connected")
            assert app.core is not None and app.core.nick == "robin"  # never bob_
            await bob.expect("JOIN", lambda m: m.nick == "robin")


async def test_joins_and_parts_fold_into_one_line(irc_server: ServerUnderTest) -> None:
    async with (
        alice_in_lobby(irc_server) as (app, pilot),
        peer(irc_server.port, "bob"),
        peer(irc_server.port, "carol") as carol,
    ):
        await until(pilot, lambda: "carol" in members_text(app))
        carol.send("PART #lobby")
        await until(pilot, lambda: "bob, carol joined · carol left" in log_text(app))
        assert "carol joined" not in log_text(app).replace("bob, carol joined", "")
        await pilot.press("ctrl+o")  # one by one again
        await until(
            pilot, lambda: "carol left" in log_text(app) and "bob, carol" not in log_text(app)
        )
        await pilot.press("ctrl+o")
        await until(pilot, lambda: "bob, carol joined" in log_text(app))


async def test_the_unread_marker_and_the_persian_interface(irc_server: ServerUnderTest) -> None:
    async with peer(irc_server.port, "bob") as bob, alice_in_lobby(irc_server) as (app, pilot):
        await until(pilot, lambda: "bob" in members_text(app))
        bob.send("PRIVMSG #lobby :seen before")
        await until(pilot, lambda: "seen before" in log_text(app))
        await pilot.press("ctrl+p")  # to the status tab
        await until(pilot, lambda: app.shown == "*status*")
        bob.send("PRIVMSG #lobby :سلام، خبر تازه", "PRIVMSG #lobby :second news")
        await until(pilot, lambda: "#lobby (2)" in tab_labels(app))
        await pilot.press("ctrl+n")
        await until(pilot, lambda: "new since you last read" in log_text(app))
        rows = log_text(app).splitlines()
        marker = next(i for i, r in enumerate(rows) if "new since you last read" in r)
        assert "seen before" in rows[marker - 1] and "\ufee1\ufefc\ufeb3" in rows[marker + 1]
        assert "second news" in rows[marker + 2]
        await type_line(pilot, "/lang fa")
        await until(pilot, lambda: rtl.display_text("وضعیت") in tab_labels(app))
        assert app.has_class("-rtl")
        assert rtl.display_text("2 نفر اینجا") in members_text(app)
        await type_line(pilot, "/theme light")
        await until(pilot, lambda: app.theme == "textual-light")
        await type_line(pilot, "/lang en")
        await until(pilot, lambda: "status" in tab_labels(app))


async def test_typing_reply_reaction_multiline_and_the_channel_list() -> None:
    """Against our server (message-tags, draft/multiline, LIST): "bob is typing…", a reply
    quoted, a reaction under the line, a pasted block sent as one message, /list browsable."""
    from textual.widgets import DataTable

    from socketchat.client.tui.app import ChannelListScreen, ChatInput
    from tests.support.server import running_server

    with running_server() as server:
        bob_client = await asyncio.to_thread(IRCClient, server.port)
        await asyncio.to_thread(bob_client.register, "bob", "message-tags draft/multiline batch")
        bob = AsyncPeer(bob_client)
        bob.send("JOIN #lobby", "JOIN #فارسی", "TOPIC #فارسی :گپ فارسی about Python")
        await bob.expect("366", lambda m: m.param(1) == "#فارسی")
        try:
            app = ChatApp("alice", server.host, server.port, backoff=fast_backoff())
            async with app.run_test(size=SIZE) as pilot:
                await joined(pilot, app)
                await until(pilot, lambda: "bob" in members_text(app))
                bob.send("@+typing=active TAGMSG #lobby")
                typing = app.query_one("#typing", Static)
                await until(pilot, lambda: "bob is typing…" in str(typing.render()))
                bob.send("PRIVMSG #lobby :سلام alice, first line")
                await until(pilot, lambda: "first line" in log_text(app))
                assert not typing.display  # his message ended it
                assert app.core is not None
                said = next(ln for ln in app.core.lines("#lobby") if "first line" in ln.text)
                assert said.msgid
                bob.send(f"@+draft/reply={said.msgid} PRIVMSG #lobby :a reply to it")
                bob.send(f"@+draft/react=👍;+draft/reply={said.msgid} TAGMSG #lobby")
                await until(pilot, lambda: "👍 1" in log_text(app))
                rows = log_text(app).splitlines()
                quote = next(i for i, r in enumerate(rows) if "↪ bob:" in r)
                assert "first line" in rows[quote] and "a reply to it" in rows[quote + 1]

                box = app.query_one("#input", ChatInput)
                box.focus()
                await pilot.pause()
                box.post_message(tev.Paste("def hello():\n    print('سلام')\n"))
                await until(pilot, lambda: "⏎" in box.value)
                await pilot.press("enter")
                opened = await bob.expect("BATCH", lambda m: m.param(1) == "draft/multiline")
                assert opened.nick == "alice"
                first = await bob.privmsg("def hello():")
                second = await bob.privmsg("    print('سلام')")
                assert first.tags.get("batch") == second.tags.get("batch")
                await until(pilot, lambda: "print('" in log_text(app))
                rows = log_text(app).splitlines()
                mine = next(i for i, r in enumerate(rows) if "<alice> def hello():" in r)
                assert "print('" in rows[mine + 1]  # one message, two rows

                await type_line(pilot, "/list")
                await until(pilot, lambda: isinstance(app.screen, ChannelListScreen))
                table = app.screen.query_one("#channels", DataTable)
                await until(pilot, lambda: table.row_count >= 2)
                names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
                assert rtl.display_text("#فارسی") in names
                filter_box = app.screen.query_one("#list-filter", Input)
                filter_box.value = "python"
                await until(pilot, lambda: table.row_count == 1)
                table.focus()
                await pilot.press("enter")
                await until(pilot, lambda: app.shown == "#فارسی")
        finally:
            bob.close()


def test_persian_interface_and_settings_in_a_real_terminal(
    irc_server: ServerUnderTest, private_settings: Path
) -> None:
    """The real command in tmux twice: first with --lang fa --theme light (the status line in
    Persian, shaped, right-aligned), /query opens a private tab, /exit saves the settings;
    then with no options at all: the nick, language and conversations come back from the file."""
    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    base = (
        f"env LANG=C.UTF-8 SOCKETCHAT_CONFIG={private_settings} {sys.executable} -m socketchat"
        f" chat --host 127.0.0.1 --port {irc_server.port}"
    )
    connected = rtl.display_text("وصل")
    try:
        tm, stop = tmux_session(base + " --nick tmuxfa --lang fa --theme light")
        try:
            bob.expect("JOIN", lambda m: m.nick == "tmuxfa", timeout=20)
            wait_for(lambda: connected in tm("capture-pane", "-p", "-t", "c"), timeout=10)
            status = next(  # the bottom row (the log says "connected to …" too)
                r
                for r in reversed(tm("capture-pane", "-p", "-t", "c").splitlines())
                if connected in r
            )
            assert status.rstrip().endswith(connected), status  # right-aligned in Persian
            tm("send-keys", "-t", "c", "-l", "/query bob")
            tm("send-keys", "-t", "c", "Enter")
            wait_for(lambda: "bob" in tm("capture-pane", "-p", "-t", "c").splitlines()[0])
            tm("send-keys", "-t", "c", "-l", "/exit")
            tm("send-keys", "-t", "c", "Enter")
            bob.expect("QUIT", lambda m: m.nick == "tmuxfa", timeout=10)
            wait_for(private_settings.exists, timeout=10)
        finally:
            stop()
        saved = json.loads(private_settings.read_text(encoding="utf-8"))
        assert (saved["nick"], saved["language"], saved["theme"]) == ("tmuxfa", "fa", "light")
        assert saved["channels"] == ["#lobby"] and saved["queries"] == ["bob"]
        assert saved["port"] == irc_server.port

        tm, stop = tmux_session(base)  # no --nick, no --lang: from the file
        try:
            bob.expect("JOIN", lambda m: m.nick == "tmuxfa", timeout=20)
            wait_for(lambda: connected in tm("capture-pane", "-p", "-t", "c"), timeout=10)
            tabs = tm("capture-pane", "-p", "-t", "c").splitlines()[0]
            assert rtl.display_text("وضعیت") in tabs and "bob" in tabs, tabs
        finally:
            stop()
    finally:
        bob.close()


async def test_unread_count_and_marker_follow_the_other_device(tmp_path: Path) -> None:
    """One account on two devices: the phone reads #lobby up to bob's second line (MARKREAD);
    the terminal's count drops from 3 to 1 and its marker goes above the third line."""
    from tests.server.test_accounts_sockets import start_sasl
    from tests.support.server import running_server

    with running_server(data_dir=str(tmp_path / "data")) as server:
        signup = IRCClient(server.port)
        signup.send("CAP LS 302", "CAP REQ :draft/account-registration")
        signup.send("NICK alice", "USER a 0 * :a", "REGISTER * * correct-horse-battery")
        signup.expect("900")
        signup.send("QUIT")
        signup.close()
        app = ChatApp(
            "alice",
            server.host,
            server.port,
            backoff=fast_backoff(),
            account="alice",
            account_password="correct-horse-battery",
        )
        phone = IRCClient(server.port)
        bob = AsyncPeer(await asyncio.to_thread(IRCClient(server.port).register, "bob"))
        bob.send("JOIN #lobby")
        await bob.expect("366")
        try:
            async with app.run_test(size=SIZE) as pilot:
                await joined(pilot, app)
                start_sasl(phone, "alicephone", "alice", "correct-horse-battery")
                phone.expect("903")
                phone.send("CAP REQ :draft/read-marker server-time", "CAP END", "JOIN #lobby")
                phone.expect("366")
                await pilot.press("ctrl+p")  # the terminal looks at its status tab
                await until(pilot, lambda: app.shown == "*status*")
                for text in ("one", "two", "سه"):  # a few ms apart: distinct server times
                    bob.send(f"PRIVMSG #lobby :{text}")
                    await pilot.pause(0.05)
                await until(pilot, lambda: "#lobby (3)" in tab_labels(app))
                two = await asyncio.to_thread(
                    phone.expect, "PRIVMSG", lambda m: m.param(1) == "two"
                )
                phone.send(f"MARKREAD #lobby timestamp={two.tags['time']}")  # read on the phone
                await until(pilot, lambda: "#lobby (1)" in tab_labels(app))
                await pilot.press("ctrl+n")
                await until(pilot, lambda: "new since you last read" in log_text(app))
                rows = log_text(app).splitlines()
                at = next(i for i, r in enumerate(rows) if "new since you last read" in r)
                assert "<bob> two" in rows[at - 1] and rtl.display_text("سه") in rows[at + 1]
        finally:
            phone.close()
            bob.close()


async def test_topic_modes_and_members_are_fresh_after_a_reconnect(
    irc_server: ServerUnderTest,
) -> None:
    """The server restarts (and forgets #lobby): after the reconnect the topic line drops the
    old topic, shows the modes asked again, and the member list is who is there now."""
    async with alice_in_lobby(irc_server) as (app, pilot):
        topic = app.query_one("#topic", Static)
        async with peer(irc_server.port, "bob"):
            await until(pilot, lambda: "bob" in members_text(app))
            await type_line(pilot, "/topic the old topic")  # alice is the op (+t)
            await until(pilot, lambda: "old topic" in str(topic.render()))
        await until(pilot, lambda: "bob" not in members_text(app))
        await asyncio.to_thread(irc_server.restart)  # the reconnect may be over at once
        await until(pilot, lambda: "old topic" not in str(topic.render()), timeout=20)
        await until(pilot, lambda: app.core is not None and app.core.state == "connected")
        if irc_server.kind == "socketchat":  # +nt on a new channel (ngircd sets none)
            await until(pilot, lambda: "[+nt]" in str(topic.render()))  # MODE asked again
        await until(pilot, lambda: "1 here" in members_text(app) and "alice" in members_text(app))


def test_ctrl_j_in_a_real_terminal_makes_one_multiline_message(tmp_path: Path) -> None:
    """In tmux: Ctrl+J puts a line break in the message (terminals send Shift+Enter and
    Alt+Enter as a plain Enter, unless they speak the kitty keyboard protocol); Enter sends the
    lines as one draft/multiline batch."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags draft/multiline batch")
        bob.send("JOIN #lobby")
        bob.expect("366")
        command = (
            f"env LANG=C.UTF-8 SOCKETCHAT_CONFIG={tmp_path}/c.json {sys.executable} -m socketchat"
            f" chat --host 127.0.0.1 --port {server.port} --nick tmuxml"
        )
        tm, stop = tmux_session(command)
        try:
            bob.expect("JOIN", lambda m: m.nick == "tmuxml", timeout=20)
            wait_for(lambda: ready(tm("capture-pane", "-p", "-t", "c"), "tmuxml"), timeout=10)
            tm("send-keys", "-t", "c", "-l", "first")
            tm("send-keys", "-t", "c", "C-j")
            tm("send-keys", "-t", "c", "-l", "second")
            tm("send-keys", "-t", "c", "C-j")
            tm("send-keys", "-t", "c", "-l", "سوم")
            wait_for(lambda: "first⏎second⏎" in tm("capture-pane", "-p", "-t", "c"), timeout=10)
            tm("send-keys", "-t", "c", "Enter")
            bob.expect("BATCH", lambda m: m.nick == "tmuxml" and m.param(1) == "draft/multiline")
            said = [bob.expect("PRIVMSG", lambda m: m.nick == "tmuxml").param(1) for _ in range(3)]
            assert said == ["first", "second", "سوم"]
        finally:
            stop()
            bob.close()


def test_alt_up_chooses_a_message_to_reply_and_react_to_in_a_real_terminal(tmp_path: Path) -> None:
    """In tmux, in Persian: Alt+Up chooses bob's message (marked ▶, named above the input),
    Enter sends what is typed as a reply to it (+draft/reply), ``/react 👍`` reacts to the one
    chosen, or to the newest one when none is; Escape lets it go."""
    from tests.support.server import running_server

    with running_server() as server:
        bob = IRCClient(server.port).register("bob", "message-tags echo-message")
        bob.send("JOIN #lobby")
        bob.expect("366")
        command = (
            f"env LANG=C.UTF-8 SOCKETCHAT_CONFIG={tmp_path}/c.json {sys.executable} -m socketchat"
            f" chat --host 127.0.0.1 --port {server.port} --nick tmuxre --lang fa"
        )
        tm, stop = tmux_session(command)

        def pane() -> str:
            return tm("capture-pane", "-p", "-t", "c")

        try:
            bob.expect("JOIN", lambda m: m.nick == "tmuxre", timeout=20)
            bob.send("PRIVMSG #lobby :lunch at one?")
            first = bob.expect("PRIVMSG", lambda m: m.param(1) == "lunch at one?")
            bob.send("PRIVMSG #lobby :or two")
            second = bob.expect("PRIVMSG", lambda m: m.param(1) == "or two")
            wait_for(lambda: "or two" in pane(), timeout=10)
            tm("send-keys", "-t", "c", "M-Up")
            tm("send-keys", "-t", "c", "M-Up")
            wait_for(lambda: any("▶" in r and "lunch at one?" in r for r in pane().splitlines()))
            assert pane().count("lunch at one?") == 2, pane()  # the line, and the bar naming it
            tm("send-keys", "-t", "c", "-l", "باشه")
            tm("send-keys", "-t", "c", "Enter")
            reply = bob.expect("PRIVMSG", lambda m: m.nick == "tmuxre", timeout=10)
            assert reply.param(1) == "باشه"
            assert reply.tags.get("+draft/reply") == first.tags["msgid"]
            wait_for(lambda: "▶" not in pane() and "↪ bob: lunch at one?" in pane())
            tm("send-keys", "-t", "c", "-l", "/react 👍")  # none chosen: bob's newest
            tm("send-keys", "-t", "c", "Enter")
            react = bob.expect("TAGMSG", lambda m: m.nick == "tmuxre", timeout=10)
            assert react.tags.get("+draft/react") == "👍"
            assert react.tags.get("+draft/reply") == second.tags["msgid"]
            wait_for(lambda: "👍 1" in pane())
            for key in ("M-Up", "M-Up", "M-Up", "Escape"):  # past our reply, then let go
                tm("send-keys", "-t", "c", key)
            wait_for(lambda: "▶" not in pane())
        finally:
            stop()
            bob.close()


async def test_a_burst_of_joins_and_quits_is_one_line(irc_server: ServerUnderTest) -> None:
    """Eight people come and go at once (a netsplit's worth): one summary row, each name once,
    drawn again once per burst rather than once per line."""
    async with alice_in_lobby(irc_server) as (app, pilot):
        peers = [await AsyncPeer.connect(irc_server.port, f"p{n}") for n in range(8)]
        for one in peers:
            one.send("QUIT :split")
        await until(pilot, lambda: "p0, p1, p2, p3 and 4 others quit" in log_text(app))
        rows = [r for r in log_text(app).splitlines() if "joined" in r or "quit" in r]
        assert rows[-1].endswith(
            "p0, p1, p2, p3 and 4 others joined · p0, p1, p2, p3 and 4 others quit"
        )
        assert sum("others quit" in r for r in rows) == 1
        for one in peers:
            one.close()


def test_the_nick_prompt_wraps_persian_before_reordering() -> None:
    """A long Persian reason in the nick prompt is wrapped to the box first and each row then
    reordered: reordered first, the box would cut off the sentence's beginning (its right end)."""
    from rich.cells import cell_len

    from socketchat.client import i18n
    from socketchat.client.events import NickRefused
    from socketchat.client.nickrules import refusal_text
    from socketchat.client.tui.app import NickScreen

    i18n.set_language("fa")
    try:
        text = refusal_text(NickRefused("مریم", "Nickname is already in use", taken=True))
        rows = NickScreen("x").paragraph(text).split("\n")
        assert len(rows) >= 2 and all(cell_len(r) <= NickScreen.WIDTH for r in rows)
        assert text.startswith("مریم")  # the sentence starts with the nick…
        assert rtl.display_text("مریم") in rows[0]  # …and so does the first row, at its right
        assert rows[0].rstrip().endswith(rtl.display_text("مریم"))
    finally:
        i18n.set_language("en")
