"""A Persian nick from the browser's login form (headless Chromium) on the real server: the form
lets it through, the server accepts it, and a TCP client talks with it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.browser import Pages


def test_a_persian_nick_logs_in_and_chats(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        kaveh = IRCClient(server.port).register("کاوه")
        kaveh.send("JOIN #lobby")
        kaveh.expect("366")
        mahsa = pages.open(server.web_port).login("مهسا")
        assert kaveh.expect("JOIN").nick == "مهسا"
        mahsa.type("سلام کاوه")
        said = kaveh.expect("PRIVMSG")
        assert said.nick == "مهسا" and said.params == ("#lobby", "سلام کاوه")
        kaveh.send("PRIVMSG #lobby :سلام مهسا")
        expect(mahsa.log_line("سلام مهسا")).to_be_visible()
        kaveh.close()
