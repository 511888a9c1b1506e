"""The client core: IRC protocol state, user commands and events, without any I/O.

Theory of operation
-------------------
`ClientCore` is a state machine driven from outside by four kinds of calls, each of which takes
the current time (``now``, POSIX seconds) from the caller: the core never reads a clock, opens a
socket or starts a thread, so the same object serves the asyncio terminal client, the tkinter
client (through `socketchat.client.threaded`) and the tests (which feed it strings).

1. Connection lifecycle, from the I/O adapter: `connecting` → `connection_made` → any number of
   `receive_data` (or `receive_line`) → `connection_lost`, then possibly `reconnect_scheduled`
   and again `connecting`. `tick` lets the core send keep-alive PINGs and notice a dead server.
2. User actions, from the view: `handle_input` (a typed line: text or a ``/command``),
   `set_current` (the tab the user looks at), `close_buffer`, `load_older` (scrolled to the
   top: fetch older history).
3. Outputs, pulled by the adapter after every call: `data_to_send()` (bytes for the socket),
   `pop_events()` (frozen events for the view, see `socketchat.client.events`) and
   `take_close_request()` (the core wants the socket closed: /exit, or a ping timeout).
4. Read-only state for views on the same thread: `nick`, `state`, `current`, `buffer_names()`,
   `lines()`, `members()`, `topic()`, `unread()`.

Per connection the core goes ``connecting → registering → connected``. Registration sends
``CAP LS 302``, NICK and USER (PASS first when configured), requests the IRCv3 capabilities it
understands, authenticates with SASL PLAIN when an account is configured, then ``CAP END``. A nick
in use during registration is retried with alternatives (``nick_``, ``nick__``, ``nick2``...), or,
with ``ClientConfig.ask_nick``, reported (`NickRefused`) for the view to ask the user again.
After 001 the core joins every channel it wants (the configured ones at first, afterwards every
channel the user is in: a reconnect rejoins them all) and sends what the user typed while
offline. Typed messages are never dropped silently: while not registered they wait in a bounded
queue (shown as "queued"); a channel's queued messages go out once that channel is rejoined.

With ``echo-message`` the user's own messages are displayed when the server echoes them back (so
the view shows what the server accepted, with its timestamp); without it, when they are sent.

Buffers are the tabs: the status buffer (`STATUS_BUFFER`), one per channel and one per private
conversation. Each keeps a bounded scrollback, an unread count and, for channels, the members and
the topic. Every chat line carries a local, timezone-aware time: the server's ``time`` tag when
present (server-time), else the ``now`` the caller passed with the data.

Where things live
-----------------
- `core.py` (this module): the façade above — lifecycle, outputs, the public API, and the few
  helpers the other modules share (`send`, `info`, `set_state`…).
- `state.py`: `ChatModel` — buffers, users, members, scrollback, unread counts, casemapping.
- `commands.py`: the typed ``/command`` table (name → handler, usage, help).
- `incoming.py`: server messages, in a table keyed by command and numeric.
- `registration.py`: CAP negotiation, SASL, nick retries, 001/005.
- `outgoing.py`: sending typed text (splitting, the offline queue).
- `who.py`: WHO requests and replies, and resolving ``/pm <ip>`` to a nick.
- `accounts.py`: /register, /identify, RPL_LOGGEDIN, passwords kept off screen.
- `history.py`: chathistory on join and scroll-back, placing replayed lines in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from socketchat.client import (
    commands,
    history,
    incoming,
    multiline,
    presence,
    reactions,
    readmarker,
    redaction,
    registration,
    search,
    typing,
)
from socketchat.client.events import (
    STATUS_BUFFER,
    BufferKind,
    ChannelEntry,
    ChatLine,
    ConnectionState,
    Event,
    ExitRequested,
    LineKind,
    Member,
    NickChanged,
    Reaction,
    Said,
    StatusChanged,
    tr,
)
from socketchat.client.helpers import complete_nick
from socketchat.client.history import Batch
from socketchat.client.outgoing import Queued
from socketchat.client.registration import WANTED_CAPS, Negotiation
from socketchat.client.state import ChatModel
from socketchat.client.who import WhoRequest
from socketchat.client.whois import Card
from socketchat.irc.framing import MAX_TAGS, FramingError, LineBuffer
from socketchat.irc.message import Message, ParseError, parse_message

COMMANDS = commands.COMMANDS

# What the client accepts from a server: the full 8191 bytes of tags a server may send, and a
# body well past 512 bytes. Lines of 512 bytes are what servers should send, but a receiver that
# drops a longer one loses a message its sender saw go out (servers that add the source prefix
# to a full-length line without cutting it send ~570 bytes; some allow LINELEN up to 2048).
# The bound only keeps one endless line from growing the buffer without limit.
RECEIVE_MAX_LINE = 4096

__all__ = ["COMMANDS", "WANTED_CAPS", "ClientConfig", "ClientCore", "CloseRequest"]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What the user configured. `channels` are joined after the first registration."""

    nick: str
    channels: tuple[str, ...] = ("#lobby",)
    username: str | None = None  # default: the nick
    realname: str = "socketchat user"
    password: str | None = None  # server password (PASS)
    account: str | None = None  # SASL PLAIN account
    account_password: str | None = None
    scrollback: int = 1000  # lines kept per buffer
    max_queued: int = 100  # messages kept while offline
    history_lines: int = 50  # chathistory lines fetched on join, when the server offers it
    ping_interval: float = 90.0  # idle seconds before we PING the server
    ping_timeout: float = 60.0  # seconds without an answer before we give up
    # A refused nick while connecting (432/433): False tries nick_, nick__, nick2... by itself;
    # True waits for the view to ask the user (`NickRefused`, then `ClientCore.choose_nick`).
    ask_nick: bool = False
    # Private conversations to open at start (the views' settings file: tabs open last time).
    queries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CloseRequest:
    """The core wants the connection closed; `reconnect` is False after /exit or /quit."""

    reason: str
    reconnect: bool


class ClientCore:
    """The sans-I/O IRC client. See the module docstring for how to drive it."""

    # The typed-command table, for handlers that quote a usage line (`chanops.py`): the table
    # imports them, so they reach it through the core rather than importing it back.
    command_table: ClassVar[Mapping[str, commands.Command]] = COMMANDS

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.desired_nick = config.nick
        self.nick = config.nick
        self.state: ConnectionState = "disconnected"
        self.server = ""
        self.away = False
        self.exiting = False
        self.account: str | None = None  # logged in as (RPL_LOGGEDIN)
        self.registered = False
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self._events: list[Event] = []
        self.monitored: dict[str, str] = {}  # folded → nick we MONITOR (private tabs)
        self.monitoring = False  # this connection's MONITOR list was sent
        self.model = ChatModel(config.scrollback, self._model_event)
        self.model.on_looked_at = lambda buffer: readmarker.looked_at(self, buffer)
        # What the core's modules share (not for views):
        self.wanted: dict[str, str] = {}  # folded → channel name to (re)join
        self.focus_on_join: set[str] = set()
        self.first_join_pending = {self.model.fold(c) for c in config.channels}
        self.queue: deque[Queued] = deque()  # typed while offline
        self.who: deque[WhoRequest] = deque()
        self.names_requested: set[str] = set()
        self.ignored: dict[str, str] = {}  # folded nick → nick (/ignore: hidden here only)
        self.whois: dict[str, Card] = {}  # folded nick → the WHOIS card being gathered
        self.whois_buffers: dict[str, str] = {}  # folded nick → where /whois was typed
        self.batches: dict[str, Batch] = {}  # open BATCH reference → batch
        # folded nick → the time of its latest line, waiting for the read marker (history.py)
        self.missed: dict[str, datetime] = {}
        self.me_prefix_len = 0  # len(":nick!user@host") as the server sees us
        self.pending_account_buffer: str | None = None  # where /register, /identify was typed
        self.negotiation = Negotiation()
        self.typing_out: typing.Outgoing | None = None  # what we last said about our typing
        self.multiline_refs = 0  # batch references we made up (draft/multiline)
        self.multiline_in: dict[str, multiline.Gathering] = {}  # open received batches
        self.listing: list[ChannelEntry] | None = None  # /list answers being gathered
        self.list_buffer: str | None = None  # where /list was typed
        self.list_mask = ""
        self.channels_listed: tuple[ChannelEntry, ...] = ()  # the last /list
        self.search_buffer: str | None = None  # where /search was typed
        self.search_query = ""  # what was typed (for the results' heading)
        self.search_hits: tuple[ChatLine, ...] = ()  # the last search's results
        self._out: list[bytes] = []
        self._close: CloseRequest | None = None
        self._framing = LineBuffer(RECEIVE_MAX_LINE, MAX_TAGS)
        self._retry_in: float | None = None
        self._last_rx = 0.0
        self._ping_sent: float | None = None
        self._reset_connection()
        for channel in config.channels:
            self.want(channel)
        self.model.open(STATUS_BUFFER, "status", focus=False)
        for query in config.queries:
            self.model.open(query, "query", focus=False)

    # ------------------------------------------------------------------ lifecycle

    def _reset_connection(self) -> None:
        self.registered = False
        self.account = None
        self.caps = set()
        self.isupport = {}
        self.model.chantypes = "#&"
        self.negotiation = Negotiation()
        self._last_rx = 0.0
        self._ping_sent = None
        self._framing = LineBuffer(RECEIVE_MAX_LINE, MAX_TAGS)
        self.who.clear()
        self.names_requested.clear()
        self.batches.clear()
        self.missed.clear()
        self.typing_out = None
        self.multiline_in.clear()
        self.listing = None
        self._out.clear()

    def connecting(self, now: float, server: str = "") -> None:
        """The adapter starts connecting to `server` (a display name like ``host:port``)."""
        if server:
            self.server = server
        self._retry_in = None
        self.set_state("connecting")

    def connection_made(self, now: float) -> None:
        """The socket is up: send the registration lines."""
        self._reset_connection()
        self._close = None
        self._last_rx = now
        self.set_nick(self.desired_nick)
        self.set_state("registering")
        if self.config.password:
            self.send("PASS", self.config.password)
        self.send("CAP", "LS", "302")
        self.send("NICK", self.nick)
        self.send("USER", self.config.username or self.desired_nick, "0", "*", self.config.realname)

    def connection_lost(self, now: float, reason: str | None = None) -> None:
        """The socket is gone. Channel member lists are cleared until the rejoin."""
        was = self.state
        self._reset_connection()
        presence.lost(self)
        self.model.disconnected()
        if was != "disconnected":
            said = tr("Disconnected: {reason}", reason=reason) if reason else tr("Disconnected")
            self.info(STATUS_BUFFER, said, now, kind="error")
        self.set_state("disconnected")

    def reconnect_scheduled(self, delay: float, now: float) -> None:
        """The adapter will reconnect in `delay` seconds (shown in the status line)."""
        self._retry_in = delay
        self.info(STATUS_BUFFER, tr("Reconnecting in {seconds} s…", seconds=f"{delay:.0f}"), now)
        self.set_state("reconnecting")

    def tick(self, now: float) -> None:
        """Call about once a second: keep-alive PING and dead-connection detection; typing
        indicators paused and expired."""
        typing.tick(self, now)
        if self.state not in ("registering", "connected"):
            return
        if self._ping_sent is not None:
            if now - self._ping_sent > self.config.ping_timeout:
                self._close = CloseRequest("ping timeout", reconnect=True)
        elif now - self._last_rx > self.config.ping_interval:
            self._ping_sent = now
            self.send("PING", f"socketchat-{int(now)}")

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the socket; complete lines are handled at once."""
        for item in self._framing.feed(data):
            if isinstance(item, FramingError):
                self.info(
                    STATUS_BUFFER,
                    tr("Ignored a bad line from the server ({reason})", reason=item.kind),
                    now,
                )
            else:
                self.receive_line(item, now)

    def receive_line(self, line: str, now: float) -> None:
        """One line from the server, without its line ending."""
        self._last_rx = now
        self._ping_sent = None
        try:
            msg = parse_message(line)
        except ParseError:
            return
        try:
            incoming.dispatch(self, msg, now)
        except Exception as exc:  # a bug must not kill the connection
            self.info(
                STATUS_BUFFER,
                tr("Internal error on {command}: {error}", command=msg.command, error=repr(exc)),
                now,
                "error",
            )

    def pong_received(self) -> None:
        self._ping_sent = None

    def _model_event(self, event: Event) -> None:
        self._events.append(event)
        presence.model_event(self, event)

    # ------------------------------------------------------------------ outputs

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket (and forget)."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def pop_events(self) -> list[Event]:
        """Events for the view since the last call, in order."""
        events = self._events[:]
        self._events.clear()
        return events

    def take_close_request(self) -> CloseRequest | None:
        request, self._close = self._close, None
        return request

    # ------------------------------------------------------------------ read-only state

    @property
    def current(self) -> str:
        """The buffer the user looks at."""
        return self.model.current

    def buffer_names(self) -> list[str]:
        return [b.name for b in self.model.buffers.values()]

    def buffer_kind(self, buffer: str) -> BufferKind | None:
        buf = self.model.buf(buffer)
        return buf.kind if buf else None

    def lines(self, buffer: str) -> list[ChatLine]:
        buf = self.model.buf(buffer)
        return list(buf.lines) if buf else []

    def members(self, buffer: str) -> tuple[Member, ...]:
        buf = self.model.buf(buffer)
        return self.model.member_list(buf) if buf else ()

    def modes(self, buffer: str) -> str:
        """A channel's modes as shown (``+nt``), "" until the server said."""
        buf = self.model.buf(buffer)
        return self.model.mode_string(buf) if buf else ""

    def topic(self, buffer: str) -> str:
        buf = self.model.buf(buffer)
        return buf.topic if buf else ""

    def unread(self, buffer: str) -> int:
        buf = self.model.buf(buffer)
        return buf.unread if buf else 0

    def presence(self, buffer: str) -> bool | None:
        """A private tab's peer online (True), offline (False) or not known (None)."""
        buf = self.model.buf(buffer)
        return buf.online if buf else None

    def search_results(self) -> tuple[ChatLine, ...]:
        """The results of the last /search, oldest first, each a line of its conversation."""
        return self.search_hits

    def jump(self, buffer: str, msgid: str, now: float) -> None:
        """Go to the line `msgid` of `buffer` (a search result was clicked): focus it, load
        the lines around it if they are not here, then `JumpTo`. See `client.search`."""
        search.jump(self, buffer, msgid, now)

    def channel_list(self) -> tuple[ChannelEntry, ...]:
        """The channels of the last /list, in the server's order."""
        return self.channels_listed

    def unread_marker(self, buffer: str) -> ChatLine | None:
        """The first line after the "new since you last read" marker of `buffer` (None: no
        marker). See `UnreadMarker`."""
        return self.model.marker_line(buffer)

    def reactions(self, buffer: str, msgid: str) -> tuple[Reaction, ...]:
        """The reactions under the line `msgid` of `buffer`, as `ReactionsChanged` has them."""
        buf = self.model.buf(buffer)
        return reactions.reactions_of(self, buf, msgid) if buf else ()

    def typing(self, buffer: str) -> tuple[str, ...]:
        """Who is typing (active) in `buffer` now."""
        buf = self.model.buf(buffer)
        return tuple(n for n, state, _ in buf.typing.values() if state == "active") if buf else ()

    @property
    def queued(self) -> int:
        return len(self.queue)

    def completions(self, prefix: str, buffer: str | None = None) -> list[str]:
        """Nicks in `buffer` (default: current) that start with `prefix`."""
        return complete_nick(prefix, self.nick_candidates(buffer))

    def nick_candidates(self, buffer: str | None = None) -> list[str]:
        buf = self.model.buf(buffer or self.current)
        if buf is None:
            return []
        if buf.kind == "query":
            return [buf.name, self.nick]
        return [nick for nick, _ in buf.members.values()]

    def status(self) -> StatusChanged:
        return StatusChanged(
            self.state,
            self.nick,
            self.server,
            self.away,
            self._retry_in,
            len(self.queue),
            self.account,
        )

    # ------------------------------------------------------------------ user actions

    def set_current(self, buffer: str) -> None:
        """The user now looks at `buffer`: its unread count is cleared (and, with
        draft/read-marker, on the user's other devices too)."""
        self.model.set_current(buffer)
        readmarker.looked_at(self, buffer)

    def close_buffer(self, buffer: str, now: float) -> None:
        """Close a tab: a query closes at once, a channel is left (PART) first."""
        buf = self.model.buf(buffer)
        if buf is None:
            return
        if buf.kind == "status":
            self.info(self.current, tr("The status buffer cannot be closed"), now, "error")
        elif buf.kind == "channel":
            self.unwant(buf.name)
            if self.registered and buf.joined:
                self.send("PART", buf.name)
            else:
                self.model.drop(buf)
        else:
            self.model.drop(buf)

    def load_older(self, buffer: str, now: float, limit: int | None = None) -> None:
        """The user scrolled to the top of `buffer`: ask the server for older lines.

        They arrive as a `HistoryInserted` event; at most one request per buffer is under way,
        and none once the start of the history is reached. See `socketchat.client.history`.
        """
        history.load_older(self, buffer, now, limit)

    def handle_input(self, text: str, now: float, buffer: str | None = None) -> None:
        """A line the user typed in `buffer` (default: the current buffer)."""
        commands.handle_input(self, text, buffer if buffer else self.current, now)

    def composing(self, text: str, now: float, buffer: str | None = None) -> None:
        """The composer of `buffer` (default: current) now holds `text`: call after every
        change. Sends typing notifications politely (`socketchat.client.typing`)."""
        typing.composing(self, buffer or self.current, text, now)

    def reply(self, buffer: str, msgid: str, text: str, now: float) -> None:
        """Send `text` in `buffer` as a reply to its line `msgid` (the view's reply button)."""
        reactions.reply(self, buffer, msgid, text, now)

    def redact(self, buffer: str, msgid: str, now: float, reason: str = "") -> None:
        """Take back the line `msgid` of `buffer` (one's own mistake: draft/message-redaction)."""
        redaction.redact(self, buffer, msgid, reason, now)

    def react(self, buffer: str, msgid: str, emoji: str, now: float) -> None:
        """React to the line `msgid` with `emoji`; the same again takes it back."""
        reactions.react(self, buffer, msgid, emoji, now)

    # ------------------------------------------------------------------ for the core's modules

    def send(self, command: str, *params: str) -> None:
        """Queue one IRC message for the server."""
        self._out.append(Message(command, tuple(params)).to_bytes())

    def send_message(self, msg: Message) -> None:
        self._out.append(msg.to_bytes())

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def info(self, buffer: str, text: str | Said, now: float, kind: LineKind = "info") -> None:
        """A line from the client itself in `buffer` (or the status buffer): its own words as
        `tr(...)`, translated by the view; a plain string is shown as it is (the server's)."""
        self.model.info(buffer, text, now, kind)

    def leave(self, reason: str, now: float) -> None:
        """/exit or /quit: QUIT, close without reconnecting, tell the view to exit."""
        self.exiting = True
        if self.state in ("registering", "connected"):
            self.send("QUIT", reason)
        self._close = CloseRequest(reason, reconnect=False)
        self.info(STATUS_BUFFER, tr("Leaving…"), now)
        self.emit(ExitRequested(reason))

    def choose_nick(self, nick: str) -> None:
        """The user's answer to `NickRefused`: try `nick` now (before registration)."""
        registration.choose_nick(self, nick)

    def set_nick(self, nick: str) -> None:
        if nick != self.nick:
            self.nick = nick
            self.emit(NickChanged(nick))
        self.emit_status()

    def set_state(self, state: ConnectionState) -> None:
        self.state = state
        if state != "reconnecting":
            self._retry_in = None
        self.emit_status()

    def emit_status(self) -> None:
        self.emit(self.status())

    def is_me(self, nick: str) -> bool:
        return self.model.same(nick, self.nick)

    def want(self, channel: str) -> None:
        """Join `channel` after every (re)registration."""
        self.wanted.setdefault(self.model.fold(channel), channel)

    def unwant(self, channel: str) -> None:
        self.wanted.pop(self.model.fold(channel), None)
        self.first_join_pending.discard(self.model.fold(channel))

    def require_connection(self, buffer: str, now: float) -> bool:
        """True when registered; else says so in `buffer`."""
        if self.registered:
            return True
        self.info(buffer, tr("Not connected: try again when the connection is back"), now, "error")
        return False
