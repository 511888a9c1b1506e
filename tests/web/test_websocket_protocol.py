"""The WebSocket connection layer itself: pre-built outgoing frames (checked against the
`websockets` library's own encoder), fragmented input, and keep-alive pings over real sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from socketchat.server.net import web
from socketchat.server.net.websocket import FrameCache, encode_frame
from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.server import RunningServer, running_server
from tests.web.wsclient import WSClient


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
@pytest.mark.parametrize("opcode", [Opcode.TEXT, Opcode.BINARY])
def test_frames_are_what_websockets_would_send(size: int, opcode: Opcode) -> None:
    payload = bytes(i % 251 for i in range(size))
    assert encode_frame(payload, opcode) == Frame(opcode, payload).serialize(mask=False)


def test_frame_cache_builds_one_frame_per_line_and_strips_crlf() -> None:
    cache = FrameCache()
    line = b":a!u@h PRIVMSG #c :hello\r\n"
    first = cache.frame(line, text=False)
    assert first == Frame(Opcode.BINARY, b":a!u@h PRIVMSG #c :hello").serialize(mask=False)
    assert cache.frame(line, text=False) is first  # every recipient gets the same bytes
    text = cache.frame(line, text=True)
    assert text[0] == 0x81 and text[2:] == first[2:]


def test_text_frames_are_always_utf8() -> None:
    frame = FrameCache().frame(b"PRIVMSG #c :caf\xe9\r\n", text=True)
    assert frame[2:].decode("utf-8") == "PRIVMSG #c :caf\ufffd"
    binary = FrameCache().frame(b"PRIVMSG #c :caf\xe9\r\n", text=False)
    assert binary[2:] == b"PRIVMSG #c :caf\xe9"  # binary.ircv3.net passes bytes as they are


def test_frame_cache_is_bounded() -> None:
    cache = FrameCache(max_bytes=10_000)
    for i in range(1000):
        cache.frame(b"PRIVMSG #c :%d %s\r\n" % (i, b"x" * 100), text=False)
    assert cache._size <= 10_000 + 2 * 130


class RawWebSocket:
    """A sans-I/O `websockets` client on a plain socket: the test decides what gets sent
    (including whether pings are answered)."""

    def __init__(self, port: int, subprotocol: str = "binary.ircv3.net") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.proto = ClientProtocol(
            parse_uri(f"ws://127.0.0.1:{port}/ws"), subprotocols=[Subprotocol(subprotocol)]
        )
        self.proto.send_request(self.proto.connect())
        self.answer_pings = True
        self.frames: list[Frame] = []
        self.flush()
        response = self.next_event()
        assert isinstance(response, Response) and response.status_code == 101

    def flush(self) -> None:
        data = b"".join(self.proto.data_to_send())
        if data:
            self.sock.sendall(data)

    def events(self, timeout: float) -> Iterator[object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                self.proto.receive_eof()
                return
            self.proto.receive_data(data)
            received = self.proto.events_received()
            if self.answer_pings:
                self.flush()  # pongs (and close echoes) the protocol wrote
            else:
                self.proto.data_to_send()  # dropped: the client looks dead
            yield from received

    def next_event(self, timeout: float = 10) -> object:
        for event in self.events(timeout):
            return event
        raise AssertionError("nothing received")

    def send_line(self, line: str) -> None:
        self.proto.send_binary(line.encode())
        self.flush()

    def wait_for(self, text: str, timeout: float = 10) -> Frame:
        for event in self.events(timeout):
            if isinstance(event, Frame) and text.encode() in event.data:
                return event
        raise AssertionError(f"no frame with {text!r}")


@pytest.fixture
def fast_pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setattr(web, "PING_INTERVAL", 0.3)
    with running_server(web_port=free_port()) as server:
        yield server


def test_unanswered_pings_close_the_connection_with_1011(fast_pings: RunningServer) -> None:
    alive = WSClient(fast_pings.web_port).register("alive")  # its library answers pings
    dead = RawWebSocket(fast_pings.web_port)
    dead.send_line("NICK dead")
    dead.send_line("USER d 0 * :d")
    dead.wait_for(" 376 ")
    dead.answer_pings = False
    pinged = closed = False
    for event in dead.events(10):
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            pinged = True
        if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
            closed = True
            break
    assert pinged and closed
    assert dead.proto.close_rcvd is not None and dead.proto.close_rcvd.code == 1011
    alive.send("PING :still")
    assert alive.expect("PONG").param(1) == "still"  # answered pings keep it open
    alive.close()


def test_fragmented_messages_are_one_line(web_server: RunningServer) -> None:
    tcp = IRCClient(web_server.port).register("tcpy")
    tcp.send("JOIN #lobby")
    tcp.expect("366")
    ws = RawWebSocket(web_server.web_port, subprotocol="text.ircv3.net")
    for line in (b"NICK frag", b"USER f 0 * :f", b"JOIN #lobby"):
        ws.proto.send_text(line)
    ws.flush()
    ws.wait_for(" 366 ")
    text = "PRIVMSG #lobby :caf\u00e9 in pieces".encode()
    cut = text.index(b"\xa9")  # inside the two bytes of the é
    ws.proto.send_text(text[:cut], fin=False)
    ws.proto.send_continuation(text[cut:-3], fin=False)
    ws.proto.send_continuation(text[-3:], fin=True)
    ws.flush()
    got = tcp.expect("PRIVMSG")
    assert got.nick == "frag" and got.params == ("#lobby", "caf\u00e9 in pieces")
    tcp.close()
