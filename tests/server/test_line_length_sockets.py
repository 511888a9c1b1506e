"""End to end over TCP: a full-length PRIVMSG reaches the other client as a line of at most 512
bytes (tags aside), which the bundled client's framing keeps, with its text trailing."""

from __future__ import annotations

import socket
import time

from socketchat.client.core import RECEIVE_MAX_LINE
from socketchat.irc.framing import LineBuffer
from socketchat.irc.message import MAX_BODY, parse_message
from tests.support.irc import IRCClient
from tests.support.server import running_server


def _raw_until(sock: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_a_512_byte_privmsg_arrives_within_512_bytes() -> None:
    with running_server() as srv:
        alice = IRCClient(srv.port, timeout=10).register("alice" + "a" * 20, "server-time")
        bob = IRCClient(srv.port, timeout=10).register("bob", "server-time message-tags")
        try:
            for c in (alice, bob):
                c.send("JOIN #c")
                c.expect("366")
            bob.collect(0.2)
            head = "PRIVMSG #c :"
            text = ("é" * 300).encode()[: MAX_BODY - 2 - len(head)].decode("utf-8", "ignore")
            text = text + "x" * (MAX_BODY - 2 - len(head) - len(text.encode()))
            assert len((head + text).encode()) + 2 == MAX_BODY
            alice.send(head + text)
            data = bob.buffer + _raw_until(bob.sock, b"PRIVMSG")
            data += _raw_until(bob.sock, b"\r\n", timeout=2) if not data.endswith(b"\n") else b""
            (raw,) = [line for line in data.split(b"\r\n") if b" PRIVMSG " in line]
            body = raw.split(b" ", 1)[1]
            assert raw.startswith(b"@") and len(body) + 2 <= MAX_BODY
            assert b" PRIVMSG #c :" in body
            got = parse_message(raw.decode()).params[1]
            assert text.startswith(got) and len(got.encode()) > 400
            kept = LineBuffer(RECEIVE_MAX_LINE).feed(raw + b"\r\n")  # the bundled client's
            strict = LineBuffer().feed(raw + b"\r\n")  # and a strict 512 + 8191 receiver
            assert kept == strict == [raw.decode()]
        finally:
            alice.close()
            bob.close()
