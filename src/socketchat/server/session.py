"""One client connection, sans-I/O: bytes in, replies into an outbox, flood control, timeouts.

Theory of operation
-------------------
An adapter (TCP, TLS or WebSocket; see `server/net/`) creates a session with `Server.connect`, then
pushes whatever the peer sends into `receive_data` (streams) or `receive_line` (message transports).
The session frames lines (`irc.framing`), admits them through flood control and hands each parsed
`Message` to the command dispatcher (`server/commands/dispatch.py`).

Nothing is written to the network while a command runs. Replies and relayed messages are appended,
already encoded, to `outbox`, and the session marks itself dirty on the server. Once per event-loop
turn the adapter calls `Server.flush()`, which commits history and hands each dirty session's
outbox to its `Link` in one write. A busy channel therefore costs one write per recipient per loop
turn, however many messages arrived in that turn, and nobody waits for a slow reader: a peer whose
unsent bytes pass the SendQ limit is dropped instead.

Flood control is "fake lag": each command moves the session's lag clock forward by its cost
(`commands/spec.Cost`: at least one unit, more for work that grows with its arguments or answer)
times 1/flood_rate s, on the server's monotonic clock;
while the lag clock is more than flood_burst commands ahead of real time, new lines wait in `inbox`
(the adapter also stops reading from the socket); `Server.tick()` releases them as time passes
(the server asks its adapter for a tick at `release_at()`). A peer that keeps more than
flood_max_queued lines or flood_max_queued_bytes bytes waiting is disconnected ("Excess Flood").
Reading resumes only once the inbox is empty, so what waits is at most one read's worth of lines.

The same inbox keeps order while a command's blocking work (a password check, see
`Server.offload`) runs elsewhere: `hold()` makes every later line wait in `inbox`, under the same
line and byte caps, and `release()` processes them in order (still subject to flood control).

Lines holding NUL or a lone CR are refused (they could smuggle a second line to other clients),
like lines that are too long or not UTF-8: each gets an error reply and the connection survives.

A session ends exactly once, through `close()`: it leaves its channels (QUIT to everyone who shared
one), gets an ERROR line, and the adapter closes the link after the final flush.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from socketchat.irc.framing import FramingError, LineBuffer
from socketchat.irc.message import Message, ParseError, encode_line, parse_message
from socketchat.server.link import NULL_LINK, Link
from socketchat.server.user import User

if TYPE_CHECKING:
    from socketchat.server.commands.multiline import OpenBatch
    from socketchat.server.core import Server
    from socketchat.server.state import Channel

log = logging.getLogger("socketchat.server")

# Bad input lines logged per session; after that they are only answered, not logged.
BAD_INPUT_LOG_LIMIT = 3

_NO_CAPS: frozenset[str] = frozenset()

# Tag-profile bits: which tags a session may see. Sessions with the same bits get the same bytes.
SEES_TIME = 1  # server-time
SEES_TAGS = 2  # message-tags: msgid and client-only tags
SEES_ACCOUNT = 4  # account-tag
SEES_BATCH = 8  # batch


class Session:
    __slots__ = (
        "__weakref__",
        "bad_input",
        "cap_negotiating",
        "cap_version",
        "caps",
        "capture",
        "certfp",
        "close_reason",
        "closed",
        "connected_mono",
        "deferred_label",
        "dirty",
        "framer",
        "held",
        "id",
        "inbox",
        "inbox_bytes",
        "internal_errors",
        "ip",
        "kind",
        "lag_clock",
        "last_seen",
        "link",
        "multiline",
        "outbox",
        "outbox_bytes",
        "pass_given",
        "paused",
        "pending_433",
        "ping_sent_at",
        "port",
        "processing",
        "registered",
        "sasl",
        "secure",
        "server",
        "spent_pause",
        "tagmask",
        "user",
        "wanted_nick",
    )

    def __init__(
        self,
        server: Server,
        session_id: int,
        link: Link,
        ip: str,
        port: int,
        host: str,
        *,
        secure: bool = False,
        kind: str = "tcp",
    ) -> None:
        limits = server.config.limits
        now = server.monotonic()
        self.server = server
        self.id = session_id
        self.link = link
        self.ip = ip
        self.port = port
        self.secure = secure
        self.kind = kind
        self.framer = LineBuffer(limits.max_line_bytes, limits.max_tag_bytes)
        self.user = User(session_id, ip, host, server.clock(), now)
        self.user.sessions.append(self)
        self.multiline: OpenBatch | None = None  # a draft/multiline batch being received
        self.pending_433 = False  # the deferred 433 for `wanted_nick` was sent (registration.py)
        self.wanted_nick = ""  # the nick asked for before registration, even if it was taken
        self.registered = False
        self.pass_given = ""
        self.cap_negotiating = False
        self.cap_version = 0
        self.caps: frozenset[str] = _NO_CAPS  # (shared while empty: idle memory)
        self.tagmask = 0
        self.certfp: str | None = None  # SHA-256 of a TLS client certificate (SASL EXTERNAL)
        self.sasl: object | None = None  # SASL exchange in progress (storage/accounts)
        # every duration (timeouts, idle time, flood control) is measured on the monotonic clock
        self.connected_mono = now
        self.last_seen = now
        self.ping_sent_at = 0.0
        self.lag_clock = now
        # lines held back (flood control, offloaded work); created when needed: an empty deque
        # is ~600 bytes, a third of an idle connection's Python memory
        self.inbox: deque[tuple[Message | FramingError | ParseError, int]] | None = None
        self.inbox_bytes = 0
        self.bad_input = 0
        self.internal_errors = 0  # handler bugs hit by this session (tracebacks are capped)
        self.paused = False
        self.spent_pause = False  # paused by `spend` (frames), not by a waiting line
        self.held = 0  # blocking work in flight for this session: input waits (hold/release)
        self.processing = False  # a line's command is running (release() must not re-enter)
        self.outbox: list[bytes] = []
        self.outbox_bytes = 0
        self.dirty = False
        self.capture: list[Message] | None = None  # labeled-response: replies held back
        # a labeled command waiting for offloaded work: its label and replies so far
        self.deferred_label: tuple[str, list[Message]] | None = None
        self.closed = False
        self.close_reason = ""

    # -- identity: the person's (user.py), shared by every session attached to it ----------
    @property
    def nick(self) -> str:
        return self.user.nick

    @property
    def folded(self) -> str:
        return self.user.folded

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def host(self) -> str:
        return self.user.host

    @host.setter
    def host(self, host: str) -> None:
        self.user.host = host

    @property
    def realname(self) -> str:
        return self.user.realname

    @property
    def account(self) -> str | None:
        return self.user.account

    @property
    def away(self) -> str | None:
        return self.user.away

    @property
    def modes(self) -> set[str]:
        return self.user.modes

    @property
    def channels(self) -> dict[str, Channel]:
        return self.user.channels

    @property
    def prefix(self) -> str:
        return self.user.prefix

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.nick} {self.ip}:{self.port}>"

    def set_caps(self, caps: Iterable[str]) -> None:
        self.caps = frozenset(caps)
        mask = 0
        if "server-time" in self.caps:
            mask |= SEES_TIME
        if "message-tags" in self.caps:
            mask |= SEES_TAGS
        if "account-tag" in self.caps:
            mask |= SEES_ACCOUNT
        if "batch" in self.caps:
            mask |= SEES_BATCH
        self.tagmask = mask

    # -- input ----------------------------------------------------------------------------
    def receive_data(self, data: bytes) -> None:
        """Bytes from a stream transport."""
        if self.closed:
            return
        self.last_seen = self.server.monotonic()
        for item in self.framer.feed(data):
            self._admit(item)
            if self.closed:
                return

    def receive_line(self, line: str | bytes) -> None:
        """One line from a message transport (a WebSocket frame)."""
        if self.closed:
            return
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        self.receive_data(line + b"\n")

    def _admit(self, item: str | FramingError) -> None:
        parsed: Message | FramingError | ParseError
        size = len(item) if isinstance(item, str) else 0
        if isinstance(item, FramingError):
            parsed = item
        elif "\0" in item or "\r" in item:
            parsed = ParseError("NUL and CR are not allowed inside a line")
        else:
            try:
                parsed = parse_message(item)
            except ParseError as exc:
                parsed = exc
        if self.inbox or self.held or not self._has_credit():
            self._delay(parsed, size)
            return
        self._process(parsed)

    def _delay(self, parsed: Message | FramingError | ParseError, size: int) -> None:
        """Flood control: hold a line back, stop reading; disconnect a persistent flooder."""
        limits = self.server.config.limits
        inbox = self.inbox
        if inbox is None:
            inbox = self.inbox = deque()
        if (limits.flood_max_queued and len(inbox) >= limits.flood_max_queued) or (
            limits.flood_max_queued_bytes
            and self.inbox_bytes + size > limits.flood_max_queued_bytes
        ):
            admitted, left_out = self.server.incident_log.admit(self.server.monotonic(), 0)
            if admitted:  # (a flooder that reconnects must not flood the log instead)
                log.warning(
                    "flood: id=%d nick=%s from %s: %d lines / %d bytes waiting, disconnecting%s",
                    self.id,
                    self.nick,
                    self.ip,
                    len(inbox),
                    self.inbox_bytes,
                    f" ({left_out} more such incidents not logged)" if left_out else "",
                )
            self.close("Excess Flood")
            return
        if not inbox and not self.held:
            self.server.delay(self)  # flood control: tick when the line may go (release() else)
        inbox.append((parsed, size))
        self.inbox_bytes += size
        if not self.paused:
            self.paused = True
            self.link.pause_reading()
            log.info("flood: id=%d nick=%s from %s: input delayed", self.id, self.nick, self.ip)

    def _flood_control(self) -> bool:
        limits = self.server.config.limits
        return limits.flood_rate > 0 and limits.flood_burst > 0

    def _has_credit(self) -> bool:
        if not self._flood_control():
            return True
        now = self.server.monotonic()
        if self.lag_clock < now:
            self.lag_clock = now
        return self.lag_clock - now <= self._lead()

    def _lead(self) -> float:
        """How far the lag clock may run ahead of real time and still admit a command."""
        limits = self.server.config.limits
        return (limits.flood_burst - 1) / limits.flood_rate

    def release_at(self) -> float:
        """When (server monotonic clock) flood control will admit the next delayed line."""
        if not self._flood_control():
            return self.server.monotonic()
        return self.lag_clock - self._lead() + 1e-6

    def _process(self, item: Message | FramingError | ParseError) -> None:
        self.processing = True
        server = self.server
        if not isinstance(item, Message):
            self.bad_input += 1
            admitted, left_out = self.server.bad_input_log.admit(
                self.server.monotonic(), self.bad_input - 1
            )
            if admitted:  # a few per session, a bounded number per minute in all
                log.warning(
                    "bad input: id=%d nick=%s from %s: %s%s%s",
                    self.id,
                    self.nick,
                    self.ip,
                    item.detail if isinstance(item, FramingError) else item,
                    f" ({left_out} earlier bad lines not logged)" if left_out else "",
                    " (further bad lines not logged)"
                    if self.bad_input == BAD_INPUT_LOG_LIMIT
                    else "",
                )
        sequencer = server.sequencer
        if sequencer is not None and not sequencer.applying:
            # a cluster node: run when it comes back from the log (a bad line too, so that
            # its error reply keeps its place among the replies to the lines before it)
            sequencer.submit(self, item)
            cost = 1
        elif isinstance(item, Message):
            cost = server.dispatcher.dispatch(server, self, item)
        else:
            cost = server.dispatcher.reject(server, self, item)
        self.processing = False
        if cost and self._flood_control():
            self.lag_clock += cost / self.server.config.limits.flood_rate

    def release_delayed(self) -> bool:
        """Process queued lines that flood control now admits. True while some still wait for
        flood control (False while held: `release` goes on)."""
        while (inbox := self.inbox) and not self.closed:
            if self.held:
                return False
            if not self._has_credit():
                return True
            item, size = inbox.popleft()
            self.inbox_bytes -= size
            self._process(item)
        if self.inbox is not None and not self.inbox:
            self.inbox = None
        if self.paused and not self.closed:
            if self.spent_pause:
                if not self._has_credit():
                    return True  # what the transport itself spent (`spend`) is not back yet
                self.spent_pause = False
            self.paused = False
            self.link.resume_reading()
        return False

    def spend(self, units: int = 1) -> None:
        """Flood credit for work that is not a command: a WebSocket control or continuation
        frame. Past the budget the transport stops reading until the credit is back, exactly
        as for lines (`release_delayed` resumes it)."""
        if self.closed or not self._flood_control():
            return
        self._has_credit()  # (brings an idle lag clock up to now)
        self.lag_clock += units / self.server.config.limits.flood_rate
        if not self._has_credit() and not self.paused:
            self.paused = self.spent_pause = True
            self.link.pause_reading()
            if not self.inbox and not self.held:
                self.server.delay(self)

    def hold(self) -> None:
        """Blocking work for this session is in flight: later input waits in order."""
        self.held += 1

    def release(self) -> None:
        """The work is done: process what waited (flood control still applies).

        Called while a line is being processed (the work ran inline), it only lifts the hold:
        the loop feeding lines in goes on with the next one by itself.
        """
        if not self.held:
            return
        self.held -= 1
        if self.held or self.closed or self.processing:
            return
        if self.release_delayed():
            self.server.delay(self)

    # -- output ---------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Append one encoded line to the outbox."""
        if self.closed or self.link is NULL_LINK:  # (another cluster node's to write)
            return
        self.outbox.append(data)
        self.outbox_bytes += len(data)
        if not self.dirty:
            self.dirty = True
            self.server.mark_dirty(self)

    def send(self, msg: Message) -> None:
        """Send one message, encoded for this session's capabilities."""
        if self.capture is not None:
            self.capture.append(msg)
            return
        self.write(self.server.encode(msg, self.tagmask))

    def numeric(self, code: str, *params: str) -> None:
        if self.capture is None:  # (the common case, without building a Message: it is hot)
            self.write(encode_line(code, (self.nick, *params), self.server.name))
            return
        self.send(Message(code, (self.nick, *params), self.server.name))

    def notice(self, text: str) -> None:
        self.send(Message("NOTICE", (self.nick, text), self.server.name))

    def fail(self, command: str, code: str, description: str, *context: str) -> None:
        """An IRCv3 standard reply: FAIL <command> <code> [<context>...] :<description>."""
        self.send(Message("FAIL", (command, code, *context, description), self.server.name))

    def send_batch(
        self,
        kind: str,
        params: tuple[str, ...],
        lines: Iterable[Message],
        tags: dict[str, str] | None = None,
    ) -> None:
        """`lines` in one IRCv3 batch of type `kind` (`params` after it on the opening BATCH,
        `tags` on it too), or one by one, as they are, to a client without `batch`. A line that
        already names a batch (the lines of a nested one) keeps it; the others get this one's.
        Every batch the server sends to one client goes out here: CHATHISTORY, metadata,
        draft/isupport, labeled-response (a multiline message, relayed to many, is built by
        `commands/multiline.build` for the fan-out)."""
        if "batch" not in self.caps:
            for line in lines:
                self.send(line)
            return
        ref = self.server.next_msgid()
        self.send(Message("BATCH", ("+" + ref, kind, *params), self.server.name, tags or {}))
        for line in lines:
            self.send(line if "batch" in line.tags else line.with_tags({**line.tags, "batch": ref}))
        self.send(Message("BATCH", ("-" + ref,), self.server.name))

    def take_output(self) -> list[bytes]:
        out = self.outbox
        self.outbox = []
        self.outbox_bytes = 0
        self.dirty = False
        return out

    # -- ending ---------------------------------------------------------------------------
    def close(self, reason: str, *, quit_message: str | None = None, final: bool = False) -> None:
        """End the session: leave everything, send ERROR, close the link after the next flush.

        Its user stays if another device is attached, or (always-on) if it is a registered
        account's — unless `final` (KILL, K-line, GHOST: they end the person, not a device).
        """
        if self.closed:
            return
        sequencer = self.server.sequencer
        if sequencer is not None and not sequencer.applying:
            # a cluster node: every node ends the session when the log says so
            sequencer.request_close(self, reason, quit_message)
            return
        self.capture = None
        self.server.disconnect(
            self, quit_message if quit_message is not None else reason, final=final
        )
        self.write(Message("ERROR", (f"Closing link: {self.host} ({reason})",)).to_bytes())
        self.closed = True
        self.close_reason = reason

    def connection_lost(self, reason: str = "Connection closed") -> None:
        """The adapter saw the peer go away."""
        if not self.closed:
            self.close(reason)
