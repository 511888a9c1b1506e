"""A WebSocket client that sends PING frames and never reads, seen at its end: the close must
not parse everything it queued while flood control paused it (each PING answered with a PONG,
no flood control left once the session is closed: the soak saw 130-160 MB and a 1.5 s loop
stall), and a paused connection whose peer is already gone at shutdown logs no traceback.
Real sockets, raw frames."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from socketchat.server.config import Operator
from socketchat.server.passwords import hash_password
from tests.support import free_port
from tests.support.attack import ws_frame, ws_upgrade
from tests.support.irc import IRCClient
from tests.support.server import running_server

OPER = Operator("admin", hash_password("sekrit", log2_n=4))
PING = ws_frame(0x9, b"p" * 120)


def _deaf_pinger(port: int, nick: str, seconds: float = 20.0) -> tuple[socket.socket, int]:
    """A registered WebSocket client that writes PING frames until the server stops reading it
    (flood control paused it and every buffer in between is full); it never reads. Returns the
    socket and how many frames it got written."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it never reads anyway
    sock.sendall(ws_upgrade(port))
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n", 1)[0]
    for line in (f"NICK {nick}", f"USER {nick} 0 * :{nick}"):
        sock.sendall(ws_frame(0x1, line.encode()))
    sock.settimeout(0.1)
    chunk = PING * 100
    sent_bytes = 0
    deadline = time.monotonic() + seconds
    last_progress = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last_progress < 2.0:
        try:
            sent_bytes += sock.send(chunk)
            last_progress = time.monotonic()
        except TimeoutError:
            continue
    return sock, sent_bytes // len(PING)


def _frames_until_eof(sock: socket.socket, timeout: float = 15.0) -> list[int]:
    """Read everything the server wrote, to its end: the opcodes of its frames, in order."""
    sock.settimeout(timeout)
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
    opcodes, at = [], 0
    while at + 2 <= len(data):
        length, start = data[at + 1] & 0x7F, at + 2
        if length == 126:
            length, start = int.from_bytes(data[at + 2 : at + 4], "big"), at + 4
        elif length == 127:
            length, start = int.from_bytes(data[at + 2 : at + 10], "big"), at + 10
        if start + length > len(data):
            break
        opcodes.append(data[at] & 0x0F)
        at = start + length
    return opcodes


def test_closing_a_paused_pinger_answers_none_of_its_queued_pings() -> None:
    """KILL a client that flood control paused with megabytes of PING frames queued: before,
    the close resumed reading and answered every one of them at once (tens of thousands of
    PONGs, after the close frame, in one go); now the waiting input is dropped unparsed."""
    with running_server(web_port=free_port(), operators=(OPER,)) as srv:
        op = IRCClient(srv.port).register("op")
        op.send("OPER admin sekrit")
        op.expect("381")
        sock, queued = _deaf_pinger(srv.web_port, "deaf")
        assert queued > 20_000, "the pinger got too little queued: nothing was tested"
        op.send("KILL deaf :enough")
        op.send("WHOIS deaf")
        op.expect("401")
        opcodes = _frames_until_eof(sock)
        sock.close()
        assert 0x8 in opcodes, "no close frame"
        after_close = opcodes[opcodes.index(0x8) + 1 :]
        pongs = opcodes.count(0xA)
        # PONGs came at the flood rate while it lived (the burst and 4 a second), none after
        assert after_close.count(0xA) == 0 and pongs < 500, (pongs, after_close.count(0xA))
        op.send("PING :alive")
        op.expect("PONG")


def test_shutdown_with_a_paused_websocket_whose_peer_is_gone_logs_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Shutdown closes every session; a flood-paused connection used to schedule the delivery
    of its waiting frames, which then fed websockets after the peer's reset (EOFError into the
    loop: "Exception in callback WebSocketConnection._deliver_waiting")."""
    caplog.set_level(logging.INFO)
    with running_server(web_port=free_port()) as srv:
        socks = [_deaf_pinger(srv.web_port, f"gone{i}", seconds=8)[0] for i in range(2)]
        for sock in socks:  # gone without a word: RST (unread data in its receive buffer)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            sock.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]
