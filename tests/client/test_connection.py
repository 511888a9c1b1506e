"""The asyncio connection against real servers (ngircd, and our own when its fixture exists)."""

from __future__ import annotations

import asyncio

import pytest

from socketchat.client.connection import Backoff
from socketchat.client.core import ClientConfig
from socketchat.client.events import STATUS_BUFFER, BufferOpened, ExitRequested, StatusChanged
from socketchat.client.threaded import ThreadedClient
from tests.client.conftest import ServerUnderTest
from tests.client.peers import fast_backoff, peer, running_client
from tests.support import wait_for


async def test_register_join_and_talk(irc_server: ServerUnderTest) -> None:
    async with running_client(irc_server.host, irc_server.port, "alice") as alice:
        await alice.joined()
        async with peer(irc_server.port, "bob") as bob:
            await alice.wait(lambda: any(m.nick == "bob" for m in alice.core.members("#lobby")))
            alice.connection.set_current("#lobby")
            alice.connection.send_input("hello from alice")
            msg = await bob.privmsg("hello from alice")
            assert msg.nick == "alice" and msg.param(0) == "#lobby"
            bob.send("PRIVMSG #lobby :hi alice")
            await alice.wait(lambda: any(ln.text == "hi alice" for ln in alice.lines("#lobby")))
            line = next(ln for ln in alice.lines("#lobby") if ln.text == "hi alice")
            assert line.nick == "bob" and line.highlight
            own = [ln for ln in alice.lines("#lobby") if ln.text == "hello from alice"]
            assert len(own) == 1 and own[0].self_msg  # shown once, echo-message or not
            bob.send("PRIVMSG alice :private hello")
            await alice.wait(lambda: alice.lines("bob"))
            assert any(e == BufferOpened("bob", "query", False) for e in alice.events)
            bob.send("QUIT :bye")
            await alice.wait(lambda: all(m.nick != "bob" for m in alice.core.members("#lobby")))


async def test_nick_in_use_gets_alternative(irc_server: ServerUnderTest) -> None:
    async with (
        peer(irc_server.port, "alice", channel=None),  # the nick is taken
        running_client(irc_server.host, irc_server.port, "alice") as alice,
    ):
        await alice.joined()
        assert alice.core.nick == "alice_"


async def test_pm_by_ip_and_who(irc_server: ServerUnderTest) -> None:
    async with running_client(irc_server.host, irc_server.port, "alice") as alice:
        await alice.joined()
        async with peer(irc_server.port, "bob") as bob:
            alice.connection.set_current("#lobby")
            # Only bob besides alice is on 127.0.0.1: the message goes to him.
            alice.connection.send_input("/who", buffer="#lobby")
            await alice.wait(lambda: any("WHO" in ln.text for ln in alice.lines("#lobby")))
            if any("does not support WHO" in ln.text for ln in alice.lines("#lobby")):
                pytest.xfail(f"{irc_server.kind} does not implement WHO yet")
            alice.connection.send_input("/pm 127.0.0.1 found you")
            msg = await bob.privmsg("found you")
            assert msg.param(0) == "bob"
            await alice.wait(lambda: alice.core.current == "bob")
            async with peer(irc_server.port, "carol") as carol:
                alice.connection.send_input("/pm 127.0.0.1 who is it", buffer="#lobby")
                await alice.wait(lambda: any("Several" in ln.text for ln in alice.lines("#lobby")))
                text = next(ln.text for ln in alice.lines("#lobby") if "Several" in ln.text)
                assert "bob" in text and "carol" in text
                alice.connection.send_input("/pm 10.9.8.7 anyone?", buffer="#lobby")
                await alice.wait(
                    lambda: any("connected from 10.9.8.7" in ln.text for ln in alice.lines())
                )
                alice.connection.send_input("/who #lobby", buffer="#lobby")
                await alice.wait(
                    lambda: any(
                        "carol" in ln.text and "127.0.0.1" in ln.text for ln in alice.lines()
                    )
                )
                # carol never received the ambiguous message
                assert not [m for m in carol.client.collect(0.2) if m.command == "PRIVMSG"]


async def test_whois_is_a_card_in_the_tab_it_was_typed_in(irc_server: ServerUnderTest) -> None:
    async with running_client(irc_server.host, irc_server.port, "alice") as alice:
        await alice.joined()
        async with peer(irc_server.port, "bob"):
            await alice.wait(lambda: any(m.nick == "bob" for m in alice.core.members("#lobby")))
            alice.connection.send_input("/whois bob", buffer="#lobby")
            await alice.wait(
                lambda: any(ln.text.startswith("bob (") for ln in alice.lines("#lobby"))
            )
            await alice.wait(lambda: any("server:" in ln.text for ln in alice.lines("#lobby")))
            texts = [ln.text for ln in alice.lines("#lobby")]
            assert any("channels:" in t and "#lobby" in t for t in texts), texts
            status = [ln.text for ln in alice.lines(STATUS_BUFFER)]
            assert not any("End of" in t and "WHOIS" in t.upper() for t in status + texts)


async def test_reconnect_after_server_restart(irc_server: ServerUnderTest) -> None:
    async with running_client(
        irc_server.host, irc_server.port, "alice", channels=("#lobby", "#dev")
    ) as alice:
        await alice.joined("#lobby")
        await alice.joined("#dev")
        await asyncio.to_thread(irc_server.restart)
        # The server came back by itself: alice reconnects and rejoins both channels.
        await alice.wait(lambda: "reconnecting" in alice.states())
        await alice.joined("#lobby")
        await alice.joined("#dev")
        assert alice.core.state == "connected"


async def test_typed_while_offline_is_sent_after_rejoin(irc_server: ServerUnderTest) -> None:
    slow = Backoff(initial=60, maximum=60, jitter=0)  # reconnect only when we say so
    async with running_client(irc_server.host, irc_server.port, "alice", backoff=slow) as alice:
        await alice.joined("#lobby")
        await asyncio.to_thread(irc_server.stop)
        await alice.wait(
            lambda: any(
                isinstance(e, StatusChanged) and e.state == "reconnecting" and e.retry_in
                for e in alice.events
            )
        )
        alice.connection.send_input("typed while the server was down", buffer="#lobby")
        assert alice.core.queued == 1
        assert any("queued" in ln.text for ln in alice.lines("#lobby"))
        await asyncio.to_thread(irc_server.start)
        async with peer(irc_server.port, "bob") as bob:
            alice.connection.reconnect_now()
            msg = await bob.privmsg("typed while the server was down")
            assert (msg.nick, msg.param(0)) == ("alice", "#lobby")
            await alice.joined("#lobby")
            assert alice.core.queued == 0


async def test_exit_quits_and_does_not_reconnect(irc_server: ServerUnderTest) -> None:
    async with (
        peer(irc_server.port, "bob") as bob,
        running_client(irc_server.host, irc_server.port, "alice") as alice,
    ):
        await alice.joined()
        await bob.expect("JOIN", lambda m: m.nick == "alice")
        alice.connection.send_input("/exit")
        await asyncio.wait_for(alice.task, 5)
        quit_msg = await bob.expect("QUIT", lambda m: m.nick == "alice")
        assert quit_msg.nick == "alice"
        assert any(isinstance(e, ExitRequested) for e in alice.events)
        assert "reconnecting" not in alice.states()
        assert alice.core.state == "disconnected"


async def test_unreachable_server_keeps_retrying(irc_server: ServerUnderTest) -> None:
    await asyncio.to_thread(irc_server.stop)
    async with running_client(irc_server.host, irc_server.port, "alice") as alice:
        await alice.wait(lambda: alice.states().count("reconnecting") >= 2)
        assert any("cannot connect" in ln.text for ln in alice.lines(STATUS_BUFFER))
        await asyncio.to_thread(irc_server.start)
        await alice.joined()


def test_threaded_client(irc_server: ServerUnderTest) -> None:
    from tests.support.irc import IRCClient

    bob = IRCClient(irc_server.port).register("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    client = ThreadedClient(
        ClientConfig(nick="alice"), irc_server.host, irc_server.port, backoff=fast_backoff()
    )
    seen: list[object] = []
    client.start()
    try:
        bob.expect("JOIN", lambda m: m.nick == "alice")
        client.send_input("from the gui thread", buffer="#lobby")
        assert bob.expect("PRIVMSG").param(1) == "from the gui thread"
        bob.send("PRIVMSG #lobby :to the gui")

        def got_it() -> bool:
            seen.extend(client.drain())
            return any(getattr(e, "text", None) == "to the gui" for e in seen)

        wait_for(got_it)
    finally:
        client.stop()
        bob.close()
    assert not client.running
    assert any(isinstance(e, StatusChanged) and e.state == "connected" for e in seen)
