"""IRC over WebSocket (ircv3.net/specs/extensions/websocket): one `Link` per browser connection.

Each WebSocket message carries exactly one IRC line without its CRLF, both ways. The client picks
a subprotocol: ``binary.ircv3.net`` (binary frames; bytes that are not UTF-8 are refused line by
line exactly as on TCP) or ``text.ircv3.net`` (text frames, which the WebSocket layer guarantees
to be UTF-8). A client that offers no subprotocol gets text frames.

The server core writes to a link from `Server.flush()` and must never wait there, while
`websockets`' ``send`` is a coroutine. So `WebSocketLink.send` only queues frames, and one writer
task per connection drains the queue: a browser that stops reading blocks nobody but itself, and
its queued bytes count in `buffered()` so the SendQ limit drops it like a TCP client. Reading runs
in the connection's handler task; flood control pauses it by making that task wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.typing import Subprotocol

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")

BINARY = Subprotocol("binary.ircv3.net")
TEXT = Subprotocol("text.ircv3.net")
SUBPROTOCOLS: tuple[Subprotocol, ...] = (BINARY, TEXT)

# How long a closing connection may take to send what is queued and finish the close handshake.
CLOSE_TIMEOUT = 5.0


def select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """binary.ircv3.net, then text.ircv3.net; none offered means text; only others: refused."""
    for name in SUBPROTOCOLS:
        if name in offered:
            return name
    if not offered:
        return None
    raise NegotiationError("unsupported subprotocol; expected binary.ircv3.net or text.ircv3.net")


class WebSocketLink:
    """The `Link` half of one WebSocket client: a frame queue and the task that drains it."""

    __slots__ = (
        "_aborted",
        "_closing",
        "_queue",
        "_queued_bytes",
        "_readable",
        "_wake",
        "binary",
        "session",
        "ws",
    )

    def __init__(self, ws: ServerConnection, *, binary: bool) -> None:
        self.ws = ws
        self.binary = binary
        self.session: Session | None = None
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._readable = asyncio.Event()
        self._readable.set()
        self._closing = False
        self._aborted = False

    # -- Link ----------------------------------------------------------------------------
    def send(self, lines: list[bytes]) -> None:
        if self._closing:
            return
        for line in lines:
            body = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\r\n")
            self._queue.append(body)
            self._queued_bytes += len(body)
        self._wake.set()

    def buffered(self) -> int:
        if self._aborted:
            return 0
        transport = self.ws.transport
        pending = transport.get_write_buffer_size() if transport is not None else 0
        return self._queued_bytes + pending

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._wake.set()
            self._readable.set()

    def abort(self) -> None:
        if self._aborted:
            return
        self._closing = self._aborted = True
        self._queue.clear()
        self._queued_bytes = 0
        self._wake.set()
        self._readable.set()
        if self.ws.transport is not None:
            self.ws.transport.abort()

    def pause_reading(self) -> None:
        if not self._closing:
            self._readable.clear()

    def resume_reading(self) -> None:
        self._readable.set()

    # -- the writer task -----------------------------------------------------------------
    async def write_frames(self) -> None:
        """Send queued lines, one frame each, until `close()`; then the close handshake."""
        ws = self.ws
        try:
            while True:
                if not self._queue:
                    if self._closing:
                        break
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                body = self._queue.popleft()
                self._queued_bytes -= len(body)
                if self.binary:
                    await ws.send(body)
                else:
                    await ws.send(body.decode("utf-8", "replace"))
            if not self._aborted:
                await ws.close()
        except ConnectionClosed:
            pass
        finally:
            self._queue.clear()
            self._queued_bytes = 0

    async def wait_readable(self) -> None:
        await self._readable.wait()


def _strip_line_end(frame: bytes) -> bytes:
    if frame.endswith(b"\n"):
        frame = frame[:-1]
    if frame.endswith(b"\r"):
        frame = frame[:-1]
    return frame


async def serve_websocket(server: Server, ws: ServerConnection, link: WebSocketLink) -> None:
    """Run one WebSocket client through the same session logic as TCP, until it ends."""
    peer = ws.remote_address or ("0.0.0.0", 0)
    session = server.connect(link, str(peer[0]), int(peer[1]), kind="ws")
    link.session = session
    writer = asyncio.create_task(link.write_frames(), name=f"ws-writer-{session.id}")
    reason = "Connection closed"
    try:
        while not session.closed:
            await link.wait_readable()
            if session.closed:
                break
            frame = await ws.recv()
            data = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)
            line = _strip_line_end(data)
            if b"\n" in line or b"\r" in line:
                session.close("Line break inside a WebSocket message")
                break
            session.receive_line(line)
    except ConnectionClosed as exc:
        rcvd = exc.rcvd
        if rcvd is not None and rcvd.code not in (1000, 1001, 1005):
            reason = f"Connection closed: {rcvd.code} {rcvd.reason}".rstrip()
        elif exc.sent is not None and exc.sent.code not in (1000, 1001):
            reason = f"Connection closed: {exc.sent.code} {exc.sent.reason}".rstrip()
    finally:
        session.connection_lost(reason)
        try:
            await asyncio.wait_for(asyncio.shield(writer), CLOSE_TIMEOUT)
        except (TimeoutError, asyncio.CancelledError):
            link.abort()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer
