"""HTTP/1.1 on the web port, sans-I/O: request heads in, answers out (RFC 9110, RFC 9112).

The web port needs only a small part of HTTP: ``GET`` and ``HEAD`` of a few files, and the
WebSocket upgrade. But everything a client may send has to get a well-formed answer, never a
traceback: `RequestReader` splits the incoming bytes into request heads, one after the other
(pipelining: a client may send several requests without waiting), and turns anything malformed
into `BadRequest` with the status to answer (400, 414, 431, 501, 505). `HttpResponse.serialize`
writes an answer (for ``HEAD``: the same headers, no body).

Request bodies are never read. A request that announces one (``Content-Length`` other than 0,
or ``Transfer-Encoding``) is answered and the connection closed, since its body would otherwise
be read as the next request (request smuggling).

An upgrade request's head bytes are kept (`RequestHead.raw`): the WebSocket handshake itself is
`websockets`' work, and it parses them again.
"""

from __future__ import annotations

import email.utils
import http
import re
from dataclasses import dataclass

# Longest request line and longest head (request line + headers); 8 KiB per line is what most
# servers allow, and no request this port serves needs more.
MAX_REQUEST_LINE = 8192
MAX_HEAD_BYTES = 16384
MAX_HEADERS = 100

# Methods this port implements, and those HTTP defines that it does not allow (405, with Allow);
# anything else is 501 (RFC 9110 9.1).
ALLOWED_METHODS = ("GET", "HEAD")
KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# request-target: printable ASCII without spaces (RFC 3986 characters and a few more in practice)
_TARGET = re.compile(rb"[!-~]+")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
# a field value: visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
# Host: reg-name, IPv4 or [IPv6] with an optional port (RFC 9110 7.2 / RFC 3986 3.2.2)
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]*)?")
_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")


class BadRequest(Exception):
    """A request that cannot be served: answer `status`, then close the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RequestHead:
    """One parsed request head. Header names are lower-cased; values keep their order."""

    method: str
    target: str
    version: str  # "HTTP/1.1" or "HTTP/1.0"
    headers: tuple[tuple[str, str], ...]
    raw: bytes  # the head (with CRLF line ends) for the WebSocket handshake

    @property
    def path(self) -> str:
        """The path without the query; an absolute-form target (``http://h/p``) gives ``/p``."""
        target = self.target
        if "://" in target:
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        return target.partition("?")[0].partition("#")[0]

    def get(self, name: str) -> str | None:
        """The header's value; several lines of it are joined with ", " (RFC 9110 5.3)."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    def tokens(self, name: str) -> set[str]:
        """A comma-separated header's elements, lower-cased (``Connection``, ``Upgrade``)."""
        out: set[str] = set()
        for value in self.get_all(name):
            out.update(part.strip().lower() for part in value.split(",") if part.strip())
        return out

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection stay open after the answer (RFC 9112 9.3)."""
        connection = self.tokens("connection")
        if "close" in connection:
            return False
        return self.version == "HTTP/1.1" or "keep-alive" in connection

    @property
    def has_body(self) -> bool:
        return bool(self.get_all("transfer-encoding")) or any(
            value.strip() != "0" for value in self.get_all("content-length")
        )

    @property
    def is_upgrade(self) -> bool:
        """A WebSocket handshake request (RFC 6455 4.2.1)."""
        return "websocket" in self.tokens("upgrade") and "upgrade" in self.tokens("connection")


def parse_head(raw: bytes) -> RequestHead:
    """Parse one request head (request line and header lines, with the blank line)."""
    lines = raw.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise BadRequest(400, "empty request")
    request_line = lines[0]
    if len(request_line) > MAX_REQUEST_LINE:
        raise BadRequest(414, "request line too long")
    parts = request_line.split(b" ")
    if len(parts) != 3:
        raise BadRequest(400, "malformed request line")
    raw_method, raw_target, raw_version = parts
    if not _TOKEN.fullmatch(raw_method):
        raise BadRequest(400, "malformed method")
    if not _TARGET.fullmatch(raw_target):
        raise BadRequest(400, "malformed request target")
    version = _VERSION.fullmatch(raw_version)
    if version is None:
        raise BadRequest(400, "malformed HTTP version")
    if version.group(1) != b"1":
        raise BadRequest(505, "HTTP version not supported")
    header_lines = lines[1:]
    if len(header_lines) > MAX_HEADERS:
        raise BadRequest(431, "too many header fields")
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        if line[:1] in (b" ", b"\t"):
            raise BadRequest(400, "obsolete line folding")  # RFC 9112 5.2
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise BadRequest(400, "malformed header field")
        value = value.strip(b" \t")
        if not _FIELD_VALUE.fullmatch(value):
            raise BadRequest(400, "invalid character in a header field")
        headers.append((name.decode("ascii").lower(), value.decode("latin-1")))
    head = RequestHead(
        raw_method.decode("ascii"),
        raw_target.decode("ascii"),
        "HTTP/1.1" if version.group(2) != b"0" else "HTTP/1.0",
        tuple(headers),
        b"\r\n".join(lines) + b"\r\n\r\n",  # CRLF line ends, as `websockets` wants them
    )
    _check_framing(head)
    return head


def _check_framing(head: RequestHead) -> None:
    """The header fields whose misuse would confuse where a request ends or who it is for."""
    hosts = head.get_all("host")
    if len(hosts) > 1:
        raise BadRequest(400, "more than one Host header field")  # RFC 9112 3.2
    if not hosts and head.version == "HTTP/1.1":
        raise BadRequest(400, "missing Host header field")
    if hosts and not _HOST.fullmatch(hosts[0]):
        raise BadRequest(400, "invalid Host header field")
    lengths = {value.strip() for value in head.get_all("content-length")}
    if lengths and (len(lengths) > 1 or not all(v.isascii() and v.isdigit() for v in lengths)):
        raise BadRequest(400, "invalid Content-Length")
    if head.get_all("transfer-encoding") and lengths:
        raise BadRequest(400, "both Transfer-Encoding and Content-Length")


class RequestReader:
    """Splits a connection's bytes into request heads, in order (pipelining)."""

    __slots__ = ("_buffer", "_scanned")

    def __init__(self) -> None:
        self._buffer = bytearray()
        # how far the buffer is known to hold no end of head: a head sent byte by byte is
        # scanned once, not once per byte
        self._scanned = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_request(self) -> RequestHead | None:
        """The next complete request head, or None until more bytes arrive.

        Raises `BadRequest` for a malformed or oversized head; the connection must then be
        answered and closed (what follows cannot be trusted to start a request).
        """
        buffer = self._buffer
        # Empty lines before a request line are ignored (RFC 9112 2.2)
        start = 0
        while buffer[start : start + 2] == b"\r\n" or buffer[start : start + 1] == b"\n":
            start += 2 if buffer[start : start + 1] == b"\r" else 1
        if start:
            del buffer[:start]
            self._scanned = 0
        end = _END_OF_HEAD.search(buffer, max(0, self._scanned - 3))
        if end is None:
            self._scanned = len(buffer)
            first_line_end = buffer.find(b"\n")
            if first_line_end < 0 and len(buffer) > MAX_REQUEST_LINE:
                raise BadRequest(414, "request line too long")
            if len(buffer) > MAX_HEAD_BYTES:
                raise BadRequest(431, "request header fields too large")
            return None
        if end.end() > MAX_HEAD_BYTES:
            raise BadRequest(431, "request header fields too large")
        raw = bytes(buffer[: end.end()])
        del buffer[: end.end()]
        self._scanned = 0
        return parse_head(raw)

    def rest(self) -> bytes:
        """What arrived after the heads read so far (taken out of the reader)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        return data


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete answer; `serialize` adds the framing headers."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def serialize(self, *, head_only: bool = False, keep_alive: bool = False) -> bytes:
        """The answer's bytes; `head_only` (a HEAD request) leaves out the body but not its
        Content-Length. 1xx, 204 and 304 answers never have a body (RFC 9110 6.4.1)."""
        try:
            phrase = http.HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        no_body = self.status < 200 or self.status in (204, 304)
        lines = [f"HTTP/1.1 {self.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if not no_body:
            lines.append(f"Content-Length: {len(self.body)}")
        lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if head_only or no_body:
            return head
        return head + self.body


# Sent with every answer of the web port.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def http_response(
    status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    headers = (
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Content-Type", content_type),
        *SECURITY_HEADERS,
        *extra,
    )
    return HttpResponse(status, headers, body)


def text_response(status: int, text: str, extra: tuple[tuple[str, str], ...] = ()) -> HttpResponse:
    return http_response(
        status, text.encode(), "text/plain; charset=utf-8", (("Cache-Control", "no-store"), *extra)
    )
