"""1,000 clients in one channel over real sockets: every message reaches every member, in order.

The server is the real `socketchat serve` process (its own core) with every limit switched off;
the clients are one asyncio Protocol each in the test process, parsing only what they check.
"""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

from tests.support.server import spawned_server

CLIENTS = 1000
SENDERS = 20
MESSAGES = 50  # per sender
CHANNEL = b"#scale"


class Member(asyncio.Protocol):
    def __init__(self, nick: str) -> None:
        self.nick = nick
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.joined = asyncio.get_running_loop().create_future()
        self.got: list[bytes] = []  # "<sender> <n>" of every channel PRIVMSG, in arrival order
        self.expected = 0
        self.done = asyncio.get_running_loop().create_future()
        self.closed = False
        self.bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(  # type: ignore[union-attr]
            f"NICK {self.nick}\r\nUSER {self.nick} 0 * :{self.nick}\r\n".encode()
            + b"JOIN "
            + CHANNEL
            + b"\r\n"
        )

    def data_received(self, data: bytes) -> None:
        self.bytes += len(data)
        buf = self.buf + data
        end = buf.rfind(b"\n") + 1
        self.buf = buf[end:]
        chunk = buf[:end]
        if not self.joined.done():
            if b" 366 " + self.nick.encode() + b" " + CHANNEL in chunk:
                self.joined.set_result(None)
            return
        if b" PRIVMSG " not in chunk and b"PING" not in chunk:
            return
        for line in chunk.split(b"\r\n"):
            if line.startswith(b"PING"):
                self.transport.write(b"PONG" + line[4:] + b"\r\n")  # type: ignore[union-attr]
            elif b" PRIVMSG " + CHANNEL + b" :" in line:
                self.got.append(line.rsplit(b" :", 1)[1])
        if self.expected and len(self.got) >= self.expected and not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for fut in (self.joined, self.done):
            if not fut.done():
                fut.set_exception(ConnectionError(f"{self.nick} was disconnected"))


async def test_thousand_clients_in_one_channel(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < CLIENTS * 2 + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, CLIENTS * 4), hard))
    config = tmp_path / "scale.toml"
    config.write_text("[limits]\nenabled = false\n")
    loop = asyncio.get_running_loop()
    with spawned_server("--config", str(config), "--log-level", "WARNING") as srv:
        started = time.monotonic()
        members: list[Member] = []
        for start in range(0, CLIENTS, 100):  # batches: the listen backlog is finite
            batch = [Member(f"m{i}") for i in range(start, min(start + 100, CLIENTS))]
            await asyncio.gather(
                *(loop.create_connection(lambda m=m: m, "127.0.0.1", srv.port) for m in batch)
            )
            await asyncio.wait_for(asyncio.gather(*(m.joined for m in batch)), 60)
            members.extend(batch)
        joined_at = time.monotonic()
        senders = members[:: CLIENTS // SENDERS][:SENDERS]
        sender_set = {id(s) for s in senders}
        for m in members:
            m.expected = SENDERS * MESSAGES - (MESSAGES if id(m) in sender_set else 0)
        for n in range(MESSAGES):  # interleaved: s0 0, s1 0, ..., s0 1, ...
            for s in senders:
                s.transport.write(  # type: ignore[union-attr]
                    b"PRIVMSG " + CHANNEL + f" :{s.nick} {n}\r\n".encode()
                )
            await asyncio.sleep(0)
        await asyncio.wait_for(asyncio.gather(*(m.done for m in members)), 60)
        finished = time.monotonic()
        # Everyone saw the same single order (the server's), minus their own lines ...
        reference = next(m for m in members if id(m) not in sender_set).got
        assert len(reference) == SENDERS * MESSAGES
        for m in members:
            own = m.nick.encode() + b" "
            assert m.got == [x for x in reference if not x.startswith(own)], m.nick
        # ... and in that order each sender's lines come in the order they were sent.
        for s in senders:
            seq = [int(x.split()[1]) for x in reference if x.split()[0] == s.nick.encode()]
            assert seq == list(range(MESSAGES)), s.nick
        assert not any(m.closed for m in members)
        # the first member saw the other 999 join (and the server really did the O(n^2) work)
        assert members[0].bytes > (CLIENTS - 1) * len(b":m999!~m999@127.0.0.1 JOIN #scale\r\n")
        print(
            f"\n{CLIENTS} clients joined in {joined_at - started:.1f}s; "
            f"{SENDERS * MESSAGES} messages x {CLIENTS - 1} recipients delivered in "
            f"{finished - joined_at:.2f}s"
        )
        for m in members:
            m.transport.close()  # type: ignore[union-attr]
