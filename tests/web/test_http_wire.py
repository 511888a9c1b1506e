"""HTTP on the web port as a client really sends it, byte for byte over a raw socket: pipelined
requests, duplicate or missing Host, HEAD, methods other than GET, malformed heads, and a fuzz of
random heads. Every answer must be a valid HTTP response, and nothing may log a traceback."""

from __future__ import annotations

import logging
import random
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support import free_port
from tests.support.server import RunningServer, running_server

STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5][0-9][0-9]) [^\r\n]*\r\n")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture
def web(caplog: pytest.LogCaptureFixture) -> Iterator[RunningServer]:
    """A server with a web port; afterwards no log record may carry a traceback."""
    caplog.set_level(logging.DEBUG)
    with running_server(web_port=free_port()) as server:
        yield server
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


def exchange(port: int, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send `data`, half-close, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def parse_answers(data: bytes, *, head_only: bool = False) -> list[Answer]:
    """Split a byte stream into HTTP responses; asserts each one is well-formed."""
    answers = []
    while data:
        match = STATUS_LINE.match(data)
        assert match, f"not an HTTP status line: {data[:80]!r}"
        end = data.index(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in data[match.end() : end].split(b"\r\n"):
            if not line:
                continue
            name, _, value = line.decode("latin-1").partition(":")
            assert name and name == name.strip(), line
            headers[name.lower()] = value.strip()
        data = data[end + 4 :]
        length = 0 if head_only else int(headers.get("content-length", "0"))
        answers.append(Answer(int(match.group(1)), headers, data[:length]))
        data = data[length:]
    return answers


def get(path: str = "/", *extra: str, method: str = "GET", close: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *extra]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_pipelined_requests_are_all_answered_in_order(web: RunningServer) -> None:
    data = get("/") + get("/healthz") + get("/nope") + get("/style.css", close=True)
    answers = parse_answers(exchange(web.web_port, data))
    assert [a.status for a in answers] == [200, 200, 404, 200]
    assert b"<!doctype html>" in answers[0].body.lower()
    assert answers[1].headers["content-type"] == "application/json"
    assert answers[3].headers["content-type"].startswith("text/css")
    assert [a.headers["connection"] for a in answers] == ["keep-alive"] * 3 + ["close"]


def test_a_kept_alive_connection_serves_requests_one_after_another(web: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", web.web_port), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(get("/healthz"))
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                data += sock.recv(65536)
            assert parse_answers(data)[0].status == 200


def test_duplicate_or_missing_host_is_400(web: RunningServer) -> None:
    two_hosts = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    no_host = b"GET / HTTP/1.1\r\n\r\n"
    bad_host = b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"
    for data in (two_hosts, no_host, bad_host):
        answers = parse_answers(exchange(web.web_port, data))
        assert [a.status for a in answers] == [400], data
        assert answers[0].headers["connection"] == "close"
    # HTTP/1.0 needs no Host
    assert parse_answers(exchange(web.web_port, b"GET /healthz HTTP/1.0\r\n\r\n"))[0].status == 200


def test_head_has_the_headers_of_get_without_a_body(web: RunningServer) -> None:
    got = parse_answers(exchange(web.web_port, get("/", close=True)))[0]
    raw = exchange(web.web_port, get("/", method="HEAD", close=True))
    head = parse_answers(raw, head_only=True)[0]
    assert head.status == 200
    assert raw.endswith(b"\r\n\r\n")  # nothing after the headers
    assert head.headers["content-length"] == got.headers["content-length"] != "0"
    assert head.headers["content-type"] == got.headers["content-type"]
    # pipelined after a HEAD, the next answer is read correctly: no stray body in between
    raw = exchange(web.web_port, get("/", method="HEAD") + get("/healthz", close=True))
    _head, rest = raw.split(b"\r\n\r\n", 1)
    assert rest.startswith(b"HTTP/1.1 200 ")


def test_other_methods_are_405_with_allow(web: RunningServer) -> None:
    for method in ("DELETE", "TRACE", "PUT", "POST", "OPTIONS", "PATCH", "CONNECT"):
        answer = parse_answers(exchange(web.web_port, get("/", method=method, close=True)))[0]
        assert answer.status == 405, method
        assert answer.headers["allow"] == "GET, HEAD"
        assert b"<html" not in answer.body.lower()
    answer = parse_answers(exchange(web.web_port, get("/", method="BREW", close=True)))[0]
    assert answer.status == 501


def test_a_request_with_a_body_is_answered_and_the_connection_closed(web: RunningServer) -> None:
    """The body is never read, so it must not be taken for a second request (smuggling)."""
    smuggled = get("/healthz")
    data = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
        + smuggled
    )
    answers = parse_answers(exchange(web.web_port, data))
    assert [a.status for a in answers] == [405]
    assert answers[0].headers["connection"] == "close"
    chunked = b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled
    assert [a.status for a in parse_answers(exchange(web.web_port, chunked))] == [200]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET\r\n\r\n", 400),
        (b"GET /\r\n\r\n", 400),
        (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
        (b"GET / FTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nName : value\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 3000 + b"\r\n", 431),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40) + b"\r\n\r\n", 400),
    ],
)
def test_malformed_requests_are_400(web: RunningServer, data: bytes, status: int) -> None:
    answers = parse_answers(exchange(web.web_port, data))
    assert [a.status for a in answers] == [status]
    assert answers[0].headers["connection"] == "close"


@pytest.mark.parametrize("seed", [1055, 7, 99])
def test_fuzzed_request_heads_get_valid_answers_without_tracebacks(
    web: RunningServer, seed: int
) -> None:
    """Random request heads built from valid and broken pieces: every answer is a well-formed
    HTTP response (or, for a head that never ends, a clean close), and the fixture checks that
    the log has no traceback."""
    rng = random.Random(seed)
    methods = ["GET", "HEAD", "POST", "DELETE", "TRACE", "", "G ET", "get", "\x00", "GÉT"]
    targets = ["/", "/ws", "/healthz", "*", "http://x/", "//", "/%00", "", "/a b", "/\xff"]
    versions = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x", "", "http/1.1", "HTTP/1.12"]
    headers = [
        "Host: 127.0.0.1",
        "Host: 127.0.0.1",
        "Host:",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Connection: close",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "Origin: http://evil.example",
        "Content-Length: 0",
        "Content-Length: 5",
        "Transfer-Encoding: chunked",
        " folded",
        "NoColon",
        "X-\x01: y",
        "X-Long: " + "z" * 9000,
        "Accept: \xff\xfe",
    ]
    for _ in range(200):
        line = " ".join(
            rng.choice(pool) for pool in (methods, targets, versions) if rng.random() < 0.95
        )
        head = [line, *rng.sample(headers, rng.randint(0, 6))]
        sep = rng.choice(["\r\n", "\n", "\r\n"])
        data = (sep.join(head) + sep + sep).encode("latin-1", "replace")
        cut = rng.random() < 0.1
        if cut:
            data = data[: rng.randint(1, len(data))]  # a head cut short
        raw = exchange(web.web_port, data, timeout=3)
        assert raw or cut, data  # every complete head is answered
        if raw.startswith(b"HTTP/1.1 101 "):
            continue  # a valid upgrade: the rest is WebSocket
        if not raw:
            continue  # a head cut short: closed at its end, without an answer
        if data.startswith(b"HEAD "):  # no body, unless the head was refused: check the first
            assert STATUS_LINE.match(raw), (data, raw[:80])
            continue
        for answer in parse_answers(raw):
            assert 200 <= answer.status < 600, data


def test_an_upgrade_that_websockets_cannot_take_still_gets_an_answer(web: RunningServer) -> None:
    """HTTP/1.2 is HTTP/1.1 to HTTP, but not to `websockets`; and an upgrade has no body."""
    upgrade = (
        "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    )
    for data in (
        f"GET / HTTP/1.2\r\n{upgrade}\r\n".encode(),
        f"GET / HTTP/1.1\r\n{upgrade}Content-Length: 2\r\n\r\nhi".encode(),
        f"GET / HTTP/1.1\r\n{upgrade}Sec-WebSocket-Version: 8\r\n\r\n".encode(),
    ):
        answers = parse_answers(exchange(web.web_port, data))
        assert len(answers) == 1 and 400 <= answers[0].status < 500, data
