"""The web client in a real browser (headless Chromium via Playwright) against the real server."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.browser import Pages


def test_two_pages_and_a_tcp_client_chat(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        alice = pages.open(server.web_port).login("alice")
        bob = pages.open(server.web_port).login("bob")
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        expect(alice.page.locator("#user-list .member-nick")).to_have_text(
            ["alice", "bob", "carol"], timeout=5000
        )

        alice.type("hello from alice")
        expect(bob.log_line("hello from alice")).to_be_visible()
        said = carol.expect("PRIVMSG")
        assert said.nick == "alice" and said.params == ("#lobby", "hello from alice")
        time_text = bob.log_line("hello from alice").locator("time").inner_text()
        assert re.fullmatch(r"\d\d:\d\d", time_text)

        carol.send("PRIVMSG #lobby :<b>hi</b> & welcome")
        for page in (alice, bob):
            line = page.log_line("welcome")
            expect(line).to_be_visible()
            assert line.locator(".text").inner_text() == "<b>hi</b> & welcome"  # shown, not parsed
            assert line.locator("b").count() == 0

        # /pm reaches only its target, in a tab with an unread count
        bob.type("/pm alice a secret for alice")
        expect(bob.tab("alice")).to_have_attribute("aria-selected", "true")
        expect(alice.tab("bob").locator(".badge")).to_have_text("1")
        expect(alice.log_line("a secret")).to_have_count(0)  # alice still looks at #lobby
        alice.tab("bob").click()
        expect(alice.log_line("a secret for alice")).to_be_visible()
        expect(alice.tab("bob").locator(".badge")).to_have_count(0)
        assert not [m for m in carol.collect(0.5) if "secret" in m.param(1)]

        # carol quits: the user lists update live
        carol.send("QUIT :bye")
        bob.tab("#lobby").click()
        expect(bob.page.locator("#user-list .member-nick")).to_have_text(["alice", "bob"])
        expect(bob.log_line("carol quit")).to_be_visible()


def test_pm_by_ip_and_who(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        alice = pages.open(server.web_port).login("alice")
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        expect(alice.page.locator("#user-list .member-nick")).to_have_text(["alice", "carol"])
        alice.type("/pm 127.0.0.1 hi by address")  # only carol (besides alice) is on 127.0.0.1
        got = carol.expect("PRIVMSG")
        assert got.nick == "alice" and got.params == ("carol", "hi by address")
        expect(alice.tab("carol")).to_have_attribute("aria-selected", "true")

        dave = IRCClient(server.port).register("dave")
        alice.type("/pm 127.0.0.1 who gets this?")
        expect(alice.log_line("Several people are connected from 127.0.0.1")).to_be_visible()
        expect(alice.log_line("Several people")).to_contain_text("carol")
        expect(alice.log_line("Several people")).to_contain_text("dave")
        assert not [m for m in carol.collect(0.5) + dave.collect(0.1) if m.command == "PRIVMSG"]

        alice.tab("#lobby").click()
        alice.type("/who")
        expect(alice.log_line("WHO #lobby: 2 user(s)")).to_be_visible()


def test_help_unknown_command_and_exit(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        alice = pages.open(server.web_port).login("alice")
        alice.type("/help")
        for command in (
            "/pm",
            "/who",
            "/exit",
            "/msg",
            "/query",
            "/join",
            "/part",
            "/nick",
            "/me",
            "/topic",
            "/away",
            "/quit",
            "/help",
        ):
            expect(
                alice.page.locator(
                    "#log .line", has_text=re.compile(r"^\d\d:\d\d\s*" + re.escape(command) + r"\b")
                )
            ).not_to_have_count(0)
        alice.type("/frobnicate now")
        expect(alice.log_line("Unknown command /frobnicate")).to_be_visible()

        alice.type("/me waves")
        assert carol.expect("PRIVMSG").param(1) == "\x01ACTION waves\x01"
        expect(alice.log_line("* alice waves")).to_be_visible()

        alice.type("/exit")
        assert carol.expect("QUIT").nick == "alice"
        expect(alice.page.locator("#left")).to_contain_text("You left the chat")
        expect(alice.page.locator("#reconnect")).to_be_focused()
        time.sleep(1.5)  # no automatic reconnect after /exit
        assert not [m for m in carol.collect(0.2) if m.command == "JOIN"]
        alice.page.keyboard.press("Enter")  # the Reconnect button has the focus
        alice.wait_connected()
        assert carol.expect("JOIN").nick == "alice"


def test_reconnects_after_server_restart_and_sends_the_queue(pages: Pages) -> None:
    port, web_port = free_port(), free_port()
    with running_server(port=port, web_port=web_port) as server:
        alice = pages.open(server.web_port).login("alice")
        alice.type("/topic Before the restart")
        expect(alice.page.locator("#topic")).to_have_text("Before the restart")
        alice.type("/mode #lobby +m")
        expect(alice.page.locator("#modes")).to_contain_text("m")
    expect(alice.page.locator("#status")).to_contain_text("reconnecting", timeout=10_000)
    alice.type("typed while offline")
    expect(alice.log_line("(queued until reconnected) typed while offline")).to_be_visible()
    expect(alice.page.locator("#status")).to_contain_text("1 queued")
    with running_server(port=port, web_port=web_port) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        alice.wait_connected(timeout=40_000)
        assert carol.expect("JOIN", lambda m: m.nick == "alice", timeout=10).param(0) == "#lobby"
        got = carol.expect("PRIVMSG", timeout=10)
        assert got.nick == "alice" and got.param(1) == "typed while offline"
        members = alice.page.locator("#user-list .member")
        expect(members).to_have_text(["@carol", "alice"])  # carol joined first: operator, on top
        expect(alice.page.locator("#status")).not_to_contain_text("queued")
        # the restarted server forgot the topic and the modes: so does the page
        expect(alice.page.locator("#topic")).to_have_text("#lobby")
        expect(alice.page.locator("#modes")).not_to_contain_text("m")


def test_nick_form_validates_and_remembers(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        page = pages.open(server.web_port)
        page.page.goto(page.url)
        expect(page.page.locator("#nick")).to_be_focused()
        page.page.fill("#nick", "1bad nick")
        page.page.press("#nick", "Enter")
        expect(page.page.locator("#nick-error")).to_contain_text("A nick starts with")
        expect(page.page.locator("#nick")).to_have_attribute("aria-invalid", "true")
        assert page.page.locator("#chat").is_hidden()
        page.page.fill("#nick", "zoe")
        page.page.press("#nick", "Enter")
        page.wait_connected()
        page.page.reload()
        expect(page.page.locator("#nick")).to_have_value("zoe")


def test_keyboard_only_tab_completion(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        alice = pages.open(server.web_port).login("alice")
        expect(alice.page.locator("#input")).to_be_focused()
        expect(alice.page.locator("#user-list .member-nick")).to_have_text(["carol", "alice"])
        alice.page.keyboard.type("ca")
        alice.page.keyboard.press("Tab")
        expect(alice.page.locator("#input")).to_have_value("carol: ")
        alice.page.keyboard.type("hi there")
        alice.page.keyboard.press("Enter")
        assert carol.expect("PRIVMSG").param(1) == "carol: hi there"
        expect(alice.page.locator("#input")).to_have_value("")
        # an empty box: Tab moves the focus on (to the Send button), it does not get stuck
        alice.page.keyboard.press("Tab")
        expect(alice.page.locator("#composer button")).to_be_focused()


def test_up_and_down_recall_what_was_typed(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        alice = pages.open(server.web_port).login("alice")
        box = alice.page.locator("#input")
        expect(box).to_be_focused()
        for text in ("first line", "second line"):
            alice.page.keyboard.type(text)
            alice.page.keyboard.press("Enter")
            assert carol.expect("PRIVMSG").param(1) == text
        alice.page.keyboard.type("draft")
        alice.page.keyboard.press("ArrowUp")
        expect(box).to_have_value("second line")
        alice.page.keyboard.press("ArrowUp")
        expect(box).to_have_value("first line")
        alice.page.keyboard.press("ArrowDown")
        alice.page.keyboard.press("ArrowDown")
        expect(box).to_have_value("draft")  # what was being typed comes back
        alice.page.keyboard.press("ArrowUp")
        alice.page.keyboard.press("Enter")
        assert carol.expect("PRIVMSG").param(1) == "second line"


def test_private_tabs_come_back_after_a_reload(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        bob = IRCClient(server.port).register("bob")
        alice = pages.open(server.web_port).login("alice")
        alice.type("/pm bob are you there?")
        assert bob.expect("PRIVMSG").param(1) == "are you there?"
        bob.send("PRIVMSG alice :yes, here")
        expect(alice.log_line("yes, here")).to_be_visible()
        alice.page.reload()
        alice.submit_login("alice")
        alice.wait_connected()
        expect(alice.tab("bob")).to_be_visible()  # restored, not focused
        expect(alice.tab("#lobby")).to_have_attribute("aria-selected", "true")
        alice.tab("bob").click()
        expect(alice.tab("bob")).to_have_attribute("aria-selected", "true")
        # (its lines come back from the server's history where it keeps private history for
        # the nick: tests/web/js/restore.test.mjs checks what is asked for)
        alice.type("still there?")
        said = bob.expect("PRIVMSG")
        assert (said.nick, said.params) == ("alice", ("bob", "still there?"))
        alice.type("/close")
        expect(alice.tab("bob")).to_have_count(0)
        alice.page.reload()
        alice.submit_login("alice")
        alice.wait_connected()
        expect(alice.tab("#lobby")).to_have_attribute("aria-selected", "true")
        expect(alice.tab("bob")).to_have_count(0)  # closed stays closed


def test_many_nick_colours_one_per_nick_on_light_and_dark(pages: Pages) -> None:
    nicks = ["bob", "carol", "dave", "erin", "frank"]
    with running_server(web_port=free_port()) as server:
        peers = [IRCClient(server.port).register(n) for n in nicks]
        for peer in peers:
            peer.send("JOIN #lobby")
            peer.expect("366")
        colours = {}
        for scheme in ("light", "dark"):
            page = pages.open(server.web_port, color_scheme=scheme).login(f"me{scheme}")
            expect(page.page.locator("#user-list .member-nick", has_text="frank")).to_be_visible()
            peers[0].send("PRIVMSG #lobby :hello " + scheme)
            expect(page.log_line("hello " + scheme)).to_be_visible()
            colours[scheme] = page.page.evaluate(
                """() => Object.fromEntries(
                    [...document.querySelectorAll("#user-list .member-nick")]
                        .map((e) => [e.textContent, getComputedStyle(e).color]))"""
            )
            said = page.log_line("hello " + scheme).locator(".nick")
            assert said.evaluate("e => getComputedStyle(e).color") == colours[scheme]["bob"]
        assert len({colours["light"][n] for n in nicks}) >= 4  # not two colours for everyone
        assert all(colours["light"][n] != colours["dark"][n] for n in nicks)  # one set per theme


def test_runs_of_joins_and_parts_are_one_line(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        alice = pages.open(server.web_port).login("alice")
        peers = {}
        for nick in ("bob", "carol", "dave"):
            peers[nick] = IRCClient(server.port).register(nick)
            peers[nick].send("JOIN #lobby")
            peers[nick].expect("366")
        peers["dave"].send("PART #lobby :later")
        summary = alice.page.locator("#log .run-summary")
        expect(summary).to_have_text("bob, carol, dave joined · dave left")
        expect(summary).to_have_count(1)
        expect(alice.log_line(re.compile(r"carol \(.*\) joined"))).to_be_hidden()
        summary.click()
        expect(alice.log_line(re.compile(r"carol \(.*\) joined"))).to_be_visible()
        expect(alice.log_line("dave left (later)")).to_be_visible()
        summary.click()
        expect(alice.log_line(re.compile(r"carol \(.*\) joined"))).to_be_hidden()
        peers["carol"].send("PRIVMSG #lobby :hello")
        expect(alice.log_line("hello")).to_be_visible()
        erin = IRCClient(server.port).register("erin")
        erin.send("JOIN #lobby")
        expect(
            alice.log_line(re.compile(r"erin \(.*\) joined"))
        ).to_be_visible()  # alone: not folded
        expect(summary).to_have_count(1)
        alice.tab("#lobby").click()
        alice.type("/join #other")
        expect(alice.tab("#other")).to_have_attribute("aria-selected", "true")
        alice.tab("#lobby").click()  # drawn again from the buffer: folded the same way
        expect(alice.page.locator("#log .run-summary")).to_have_text(
            "bob, carol, dave joined · dave left"
        )


def test_a_taken_nick_is_asked_again_not_renamed(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        holder = IRCClient(server.port).register("alice")
        page = pages.open(server.web_port)
        page.submit_login("alice")
        error = page.page.locator("#nick-error")
        expect(error).to_contain_text("alice")
        expect(page.page.locator("#nick")).to_be_focused()
        expect(page.page.locator("#nick")).to_have_attribute("aria-invalid", "true")
        page.submit_login("alicia")
        page.wait_connected()
        expect(page.page.locator("#status")).to_contain_text("alicia")
        holder.send("WHOIS alice_")
        assert holder.expect("401").param(1) == "alice_"  # nobody was renamed behind our back


def test_phone_screen_collapses_the_user_list(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        phone = pages.open(
            server.web_port, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
        ).login("phoney")
        assert phone.page.locator("#users").is_hidden()
        toggle = phone.page.locator("#users-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_text("People (1)")
        toggle.click()
        expect(phone.page.locator("#users")).to_be_visible()
        expect(phone.page.locator("#user-list .member-nick")).to_have_text(["phoney"])
        phone.page.locator("#users-close").click()
        expect(phone.page.locator("#users")).to_be_hidden()
        expect(toggle).to_be_focused()
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375  # nothing sticks out sideways


def test_history_is_shown_when_the_server_offers_it(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        carol = IRCClient(server.port)
        carol.send("CAP LS 302")
        offered = carol.expect("CAP").params[-1].split()
        carol.send("CAP END")
        carol.register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        carol.send("PRIVMSG #lobby :said before alice came")
        time.sleep(0.3)
        alice = pages.open(server.web_port).login("alice")
        line = alice.log_line("said before alice came")
        if "draft/chathistory" not in offered:
            expect(alice.log_line("You joined #lobby")).to_be_visible()
            expect(line).to_have_count(0)
            pytest.skip("this server does not offer draft/chathistory (yet)")
        expect(line).to_have_count(1)  # once, even if the server also replays on join
        expect(line).to_have_class(re.compile(r"\bhistory\b"))
        assert re.fullmatch(r"\d\d:\d\d", line.locator("time").inner_text())
        carol.send("PRIVMSG #lobby :live now")
        expect(alice.log_line("live now")).not_to_have_class(re.compile(r"\bhistory\b"))
