"""IRC clients for tests: send lines, wait for the message you expect.

`LineClient` holds the conversation (expect / collect / register / answering PING);
a transport subclass says how lines go out and how received text comes in:
`IRCClient` here over a raw TCP or TLS socket, `tests.web.wsclient.WSClient` over WebSocket.
"""

from __future__ import annotations

import socket
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Self

from socketchat.irc.message import Message, parse_message


class LineClient(ABC):
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.log: list[Message] = []  # everything received, in order
        self._pos = 0  # how far expect() has consumed self.log
        self.nick = "*"

    @abstractmethod
    def send(self, *lines: str) -> None:
        """Send IRC lines (without line endings)."""

    @abstractmethod
    def _read_some(self, deadline: float) -> bool:
        """Wait until the deadline for input and pass each message to `_received`;
        False once the server has closed the connection."""

    @abstractmethod
    def close(self) -> None: ...

    def _received(self, text: str) -> None:
        msg = parse_message(text)
        if msg.command == "PING":
            self.send(f"PONG :{msg.param(0)}")
        self.log.append(msg)

    def expect(
        self,
        command: str,
        where: Callable[[Message], bool] | None = None,
        timeout: float | None = None,
    ) -> Message:
        """The next message (after the last one expected) with this command (and predicate)."""
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
            if not self._read_some(deadline):
                raise AssertionError(f"connection closed while waiting for {command}")

    def collect(self, seconds: float) -> list[Message]:
        """Everything that arrives in the next `seconds` (and was not yet expected)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self._read_some(deadline):
                break
        out = self.log[self._pos :]
        self._pos = len(self.log)
        return out

    def cap_ls(self) -> dict[str, str]:
        """The caps of the next CAP LS reply, with their values: every line of a 302 reply
        (``CAP * LS * :...`` continues on the next line) until the last one."""
        caps: dict[str, str] = {}
        while True:
            ls = self.expect("CAP", lambda m: m.param(1) == "LS")
            for word in ls.params[-1].split():
                name, _, value = word.partition("=")
                caps[name] = value
            if len(ls.params) < 4 or ls.params[2] != "*":
                return caps

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read_some(deadline):
                return True
        return False

    def register(self, nick: str, caps: str = "") -> Self:
        if caps:
            self.send("CAP LS 302", f"CAP REQ :{caps}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        if caps:
            self.expect("CAP", lambda m: m.param(1) in ("ACK", "NAK"))
            self.send("CAP END")
        self.expect("001")
        self.expect("376", timeout=5)  # the rest of the welcome burst
        self.nick = nick
        return self


class IRCClient(LineClient):
    """Over a raw TCP socket (or TLS without certificate checks)."""

    def __init__(
        self,
        port: int,
        host: str = "127.0.0.1",
        *,
        tls: bool = False,
        timeout: float = 10.0,
        source: str | None = None,
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(timeout)
        # `source`: the local address to connect from (127.0.x.y: a distinct client address)
        sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None
        )
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if client_cert is not None:  # (certificate, key) PEM files: SASL EXTERNAL
                ctx.load_cert_chain(*client_cert)
            sock = ctx.wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buffer = b""

    def send(self, *lines: str) -> None:
        self.sock.sendall(b"".join(line.encode() + b"\r\n" for line in lines))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_some(self, deadline: float) -> bool:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return True
        if not data:
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            if text:
                self._received(text)
        return True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
