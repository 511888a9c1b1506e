"""A WebSocket IRC client for tests (the `websockets` sync client): one IRC line per frame.

The conversation (expect / collect / register) is `tests.support.irc.LineClient`'s;
this is only the transport.
"""

from __future__ import annotations

import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.irc import LineClient


class WSClient(LineClient):
    def __init__(
        self,
        port: int,
        *,
        subprotocol: str | None = "binary.ircv3.net",
        origin: str | None = None,
        timeout: float = 10.0,
        max_size: int | None = 2**20,
        path: str = "/ws",
        host: str = "127.0.0.1",
        source: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(timeout)
        # `source`: the local address to connect from (127.0.x.y: a distinct client address)
        self.ws: ClientConnection = connect(
            f"ws://{host}:{port}{path}",
            source_address=(source, 0) if source else None,
            additional_headers=headers,
            subprotocols=[subprotocol] if subprotocol else None,
            origin=origin,
            open_timeout=timeout,
            max_size=max_size,
        ).__enter__()  # (websockets >= 17.1 warns unless connect() is entered like this)
        self.frames: list[str | bytes] = []  # every frame received, raw

    def send(self, *lines: str) -> None:
        for line in lines:
            if self.ws.subprotocol == "binary.ircv3.net":
                self.ws.send(line.encode())
            else:
                self.ws.send(line)

    def _read_some(self, deadline: float) -> bool:
        """One frame, one message."""
        try:
            frame = self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            return True
        except ConnectionClosed:
            return False
        self.frames.append(frame)
        self._received(frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame)
        return True

    def close(self) -> None:
        self.ws.close()
