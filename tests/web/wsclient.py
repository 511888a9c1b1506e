"""A WebSocket IRC client for tests (the `websockets` sync client): one IRC line per frame."""

from __future__ import annotations

import time
from collections.abc import Callable

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from socketchat.irc.message import Message, parse_message


class WSClient:
    def __init__(
        self,
        port: int,
        *,
        subprotocol: str | None = "binary.ircv3.net",
        origin: str | None = None,
        timeout: float = 10.0,
        max_size: int | None = 2**20,
    ) -> None:
        self.ws: ClientConnection = connect(
            f"ws://127.0.0.1:{port}/ws",
            subprotocols=[subprotocol] if subprotocol else None,
            origin=origin,
            open_timeout=timeout,
            max_size=max_size,
        ).__enter__()  # (websockets >= 17.1 warns unless connect() is entered like this)
        self.timeout = timeout
        self.frames: list[str | bytes] = []  # every frame received, raw
        self.log: list[Message] = []
        self._pos = 0
        self.nick = "*"

    def send(self, *lines: str) -> None:
        for line in lines:
            if self.ws.subprotocol == "binary.ircv3.net":
                self.ws.send(line.encode())
            else:
                self.ws.send(line)

    def _read_one(self, deadline: float) -> bool:
        """False once the connection is closed."""
        try:
            frame = self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            return True
        except ConnectionClosed:
            return False
        self.frames.append(frame)
        text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
        msg = parse_message(text)
        if msg.command == "PING":
            self.send(f"PONG :{msg.param(0)}")
        self.log.append(msg)
        return True

    def expect(
        self, command: str, where: Callable[[Message], bool] | None = None, timeout: float = 0
    ) -> Message:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            while self._pos < len(self.log):
                msg = self.log[self._pos]
                self._pos += 1
                if msg.command == command and (where is None or where(msg)):
                    return msg
            if time.monotonic() > deadline:
                seen = [m.to_line() for m in self.log[-15:]]
                raise AssertionError(f"no {command} within timeout; last lines: {seen}")
            if not self._read_one(deadline):
                raise AssertionError(f"connection closed while waiting for {command}")

    def collect(self, seconds: float) -> list[Message]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read_one(deadline):
            pass
        out = self.log[self._pos :]
        self._pos = len(self.log)
        return out

    def wait_closed(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read_one(deadline):
                return True
        return False

    def register(self, nick: str, caps: str = "") -> WSClient:
        if caps:
            self.send("CAP LS 302", f"CAP REQ :{caps}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        if caps:
            self.expect("CAP", lambda m: m.param(1) in ("ACK", "NAK"))
            self.send("CAP END")
        self.expect("001")
        self.expect("376")
        self.nick = nick
        return self

    def close(self) -> None:
        self.ws.close()
