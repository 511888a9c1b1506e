"""/search in the browser, against the real server: the results tab, Persian words found as
typed, and a click on a result that jumps to it in its conversation, loading the lines around
it (CHATHISTORY AROUND) when it is older than what the tab shows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import running_server
from tests.web.browser import Pages

NO_FLOOD = {"flood_rate": 0.0, "flood_burst": 0}


def test_search_results_tab_and_jump_to_an_old_line(pages: Pages) -> None:
    with running_server(limits=NO_FLOOD, web_port=free_port()) as server:
        carol = IRCClient(server.port).register("carol")
        carol.send("JOIN #lobby")
        carol.expect("366")
        carol.send("PRIVMSG #lobby :the needle is in the haystack")
        carol.send("PRIVMSG #lobby :فردا می‌روم کتابخانه")
        # more lines than the page loads on join (50): the needle is not in its scrollback
        carol.send(*(f"PRIVMSG #lobby :filler {i}" for i in range(80)))
        carol.send("PING sync")
        carol.expect("PONG")
        alice = pages.open(server.web_port).login("alice")
        expect(alice.log_line("filler 79")).to_be_visible()
        expect(alice.log_line("the needle")).to_have_count(0)

        alice.type("/search میروم")  # typed without the zero-width non-joiner
        results = alice.page.locator("#log .line.result")
        expect(alice.tab("*search*")).to_have_attribute("aria-selected", "true")
        expect(results).to_have_count(1)
        expect(results.first).to_contain_text("فردا می‌روم کتابخانه")
        expect(results.first.locator(".result-where")).to_have_text("#lobby")

        alice.type("/search needle")
        expect(results).to_have_count(1)
        expect(results.first).to_contain_text("the needle is in the haystack")
        expect(alice.page.locator("#topic")).to_contain_text("Search results")
        results.first.click()
        expect(alice.tab("#lobby")).to_have_attribute("aria-selected", "true")
        jumped = alice.page.locator("#log .line.jumped")
        expect(jumped).to_have_count(1)
        expect(jumped).to_contain_text("the needle is in the haystack")
        expect(jumped).to_be_in_viewport()
        # the context came with it, in order, and the live end of the tab is still there (the
        # context arrives after the jumped line is shown: wait for it before reading the log)
        expect(alice.log_line("filler 0")).to_be_visible()
        texts = alice.page.locator("#log .line.kind-message .text").all_inner_texts()
        needle = texts.index("the needle is in the haystack")
        assert texts[needle + 1] == "فردا می‌روم کتابخانه"
        assert texts[needle + 2 : needle + 4] == ["filler 0", "filler 1"]
        assert texts[-1] == "filler 79"

        alice.type("/search nothing at all here")
        expect(alice.tab("*search*")).to_have_attribute("aria-selected", "true")
        expect(results).to_have_count(0)
        expect(alice.log_line("0 results")).to_be_visible()
    assert pages.close() == []
