"""/search in the desktop window, on Xvfb against our server (ngircd has no soju.im/search): the
results come in their own tab, focused, each with its conversation; a new search replaces
them."""

from __future__ import annotations

from collections.abc import Callable

from tests.client.gui.conftest import Gui
from tests.support.irc import IRCClient
from tests.support.server import running_server


def test_search_results_in_their_own_tab(windows: Callable[..., Gui]) -> None:
    with running_server(limits={"flood_burst": 0}) as server:
        bob = IRCClient(server.port).register("bob")
        bob.send("JOIN #lobby")
        bob.expect("366")
        bob.send("PRIVMSG #lobby :the needle is in the haystack", "PRIVMSG #lobby :hay only")
        bob.send("PING sync")
        bob.expect("PONG")
        alice = windows("alice", server.host, server.port)
        alice.joined("#lobby", "bob")
        alice.type("/search needle")
        alice.until(lambda: alice.window.shown == "*search*")
        alice.wait_text("1. [#lobby] the needle is in the haystack")
        assert "1 result for “needle”" in alice.text()
        assert "hay only" not in alice.text()
        assert "the needle" in alice.text("#lobby")  # still where it was said, once
        assert alice.text("#lobby").count("the needle is in the haystack") == 1
        alice.type("/search hay")
        alice.wait_text("2 results for “hay”")
        assert "2. [#lobby] hay only" in alice.text()
        alice.type("/jump 1")  # what a click does in the browser: the result in its place
        alice.until(lambda: alice.window.shown == "#lobby")
        tab = alice.window.tabs["#lobby"]
        alice.until(lambda: bool(tab.text.tag_ranges("jumped")))
        first, last = tab.text.tag_ranges("jumped")[:2]
        assert "the needle is in the haystack" in tab.text.get(first, last)
        bob.close()
