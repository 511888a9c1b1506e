"""The client against OUR server (SQLite history and accounts in a temp data dir, real sockets):
history on join in order, scroll-back to the start, /register then SASL, a wrong password."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from socketchat.client.events import STATUS_BUFFER, BufferReset, HistoryInserted
from tests.client.peers import AsyncPeer, Running, running_client
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with running_server(limits={"flood_burst": 0}) as handle:  # the peer may send fast
        yield handle


async def said_by_bob(port: int, count: int, prefix: str) -> AsyncPeer:
    bob = await AsyncPeer.connect(port, "bob")
    bob.send(*(f"PRIVMSG #lobby :{prefix} {i}" for i in range(count)))
    bob.send("PING :stored")
    await bob.expect("PONG")
    return bob


def chat_texts(client: Running, buffer: str = "#lobby") -> list[str]:
    return [ln.text for ln in client.core.lines(buffer) if ln.nick]


async def test_history_on_join_comes_before_you_joined_and_live_lines(
    server: RunningServer,
) -> None:
    bob = await said_by_bob(server.port, 5, "old")
    try:
        async with running_client(server.host, server.port, "alice") as alice:
            await alice.joined()
            await alice.wait(lambda: any(isinstance(e, BufferReset) for e in alice.events))
            bob.send("PRIVMSG #lobby :live now")
            await alice.wait(lambda: "live now" in chat_texts(alice))
            texts = [ln.text for ln in alice.core.lines("#lobby")]
            assert texts.index("old 4") < texts.index("You joined #lobby") < texts.index("live now")
            assert chat_texts(alice) == [f"old {i}" for i in range(5)] + ["live now"]
            lines = [ln for ln in alice.core.lines("#lobby") if ln.nick]
            assert all(ln.history for ln in lines[:5]) and not lines[5].history
            assert [ln.time for ln in lines] == sorted(ln.time for ln in lines)
            assert len({ln.msgid for ln in lines}) == 6  # each once
    finally:
        bob.close()


async def test_scroll_back_fetches_older_pages_until_the_start(server: RunningServer) -> None:
    bob = await said_by_bob(server.port, 25, "line")
    try:
        async with running_client(server.host, server.port, "alice", history_lines=10) as alice:
            await alice.joined()
            # 10 items: with draft/event-playback, alice's own JOIN is one of them
            await alice.wait(lambda: len(chat_texts(alice)) >= 9)
            assert chat_texts(alice) == [
                f"line {i}" for i in range(25 - len(chat_texts(alice)), 25)
            ]

            def pages() -> list[HistoryInserted]:
                return [e for e in alice.events if isinstance(e, HistoryInserted)]

            for _ in range(5):
                seen = len(pages())
                alice.connection.load_older("#lobby")
                alice.connection.load_older("#lobby")  # a second call while one runs: ignored
                await alice.wait(lambda seen=seen: len(pages()) > seen)
                if pages()[-1].complete:
                    break
            sizes = [len([ln for ln in p.lines if ln.nick]) for p in pages()]
            assert sizes[0] == 10 and sum(sizes) == 25 - 9 and pages()[-1].complete
            assert "Start of the history" in pages()[-1].lines[0].text
            assert chat_texts(alice) == [f"line {i}" for i in range(25)]
            first = alice.core.lines("#lobby")[0]
            assert "Start of the history" in first.text
            alice.connection.send_input("/history", buffer="#lobby")
            await alice.wait(lambda: any("No more history" in ln.text for ln in alice.lines()))
    finally:
        bob.close()


async def test_register_then_reconnect_with_the_account(server: RunningServer) -> None:
    async with running_client(server.host, server.port, "alice") as alice:
        await alice.joined()
        alice.connection.send_input("/register hunter2hunter2", buffer="#lobby")
        await alice.wait(lambda: alice.core.account == "alice")
        said = [ln.text for ln in alice.lines("#lobby")]
        assert any("registered" in t for t in said), said
        assert "You are now logged in as alice" in said
        assert not any("hunter2" in ln.text for ln in alice.lines())
    async with running_client(
        server.host,
        server.port,
        "alice",
        account="alice",
        account_password="hunter2hunter2",
    ) as again:
        await again.joined()
        await again.wait(lambda: again.core.account == "alice")
        assert any("logged in as alice" in ln.text for ln in again.lines(STATUS_BUFFER))
        assert "[account alice]" in again.core.status().describe()


async def test_wrong_sasl_password_says_so_and_connects_anyway(server: RunningServer) -> None:
    peer = await asyncio.to_thread(IRCClient, server.port)
    try:
        await asyncio.to_thread(peer.send, "CAP LS 302", "NICK carol", "REGISTER * * rightpassword")
        await asyncio.to_thread(peer.send, "USER c 0 * :c", "CAP END")
        await asyncio.to_thread(peer.expect, "001")
        peer.send("QUIT")
    finally:
        peer.close()
    async with running_client(
        server.host, server.port, "carol", account="carol", account_password="wrongpassword"
    ) as carol:
        await carol.wait(lambda: any("Login failed" in ln.text for ln in carol.lines()), 15)
        line = next(ln for ln in carol.lines() if "Login failed" in ln.text)
        assert line.kind == "error" and "carol" in line.text
        await carol.joined()  # no hang: connected without the account
        assert carol.core.account is None


async def test_reactions_said_before_joining_come_with_the_history(server: RunningServer) -> None:
    """draft/event-playback: the server replays the TAGMSG reactions with the messages, and the
    core puts them under their lines; a live reaction to a line known only from history too."""
    async with running_client(server.host, server.port, "bob") as bob:
        await bob.joined()
        bob.connection.send_input("lunch at one?", buffer="#lobby")
        await bob.wait(lambda: any(ln.msgid for ln in bob.lines("#lobby") if ln.self_msg))
        msgid = next(ln.msgid for ln in bob.lines("#lobby") if ln.self_msg and ln.msgid)
        bob.connection.send_input(f"/react {msgid} 👍", buffer="#lobby")
        await bob.wait(lambda: bob.core.reactions("#lobby", msgid))
        async with running_client(server.host, server.port, "zoe") as zoe:
            await zoe.joined()
            await zoe.wait(lambda: any(ln.msgid == msgid for ln in zoe.core.lines("#lobby")))
            await zoe.wait(lambda: zoe.core.reactions("#lobby", msgid))
            assert [(r.emoji, r.nicks) for r in zoe.core.reactions("#lobby", msgid)] == [
                ("👍", ("bob",))
            ]
            assert "draft/event-playback" in zoe.core.caps
            assert [m.nick for m in zoe.core.members("#lobby")] == ["bob", "zoe"]  # as now
            bob.connection.send_input(f"/react {msgid} 🎉", buffer="#lobby")
            await zoe.wait(lambda: len(zoe.core.reactions("#lobby", msgid)) == 2)


async def test_a_private_message_kept_while_away_is_shown_on_return(server: RunningServer) -> None:
    """The server replays missed private messages only to clients without draft/chathistory;
    the bundled clients have it, so they ask (CHATHISTORY TARGETS): bob's line, said while no
    device of alice's was connected, opens bob's tab on her return; dave's, which she read
    before she left (her read marker), opens nothing."""
    alice = await asyncio.to_thread(IRCClient, server.port)
    dave = await AsyncPeer.connect(server.port, "dave", None)
    try:
        alice.send("CAP LS 302", "CAP REQ :draft/read-marker server-time", "NICK alice")
        alice.send("REGISTER * * alicepassword", "USER a 0 * :a", "CAP END")
        await asyncio.to_thread(alice.expect, "001")
        dave.send("PRIVMSG alice :seen already")
        read = await asyncio.to_thread(alice.expect, "PRIVMSG")
        alice.send(f"MARKREAD dave timestamp={read.tags['time']}")
        await asyncio.to_thread(alice.expect, "MARKREAD")
        alice.send("QUIT :off to class")  # always-on: she stays, with no device
        await asyncio.to_thread(alice.expect, "ERROR")
    finally:
        alice.close()
        dave.close()
    bob = await AsyncPeer.connect(server.port, "bob", None)
    bob.send("PRIVMSG alice :homework is page 12")
    await bob.expect("301")  # kept: she is away
    bob.send("QUIT")
    await bob.expect("ERROR")  # gone too: the conversation is found by the nick TARGETS gave
    bob.close()
    async with running_client(
        server.host, server.port, "alice", account="alice", account_password="alicepassword"
    ) as back:
        await back.joined()
        await back.wait(lambda: "homework is page 12" in chat_texts(back, "bob"))
        await back.wait(lambda: not back.core.missed)  # dave's marker answered
        assert back.core.model.buf("dave") is None
        assert back.core.current != "bob"  # opened, not switched to
