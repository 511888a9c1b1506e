"""Attackers for the hardening tests, and the bystander pair that measures what they cost.

The attackers run in their own process (``python -m tests.support.attack MODE PORT COUNT``) so
that neither their CPU nor the GIL slows down the bystanders the test measures. Each of COUNT
connections comes from 127.0.0.2 (so the per-address limit of the bystanders' 127.0.0.1 is not
theirs), blasts its payload as fast as the server takes it, and reconnects whenever the server
drops it: the attack lasts until the process is killed.

Modes (the issue's scenarios):

* ``ping``: ``PING`` lines, read and thrown away;
* ``ping-noread``: ``PING`` lines, never reading a byte of the answers;
* ``cap``: ``CAP LS 302`` lines;
* ``join``: ``JOIN`` of 50 channels, then ``JOIN 0``, over and over, paced at the default flood
  rate of a plain command (4 lines a second), so that only a cost per channel slows it down;
* ``ws-cont``: WebSocket, an endless stream of empty continuation frames;
* ``ws-ping``: WebSocket PING frames, never reading the PONGs.
"""

from __future__ import annotations

import asyncio
import base64
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.irc import IRCClient

ATTACK_ADDRESS = "127.0.0.2"

_CHANNELS = ",".join(f"#flood{i}" for i in range(50)).encode()

PAYLOADS: dict[str, bytes] = {
    "ping": b"PING :x\r\n" * 500,
    "ping-noread": b"PING :x\r\n" * 500,
    "cap": b"CAP LS 302\r\n" * 300,
    "join": b"JOIN " + _CHANNELS + b"\r\nJOIN 0\r\n",
}
# Seconds between two payloads (0: as fast as the server takes them).
PACE: dict[str, float] = {"join": 0.5}


def ws_frame(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 5.2), the zero mask: the payload as it is."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        header = bytes((first, 0x80 | length))
    else:
        header = bytes((first, 0x80 | 126)) + length.to_bytes(2, "big")
    return header + b"\0\0\0\0" + payload


def ws_upgrade(port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: text.ircv3.net\r\n\r\n"
    ).encode()


async def _one(mode: str, port: int, index: int) -> None:
    generation = 0
    while True:
        generation += 1
        writer: asyncio.StreamWriter | None = None
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(ATTACK_ADDRESS, 0)
            )
            nick = f"x{index}g{generation}"
            if mode.startswith("ws-"):
                writer.write(ws_upgrade(port))
                await reader.readuntil(b"\r\n\r\n")
                register = f"NICK {nick}".encode(), f"USER {nick} 0 * :{nick}".encode()
                for line in register:
                    writer.write(ws_frame(0x1, line))
                if mode == "ws-cont":
                    payload = (
                        ws_frame(0x1, b"PRIVMSG #x :", fin=False)
                        + ws_frame(0x0, b"", fin=False) * 2000
                    )
                    then = ws_frame(0x0, b"", fin=False) * 5000
                else:
                    payload = then = ws_frame(0x9, b"p" * 100) * 500
            else:
                writer.write(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
                payload = then = PAYLOADS[mode]
            if mode not in ("ping-noread", "ws-ping"):
                _READERS.add(asyncio.ensure_future(_discard(reader)))
            writer.write(payload)
            pace = PACE.get(mode, 0.0)
            while True:
                await writer.drain()
                if pace:
                    await asyncio.sleep(pace)
                writer.write(then)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            if writer is not None:
                writer.transport.abort()
        await asyncio.sleep(0.05)


_READERS: set[asyncio.Future[None]] = set()  # (asyncio keeps only weak references to tasks)


async def _discard(reader: asyncio.StreamReader) -> None:
    try:
        while await reader.read(1 << 16):
            pass
    except OSError:
        pass


async def _main(mode: str, port: int, count: int) -> None:
    await asyncio.gather(*(_one(mode, port, i) for i in range(count)))


@contextmanager
def attacking(mode: str, port: int, count: int) -> Iterator[subprocess.Popen[bytes]]:
    """COUNT attackers of MODE against PORT in another process, for the `with` block."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.attack", mode, str(port), str(count)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)  # let the attack get going
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Bystanders:
    """alice and bob in one channel; each round trip is alice → bob → alice."""

    port: int
    timeout: float = 5.0
    a: IRCClient = field(init=False)
    b: IRCClient = field(init=False)
    _round: int = 0

    def __post_init__(self) -> None:
        self.a = IRCClient(self.port).register("alice")
        self.b = IRCClient(self.port).register("bob")
        for c in (self.a, self.b):
            c.send("JOIN #calm")
            c.expect("366")

    def round_trips(self, rounds: int, pause: float = 0.0) -> list[float]:
        """`rounds` round trips, in seconds; a reply that does not come within `timeout`
        fails the test (through `expect`)."""
        times = []
        for _ in range(rounds):
            self._round += 1
            n = self._round
            start = time.monotonic()
            self.a.send(f"PRIVMSG bob :ping {n}")
            self.b.expect("PRIVMSG", lambda m, n=n: m.param(1) == f"ping {n}", self.timeout)
            self.b.send(f"PRIVMSG alice :pong {n}")
            self.a.expect("PRIVMSG", lambda m, n=n: m.param(1) == f"pong {n}", self.timeout)
            times.append(time.monotonic() - start)
            if pause:
                time.sleep(pause)
        return times

    def close(self) -> None:
        self.a.close()
        self.b.close()


def p50_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 1)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
