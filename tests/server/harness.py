"""Drive the sans-I/O server core without sockets: fake links, a fake clock, parsed output."""

from __future__ import annotations

from socketchat.irc.message import Message, parse_message
from socketchat.server.compose import build_server
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.session import Session


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeLink:
    """A Link that records what the core sends."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self.closed = False
        self.aborted = False
        self.paused = False
        self.backlog = 0  # pretend bytes stuck in the kernel (a peer that stopped reading)

    def send(self, lines: list[bytes]) -> None:
        assert not self.closed, "send after close"
        self.sent += b"".join(lines)

    def buffered(self) -> int:
        return self.backlog

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


class Client:
    """One fake connection: feed lines in, read parsed messages out."""

    def __init__(self, net: Net, ip: str = "127.0.0.1", port: int = 40000) -> None:
        self.net = net
        self.link = FakeLink()
        self.session: Session = net.server.connect(self.link, ip, port)
        self._read = 0

    def send(self, *lines: str) -> None:
        for line in lines:
            self.session.receive_data(line.encode() + b"\r\n")
        self.net.server.flush()

    def send_raw(self, data: bytes) -> None:
        self.session.receive_data(data)
        self.net.server.flush()

    def received(self) -> list[Message]:
        """Messages sent to this client since the last call."""
        data = bytes(self.link.sent[self._read :])
        self._read = len(self.link.sent)
        return [parse_message(line.decode()) for line in data.split(b"\r\n") if line]

    def commands(self) -> list[str]:
        return [m.command for m in self.received()]

    def register(self, nick: str, caps: str = "") -> Client:
        if caps:
            self.send("CAP LS 302", f"CAP REQ :{caps}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick} real")
        if caps:
            self.send("CAP END")
        got = self.received()
        assert any(m.command == "001" for m in got), got
        return self


class Net:
    """A server plus helpers to make clients."""

    def __init__(self, config: ServerConfig | None = None, **limits: object) -> None:
        self.clock = FakeClock()
        base = config or ServerConfig()
        if limits:
            import dataclasses

            base = dataclasses.replace(base, limits=dataclasses.replace(Limits(), **limits))  # type: ignore[arg-type]
        self.server = build_server(base, clock=self.clock)

    def client(self, nick: str | None = None, caps: str = "", ip: str = "127.0.0.1") -> Client:
        c = Client(self, ip=ip, port=40000 + len(self.server.sessions))
        if nick:
            c.register(nick, caps)
        return c
