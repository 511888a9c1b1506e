"""IRC over WebSocket (ircv3.net/specs/extensions/websocket): one asyncio Protocol per connection
on the web port, which is also the session's `Link` once the handshake succeeds.

Each WebSocket message carries exactly one IRC line without its CRLF, both ways. The client picks
a subprotocol: ``binary.ircv3.net`` (binary frames; bytes that are not UTF-8 are refused line by
line exactly as on TCP) or ``text.ircv3.net`` (text frames, which must be UTF-8: a text frame that
is not closes the connection with 1007). A client that offers no subprotocol gets text frames.

Until a WebSocket handshake, a connection speaks plain HTTP/1.1: `net/http.py` splits the input
into request heads (several may come pipelined on one connection, kept alive between them), and
`web.py` answers each one (files, ``/healthz``, 4xx) or lets a WebSocket upgrade through (after
its ``Origin`` check, with the client's address, maybe from a trusted proxy). The upgrade's head
then goes to `websockets`' sans-I/O ``ServerProtocol``, which does the protocol work: it checks
the handshake, and parses incoming frames (unmasking, the size limit, answering pings,
the close handshake). Outgoing *data* frames bypass it, for speed: a server's frames are not
masked, so the frame for one line is the same bytes for every recipient. `FrameCache` builds it
once per distinct line object — fan-out hands one bytes object to all recipients with the same
tag profile (`Server.fanout`) — and `send` writes the frames straight to the transport, like
`StreamLink`. A WebSocket recipient thus costs what a TCP one does: a dict hit and a write.

Flood control pauses the transport (`pause_reading`), like TCP. A slow reader's unsent frames
stay in the transport's buffer and count in `buffered()`, so the SendQ limit drops it.
Keep-alive: the web listener calls `keepalive()` every `PING_INTERVAL` seconds; a connection
that has not answered the previous ping by then is closed with 1011 (not while it is paused by
flood control: then we are the ones not reading).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from websockets.exceptions import NegotiationError
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from socketchat.server.net.http import (
    BadRequest,
    HttpResponse,
    RequestHead,
    RequestReader,
    text_response,
)

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")

# The logger handed to `websockets`' protocol. At DEBUG it logs every frame verbatim — IRC
# lines with AUTHENTICATE payloads, NickServ IDENTIFY and OPER passwords, PASS — so it is
# pinned to INFO: `--log-level DEBUG` must never put a secret into the log. (Its warnings and
# errors, about the protocol and never about frame contents, still come through.)
protocol_log = logging.getLogger("socketchat.websocket.protocol")
protocol_log.setLevel(logging.INFO)

BINARY = Subprotocol("binary.ircv3.net")
TEXT = Subprotocol("text.ircv3.net")
SUBPROTOCOLS: tuple[Subprotocol, ...] = (BINARY, TEXT)

# How long a closing connection may take to finish the close handshake.
CLOSE_TIMEOUT = 5.0
# How long a new connection may take to send its HTTP request.
HANDSHAKE_TIMEOUT = 10.0
# How long a kept-alive HTTP connection may wait for its next request, and how many it may send.
KEEPALIVE_TIMEOUT = 5.0
MAX_REQUESTS_PER_CONNECTION = 100

# A connection's phases: HTTP requests, then (maybe) WebSocket frames; or done (closing).
_HTTP, _WEBSOCKET, _DONE = 0, 1, 2
# Keep-alive: a ping every PING_INTERVAL seconds; no pong by the next one closes (1011).
PING_INTERVAL = 30.0


# Input is parsed in slices of this many bytes, so that flood control can stop it in between.
PARSE_SLICE = 2048
# Sessions closed for these reasons are not read any more (no close handshake).
_FLOODED = ("Excess Flood",)

# The answer, before any request is read, to an address that opens connections too fast
# (`connects_per_ip_per_minute`): the connection is closed after it, never counted as pending.
TOO_FAST_RESPONSE = text_response(429, "Trying to reconnect too fast\n")

# Close codes after which a session's quit reason is just "Connection closed".
_NORMAL_CLOSE = (CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RCVD)


def select_subprotocol(
    protocol: ServerProtocol, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """The first of the client's subprotocols that we speak: the IRCv3 websocket spec says the
    server MUST accept one "respecting the client's order of preference". None offered means
    text; only others: refused."""
    for name in offered:
        if name in SUBPROTOCOLS:
            return name
    if not offered:
        return None
    raise NegotiationError("unsupported subprotocol; expected binary.ircv3.net or text.ircv3.net")


def encode_frame(payload: bytes, opcode: int) -> bytes:
    """One unmasked, unfragmented frame (RFC 6455 5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, length))
    elif length < 65536:
        header = bytes((0x80 | opcode, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 127)) + length.to_bytes(8, "big")
    return header + payload


def line_payload(line: bytes, *, text: bool) -> bytes:
    """An IRC line (ending in CRLF) as a message payload: no CRLF; valid UTF-8 in text frames."""
    body = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\r\n")
    if text:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            body = body.decode("utf-8", "replace").encode("utf-8")
    return body


def _half_close(transport: asyncio.Transport) -> None:
    """End our side of the TCP connection with a FIN, so that the peer still reads everything
    written before it; close outright where a FIN cannot be sent (TLS) or sending it fails.
    Both the end of an HTTP exchange and the end of a WebSocket close this way."""
    if transport.can_write_eof():
        try:
            transport.write_eof()
        except (OSError, RuntimeError):
            transport.close()
    else:
        transport.close()


class FrameCache:
    """Encoded frames by line, shared by every connection of a listener.

    Keys are the line bytes objects the server core hands to `Link.send`; a bytes object caches
    its hash, and dict lookup checks identity first, so a fan-out recipient costs one dict hit.
    The cache is emptied when it holds more than `max_bytes` (it only has to last one fan-out).
    """

    __slots__ = ("_binary", "_size", "_text", "max_bytes")

    def __init__(self, max_bytes: int = 1 << 20) -> None:
        self.max_bytes = max_bytes
        self._binary: dict[bytes, bytes] = {}
        self._text: dict[bytes, bytes] = {}
        self._size = 0

    def frame(self, line: bytes, *, text: bool) -> bytes:
        frames = self._text if text else self._binary
        frame = frames.get(line)
        if frame is None:
            if self._size > self.max_bytes:
                self._binary.clear()
                self._text.clear()
                self._size = 0
            opcode = Opcode.TEXT if text else Opcode.BINARY
            frame = frames[line] = encode_frame(line_payload(line, text=text), opcode)
            self._size += len(line) + len(frame)
        return frame


@dataclass(frozen=True, slots=True)
class Upgrade:
    """`web.py`'s answer to a WebSocket request it allows: go on with the handshake, for a
    client at `ip` (the peer's address, or the one a trusted proxy forwarded)."""

    ip: str


# `web.py`'s handler: a request head and its connection → an answer, or the go-ahead to upgrade.
RequestHandler = Callable[[RequestHead, "WebSocketConnection"], "HttpResponse | Upgrade"]


class WebEndpoint:
    """What every connection of one web listener shares (`web.py` makes one)."""

    __slots__ = (
        "closing",
        "connections",
        "exempt",
        "frames",
        "handle_request",
        "max_size",
        "open_links",
        "server",
        "server_header",
    )

    def __init__(
        self,
        server: Server,
        handle_request: RequestHandler,
        *,
        max_size: int,
        server_header: str,
    ) -> None:
        self.server = server
        self.handle_request = handle_request  # a plain HTTP answer, or Upgrade
        self.max_size = max_size
        self.server_header = server_header
        self.frames = FrameCache()
        self.connections: set[WebSocketConnection] = set()  # every TCP connection
        self.open_links: set[WebSocketConnection] = set()  # those with an IRC session
        self.closing = False  # shutting down: no new WebSocket sessions
        # peers not limited per address before their upgrade (trusted proxies: web.py)
        self.exempt: Callable[[str], bool] = lambda ip: False


class WebSocketConnection(asyncio.Protocol):
    """One TCP connection to the web port: an HTTP request, then maybe an IRC `Link`."""

    __slots__ = (
        "_awaiting_pong",
        "_fragments",
        "_fragments_size",
        "_fragments_text",
        "_http",
        "_lost",
        "_paused",
        "_pending_ip",
        "_phase",
        "_requests",
        "_throttled_ip",
        "_timer",
        "_unread",
        "_waiting",
        "_write_paused",
        "client_ip",
        "endpoint",
        "protocol",
        "session",
        "text",
        "transport",
    )

    def __init__(self, endpoint: WebEndpoint) -> None:
        self.endpoint = endpoint
        self.protocol = ServerProtocol(
            subprotocols=list(SUBPROTOCOLS),
            select_subprotocol=select_subprotocol,
            max_size=endpoint.max_size,
            logger=protocol_log,
        )
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self.text = True  # text.ircv3.net frames (binary.ircv3.net: False)
        self._fragments: list[bytes] = []
        self._fragments_size = 0  # bytes so far, plus one per fragment
        self._fragments_text = False
        self._awaiting_pong = False
        self._paused = False
        self._lost = False  # the peer's EOF (or the connection's end): no more input to parse
        self._timer: asyncio.TimerHandle | None = None
        # data frames that arrived (in the same read) after flood control paused us
        self._waiting: deque[Frame] | None = None
        self._unread: bytearray | None = None  # input not parsed yet (flood control paused us)
        self._phase = _HTTP
        self._http: RequestReader | None = RequestReader()
        self._requests = 0
        self._write_paused = False  # the peer does not read our HTTP answers: stop answering
        self.client_ip = ""  # set by the upgrade (the peer's or a trusted proxy's word)
        # the address this connection counts against while it is no session (None: a trusted
        # proxy, counted in the total only; "": not counted)
        self._pending_ip: str | None = ""
        self._throttled_ip = ""  # the address `reconnect_too_fast` was asked about, at accept

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have the same methods.
        # (asyncio and uvloop both set TCP_NODELAY on TCP connections: nothing to do here.)
        self.transport = cast(asyncio.Transport, transport)
        # Counted against the connection limits from now on, not only once upgraded: a flood
        # of half-sent requests from one address must not hold every descriptor.
        peer = self._peer()[0]
        self._pending_ip = None if self.endpoint.exempt(peer) else peer
        if self._pending_ip is not None:  # a trusted proxy: its client's address, at the upgrade
            self._throttled_ip = peer
            if self.endpoint.server.reconnect_too_fast(peer):
                self._phase = _DONE
                self._pending_ip = ""  # (not counted)
                self.transport.write(TOO_FAST_RESPONSE.serialize())
                self.transport.close()
                return
        if not self.endpoint.server.accept_pending(self._pending_ip):
            self._phase = _DONE
            self._pending_ip = ""  # (not counted)
            self.transport.abort()
            return
        self.endpoint.connections.add(self)
        self._set_timer(HANDSHAKE_TIMEOUT, self._give_up)

    def data_received(self, data: bytes) -> None:
        if self._phase is _WEBSOCKET:
            self._receive(data)
        elif self._phase is _HTTP and self._http is not None:
            self._http.feed(data)
            self._serve_http()
        # _DONE: an answer with "Connection: close" went out; the rest is not read

    def _receive(self, data: bytes) -> None:
        """WebSocket input (from the upgrade request on), parsed a slice at a time: once flood
        control pauses the connection, the rest of the read waits unparsed (`_unread`), so a
        read of tiny frames costs at most one slice of parsing beyond the budget."""
        if self._lost:
            return
        if self._unread is not None:
            self._unread += data
            return
        if not data:  # (events already fed to the protocol: the upgrade request)
            self._receive_slice(data)
            return
        for start in range(0, len(data), PARSE_SLICE):
            if self._lost:  # (dropped meanwhile: SendQ after the close)
                return
            if self._paused or self._waiting is not None:
                self._unread = bytearray(data[start:])
                return
            self._receive_slice(data[start : start + PARSE_SLICE])

    def _receive_slice(self, data: bytes) -> None:
        protocol = self.protocol
        if data:
            protocol.receive_data(data)
        events = protocol.events_received()
        self._write_protocol_output()
        for event in events:
            if isinstance(event, Frame):
                if self._waiting is not None or self._paused:
                    # Flood control paused us mid-read: like the rest of a TCP client's input
                    # the frames wait unread, control and continuation frames too (they spend
                    # credit as well); at most one parse slice of them
                    if self._waiting is None:
                        self._waiting = deque()
                    self._waiting.append(event)
                else:
                    self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
        self._after_protocol()

    def eof_received(self) -> bool | None:
        if self._phase is not _WEBSOCKET:
            return None  # close; connection_lost follows
        self._drop_input()  # websockets refuses data after its EOF (EOFError)
        self.protocol.receive_eof()
        self._write_protocol_output()
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._drop_input()
        if self._phase is _WEBSOCKET:
            self.protocol.receive_eof()  # idempotent: the protocol's state becomes CLOSED
        self._set_timer(0, None)
        self._not_pending()
        self.endpoint.connections.discard(self)
        self.endpoint.open_links.discard(self)
        session = self.session
        if session is not None and not session.closed:
            session.connection_lost(self._close_reason())

    # -- HTTP requests -----------------------------------------------------------------------
    def _serve_http(self) -> None:
        """Answer every complete request that has arrived, in order, until an upgrade or a close.

        Stops while the peer does not read our answers (`pause_writing`), so pipelined requests
        cannot pile answers up in memory; `resume_writing` goes on.
        """
        reader = self._http
        while reader is not None and self._phase is _HTTP and not self._write_paused:
            try:
                head = reader.next_request()
            except BadRequest as exc:
                log.info("web: bad request from %s: %s", self._peer()[0], exc.reason)
                self._answer(text_response(exc.status, f"{exc.reason}\n"), keep_alive=False)
                return
            if head is None:
                return
            self._set_timer(0, None)
            self._requests += 1
            try:
                answer = self.endpoint.handle_request(head, self)
            except Exception:
                log.exception("web: request handling failed")
                answer = text_response(500, "Internal server error\n")
            if isinstance(answer, Upgrade):
                protocol = self.protocol
                protocol.receive_data(head.raw)
                if protocol.handshake_exc is not None:
                    # `websockets` is stricter than HTTP (HTTP/1.2, a body): answer it ourselves
                    protocol.data_to_send()
                    reason = f"Invalid WebSocket request: {protocol.handshake_exc}\n"
                    self._answer(text_response(400, reason), keep_alive=False)
                    return
                self._phase = _WEBSOCKET
                self._http = None
                self.client_ip = answer.ip
                self._receive(reader.rest())  # the Request event, and frames sent right after
                return
            keep_alive = (
                head.keep_alive
                and not head.has_body  # its body is unread: it would be taken for a request
                and self._requests < MAX_REQUESTS_PER_CONNECTION
                and not self.endpoint.closing
                and answer.status < 500
            )
            self._answer(answer, head_only=head.method == "HEAD", keep_alive=keep_alive)
            if keep_alive:
                self._set_timer(KEEPALIVE_TIMEOUT, self._give_up)

    def _answer(self, answer: HttpResponse, *, head_only: bool = False, keep_alive: bool) -> None:
        transport = self.transport
        if transport is None:
            return
        answer = HttpResponse(
            answer.status, (*answer.headers, ("Server", self.endpoint.server_header)), answer.body
        )
        transport.write(answer.serialize(head_only=head_only, keep_alive=keep_alive))
        if keep_alive:
            return
        # Done: half-close so that the client reads the whole answer, then it closes (or the
        # timer ends it). Input after this request is not read.
        self._phase = _DONE
        self._http = None
        _half_close(transport)
        self._set_timer(CLOSE_TIMEOUT, self._give_up)

    def _peer(self) -> tuple[str, int]:
        peer = self.transport.get_extra_info("peername") if self.transport else None
        return (str(peer[0]), int(peer[1])) if peer else ("0.0.0.0", 0)

    def local_address(self) -> tuple[str, int]:
        """The address and port this connection arrived on (one of the listening addresses)."""
        local = self.transport.get_extra_info("sockname") if self.transport else None
        return (str(local[0]), int(local[1])) if local else ("0.0.0.0", 0)

    def peer_address(self) -> tuple[str, int]:
        """The TCP peer: the client, or the proxy in front of us."""
        return self._peer()

    def pause_writing(self) -> None:
        if self._phase is _HTTP and self.transport is not None:
            self._write_paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self._write_paused:
            self._write_paused = False
            if self._phase is _HTTP and self.transport is not None:
                self.transport.resume_reading()
                self._serve_http()

    # -- the WebSocket handshake ------------------------------------------------------------
    def _handshake(self, request: Request) -> None:
        """The upgrade request, as `websockets` parsed it again (`web.py` already allowed it)."""
        self._set_timer(0, None)
        protocol, endpoint = self.protocol, self.endpoint
        response = protocol.accept(request)
        if response.status_code == 101 and endpoint.closing:
            response = protocol.reject(503, "Server is shutting down.\n")
        elif response.status_code == 101 and self._too_fast():
            response = protocol.reject(429, "Trying to reconnect too fast\n")
        response.headers["Server"] = endpoint.server_header
        protocol.send_response(response)
        self._write_protocol_output()
        if response.status_code == 101:
            self._open()
        else:  # the client closes after reading the answer; the timer if it does not
            self._set_timer(CLOSE_TIMEOUT, self._give_up)

    def _too_fast(self) -> bool:
        """Behind a trusted proxy the client's own address is known only now: it is asked
        about once (`Server.reconnect_too_fast`); a direct client was asked at the accept."""
        ip = self.client_ip or self._peer()[0]
        if ip == self._throttled_ip:
            return False
        self._throttled_ip = ip
        return self.endpoint.server.reconnect_too_fast(ip)

    def _not_pending(self) -> None:
        """The connection stops counting as pending (upgraded to a session, or gone)."""
        if self._pending_ip != "":
            self.endpoint.server.pending_done(self._pending_ip)
            self._pending_ip = ""

    def _open(self) -> None:
        assert self.transport is not None
        self._not_pending()  # the session counts from here on
        self.text = self.protocol.subprotocol != BINARY
        self.endpoint.open_links.add(self)
        ip, port = self._peer()
        secure = self.transport.get_extra_info("ssl_object") is not None  # web_tls: WSS
        self.session = self.endpoint.server.connect(
            self, self.client_ip or ip, port, secure=secure, kind="ws"
        )
        if self.client_ip and self.client_ip != ip:
            log.info("web: id=%d came through the trusted proxy %s", self.session.id, ip)

    # -- incoming frames ---------------------------------------------------------------------
    def _frame(self, frame: Frame) -> None:
        """One frame. A whole message in one frame costs what its IRC command costs; every
        other frame (a fragment, a continuation, a ping or pong) costs one unit of flood credit
        itself (`Session.spend`), so that a stream of empty or control frames is slowed down
        and cut off like a stream of lines."""
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._message(bytes(frame.data), text=opcode is Opcode.TEXT)
                return
            self._spend()
            self._fragments = [bytes(frame.data)]
            self._fragments_size = len(frame.data) + 1
            self._fragments_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT:
            self._spend()
            # A message is bounded in bytes (websockets' max_size) and, counting each fragment
            # as one byte more, in fragments: endless empty continuation frames end with 1009.
            self._fragments_size += len(frame.data) + 1
            if self._fragments_size > self.endpoint.max_size:
                self._fragments = []
                self.protocol.fail(CloseCode.MESSAGE_TOO_BIG, "message has too many fragments")
                self._write_protocol_output()
                return
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                data = b"".join(self._fragments)
                self._fragments = []
                self._message(data, text=self._fragments_text)
        elif opcode is Opcode.PONG:
            self._spend()
            self._awaiting_pong = False
        elif opcode is Opcode.PING:
            self._spend()  # (the protocol has answered it; the answer counts against SendQ)
        # CLOSE (echoed) is the protocol's work

    def _spend(self) -> None:
        session = self.session
        if session is not None:
            session.spend()

    def _message(self, data: bytes, *, text: bool) -> None:
        session = self.session
        if session is None or session.closed:
            return
        if text:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.protocol.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
                self._write_protocol_output()
                return
        if data.endswith(b"\n"):
            data = data[:-1]
        if data.endswith(b"\r"):
            data = data[:-1]
        if b"\n" in data or b"\r" in data:
            session.close("Line break inside a WebSocket message")
            return
        session.receive_line(data)

    def _after_protocol(self) -> None:
        """After input: end the session if the WebSocket is closing; bound the close."""
        protocol = self.protocol
        if protocol.state is State.OPEN or protocol.state is State.CONNECTING:
            return
        session = self.session
        if session is not None and not session.closed and self._waiting is None:
            session.connection_lost(self._close_reason())
        if self._timer is None:
            self._set_timer(CLOSE_TIMEOUT, self._give_up)

    def _close_reason(self) -> str:
        rcvd, sent = self.protocol.close_rcvd, self.protocol.close_sent
        if rcvd is not None and rcvd.code not in _NORMAL_CLOSE:
            return f"Connection closed: {rcvd.code} {rcvd.reason}".rstrip()
        if sent is not None and sent.code not in _NORMAL_CLOSE[:2]:
            return f"Connection closed: {sent.code} {sent.reason}".rstrip()
        return "Connection closed"

    # -- output and timers --------------------------------------------------------------------
    def _write_protocol_output(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            else:
                # The server ends the TCP connection (RFC 6455 7.1.1); the client's own close
                # (or the timer) finishes it.
                _half_close(transport)
        # What the protocol wrote on its own (PONGs to a client's pings) is output the client
        # must read too: it counts against the SendQ like every reply.
        # Also once the session is closed: websockets answers pings while CLOSING too, and a
        # peer that never reads must not pile those answers up (the close timer is 5 s away).
        session = self.session
        sendq = self.endpoint.server.config.limits.sendq
        if session is not None and sendq and not transport.is_closing():
            backlog = transport.get_write_buffer_size()
            if backlog > sendq:
                if session.closed:
                    self._drop_input()
                    transport.abort()
                else:
                    self.endpoint.server.sendq_exceeded(session, backlog)

    def _set_timer(self, seconds: float, callback: Callable[[], None] | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if callback is not None:
            self._timer = asyncio.get_running_loop().call_later(seconds, callback)

    def _give_up(self) -> None:
        """No request in time, or a close handshake that did not finish: drop the connection."""
        self._timer = None
        if self.transport is not None:
            self.transport.abort()

    def keepalive(self) -> None:
        """Every PING_INTERVAL (the listener calls it): ping, or close if the last one went
        unanswered."""
        if self.protocol.state is not State.OPEN:
            return
        if self._paused:
            self._awaiting_pong = False  # we are not reading: its silence is ours
            return
        if self._awaiting_pong:
            self.protocol.fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
            self._write_protocol_output()
            self._after_protocol()
            return
        self._awaiting_pong = True
        self.protocol.send_ping(b"keepalive")
        self._write_protocol_output()

    # -- Link ----------------------------------------------------------------------------
    def send(self, lines: list[bytes]) -> None:
        transport = self.transport
        if transport is None or self.protocol.state is not State.OPEN:
            return
        frame = self.endpoint.frames.frame
        text = self.text
        if len(lines) == 1:
            transport.write(frame(lines[0], text=text))
        else:
            transport.write(b"".join([frame(line, text=text) for line in lines]))

    def buffered(self) -> int:
        transport = self.transport
        if transport is None or transport.is_closing():
            return 0
        return transport.get_write_buffer_size()

    def close(self) -> None:
        """Send the close frame (after what is queued); the client's echo ends the connection.

        A flooder gets no close handshake: its connection fails (1008) and what it still sends
        is discarded unparsed, instead of being parsed until its close frame comes."""
        session = self.session
        flooded = session is not None and session.close_reason in _FLOODED
        if self.protocol.state is State.OPEN and session is not None and (flooded or self._paused):
            # A paused connection (flood control: its input waits unread, maybe megabytes of
            # it in the kernel and the peer) is not read again either: parsing it all now,
            # with no flood control left, would answer every ping in it in one go.
            self._drop_input()
            code = CloseCode.POLICY_VIOLATION if flooded else CloseCode.NORMAL_CLOSURE
            self.protocol.fail(code, session.close_reason if flooded else "")
            self._write_protocol_output()
            self._after_protocol()
            return
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(CloseCode.NORMAL_CLOSURE)
            self._write_protocol_output()
            if self._paused:
                self.resume_reading()  # the client's close frame must be read
            self._after_protocol()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def pause_reading(self) -> None:
        if self.transport is not None and not self._paused and self.protocol.state is State.OPEN:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is None or not self._paused:
            return
        self._paused = False
        if self._waiting or self._unread:
            # Like a resumed transport, deliver later, not from inside the session's release
            asyncio.get_running_loop().call_soon(self._deliver_waiting)
        elif not self.transport.is_closing():
            self._waiting = None
            self.transport.resume_reading()

    def _drop_input(self) -> None:
        """Forget the input that waits unparsed: the connection is ending (or ended)."""
        self._lost = True
        self._waiting = self._unread = None

    def _deliver_waiting(self) -> None:
        if self._lost:  # ended meanwhile (scheduled by resume_reading before it did)
            return
        waiting = self._waiting
        while waiting and not self._paused:
            self._frame(waiting.popleft())
        if self._paused or self.transport is None:
            return  # paused again: the rest still waits
        self._waiting = None
        unread, self._unread = self._unread, None
        if unread:
            self._receive(bytes(unread))
            if self._paused or self._unread is not None or self._waiting is not None:
                return
        if not self.transport.is_closing():
            self.transport.resume_reading()
        self._after_protocol()  # a close that arrived behind the waiting frames
