"""The client core against our server over a real socket: a Persian nick registers, and a
lookalike of a nick in use is refused with the reason and asked again (`ask_nick`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socketchat.client.events import NickRefused
from tests.client.conftest import SocketchatUnderTest
from tests.client.peers import peer, running_client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SocketchatUnderTest]:
    srv = SocketchatUnderTest(tmp_path / "socketchat")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


async def test_a_lookalike_nick_is_refused_and_the_user_chooses_again(
    server: SocketchatUnderTest,
) -> None:
    cyrillic_pay = "\u0440\u0430\u0443"  # р а у
    async with (
        peer(server.port, "pay", channel=None),
        running_client(server.host, server.port, cyrillic_pay, ask_nick=True) as client,
    ):
        await client.wait(lambda: any(isinstance(e, NickRefused) for e in client.events))
        refused = next(e for e in client.events if isinstance(e, NickRefused))
        assert refused == NickRefused(cyrillic_pay, "Nickname is already in use", taken=True)
        assert not client.core.registered  # waiting for the user, not renamed to рау_
        client.connection.send_input("/nick مهسا")
        await client.joined()
        assert client.core.nick == "مهسا"
        async with peer(server.port, "کاوه") as kaveh:
            kaveh.send("PRIVMSG مهسا :سلام")
            await client.wait(lambda: any(ln.text == "سلام" for ln in client.lines("کاوه")))
