"""/search in the terminal client, driven by Pilot against our server: the results come in
their own tab, focused, each numbered with its conversation; /jump <n> goes to one's
conversation (the terminal view does not scroll to the line itself: it shows the tab)."""

from __future__ import annotations

from socketchat.client.tui.app import ChatApp
from tests.client.peers import fast_backoff, peer
from tests.client.tui.test_app import SIZE, log_text, tab_labels, type_line, until
from tests.support.server import running_server


async def test_search_results_in_their_own_tab() -> None:
    with running_server(limits={"flood_burst": 0}) as server:
        async with peer(server.port, "bob") as bob:
            bob.send("PRIVMSG #lobby :the needle is in the haystack", "PRIVMSG #lobby :hay only")
            bob.send("PING :stored")
            await bob.expect("PONG")
            app = ChatApp("alice", server.host, server.port, backoff=fast_backoff())
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: "<bob> hay only" in log_text(app))
                await type_line(pilot, "/search needle")
                await until(pilot, lambda: app.shown == "*search*")
                await until(
                    pilot, lambda: "1. [#lobby] the needle is in the haystack" in log_text(app)
                )
                assert "1 result for “needle”" in log_text(app)
                assert "hay only" not in log_text(app)
                assert any("search results" in label for label in tab_labels(app))
                await type_line(pilot, "/search hay")
                await until(pilot, lambda: "2 results for “hay”" in log_text(app))
                assert "2. [#lobby] hay only" in log_text(app)
                await type_line(pilot, "/jump 1")  # the result's conversation, where it was said
                await until(pilot, lambda: app.shown == "#lobby")
                assert "<bob> the needle is in the haystack" in log_text(app)
