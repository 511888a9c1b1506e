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
   `set_current` (the tab the user looks at), `close_buffer`.
3. Outputs, pulled by the adapter after every call: `data_to_send()` (bytes for the socket),
   `pop_events()` (frozen events for the view, see `socketchat.client.events`) and
   `take_close_request()` (the core wants the socket closed: /exit, or a ping timeout).
4. Read-only state for views on the same thread: `nick`, `state`, `current`, `buffer_names()`,
   `lines()`, `members()`, `topic()`, `unread()`.

Per connection the core goes ``connecting → registering → connected``. Registration sends
``CAP LS 302``, NICK and USER (PASS first when configured), requests the IRCv3 capabilities it
understands, authenticates with SASL PLAIN when an account is configured, then ``CAP END``. A nick
in use during registration is retried with alternatives (``nick_``, ``nick__``, ``nick2``...).
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
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
    ChatLine,
    ConnectionState,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    LineKind,
    Member,
    MembersChanged,
    NickChanged,
    StatusChanged,
    TopicChanged,
    UnreadChanged,
)
from socketchat.client.helpers import complete_nick, local_time, parse_server_time
from socketchat.irc.framing import FramingError, LineBuffer
from socketchat.irc.message import Message, ParseError, parse_message

__all__ = ["COMMANDS", "WANTED_CAPS", "ClientConfig", "ClientCore", "CloseRequest"]

# Capabilities the core understands (sasl is added when an account is configured).
WANTED_CAPS: tuple[str, ...] = (
    "server-time",
    "message-tags",
    "echo-message",
    "multi-prefix",
    "userhost-in-names",
    "away-notify",
    "account-notify",
    "extended-join",
    "chghost",
    "setname",
    "batch",
    "draft/chathistory",
)

_MAX_NICK_ATTEMPTS = 12
_WHOX_TOKEN = "152"
_COUNTED_KINDS = frozenset({"message", "action", "notice"})


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


@dataclass(frozen=True, slots=True)
class CloseRequest:
    """The core wants the connection closed; `reconnect` is False after /exit or /quit."""

    reason: str
    reconnect: bool


@dataclass(slots=True)
class _User:
    nick: str
    user: str | None = None
    host: str | None = None
    account: str | None = None
    realname: str | None = None
    away: bool = False


@dataclass(slots=True)
class _Buffer:
    name: str
    kind: BufferKind
    lines: deque[ChatLine]
    unread: int = 0
    highlight: bool = False
    topic: str = ""
    joined: bool = False
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded → (nick, prefixes)
    names_pending: dict[str, tuple[str, str]] | None = None


@dataclass(slots=True)
class _WhoRequest:
    mask: str
    buffer: str
    pm_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    pm_text: str = ""
    pm_focus: bool = True
    replies: list[_User] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Queued:
    target: str
    text: str
    action: bool


@dataclass(frozen=True, slots=True)
class _Command:
    usage: str
    help: str
    handler: Callable[[ClientCore, str, str, float], None]  # (core, args, buffer, now)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


class ClientCore:
    """The sans-I/O IRC client. See the module docstring for how to drive it."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.desired_nick = config.nick
        self.nick = config.nick
        self.state: ConnectionState = "disconnected"
        self.server = ""
        self.away = False
        self.exiting = False
        self.registered = False
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self.current = STATUS_BUFFER
        self._buffers: dict[str, _Buffer] = {}
        self._users: dict[str, _User] = {}
        self._wanted: dict[str, str] = {}  # folded → channel name to (re)join
        self._focus_on_join: set[str] = set()
        self._queue: deque[_Queued] = deque()
        self._out: list[bytes] = []
        self._events: list[Event] = []
        self._close: CloseRequest | None = None
        self._framing = LineBuffer()
        self._retry_in: float | None = None
        self._prefix_modes = "ov"
        self._prefix_chars = "@+"
        self._chanmodes = ("beI", "k", "l", "imnpst")
        self._fold_table: dict[int, int] = {}
        self._who: deque[_WhoRequest] = deque()
        self._names_requested: set[str] = set()
        self._batches: dict[str, str] = {}
        self._me_prefix_len = 0
        self._first_join_pending = {self._fold(c) for c in config.channels}
        self._reset_connection()
        for channel in config.channels:
            self._want(channel)
        self._open_buffer(STATUS_BUFFER, "status", focus=False)

    # ------------------------------------------------------------------ lifecycle

    def _reset_connection(self) -> None:
        self.registered = False
        self.caps = set()
        self.isupport = {}
        self._offered: dict[str, str] = {}
        self._cap_ended = False
        self._cap_req_pending = False
        self._sasl_active = False
        self._nick_attempt = 0
        self._last_rx = 0.0
        self._ping_sent: float | None = None
        self._framing = LineBuffer()
        self._who.clear()
        self._names_requested.clear()
        self._batches.clear()
        self._out.clear()

    def connecting(self, now: float, server: str = "") -> None:
        """The adapter starts connecting to `server` (a display name like ``host:port``)."""
        if server:
            self.server = server
        self._retry_in = None
        self._set_state("connecting")

    def connection_made(self, now: float) -> None:
        """The socket is up: send the registration lines."""
        self._reset_connection()
        self._close = None
        self._last_rx = now
        self._set_nick(self.desired_nick)
        self._set_state("registering")
        if self.config.password:
            self._send("PASS", self.config.password)
        self._send("CAP", "LS", "302")
        self._send("NICK", self.nick)
        self._send(
            "USER", self.config.username or self.desired_nick, "0", "*", self.config.realname
        )

    def connection_lost(self, now: float, reason: str | None = None) -> None:
        """The socket is gone. Channel member lists are cleared until the rejoin."""
        was = self.state
        self._reset_connection()
        for buf in self._buffers.values():
            if buf.kind == "channel" and (buf.joined or buf.members):
                buf.joined = False
                buf.members.clear()
                self._emit_members(buf)
        if was != "disconnected":
            why = f": {reason}" if reason else ""
            self._info(STATUS_BUFFER, f"Disconnected{why}", now, kind="error")
        self._set_state("disconnected")

    def reconnect_scheduled(self, delay: float, now: float) -> None:
        """The adapter will reconnect in `delay` seconds (shown in the status line)."""
        self._retry_in = delay
        self._info(STATUS_BUFFER, f"Reconnecting in {delay:.0f} s…", now)
        self._set_state("reconnecting")

    def tick(self, now: float) -> None:
        """Call about once a second: keep-alive PING and dead-connection detection."""
        if self.state not in ("registering", "connected"):
            return
        if self._ping_sent is not None:
            if now - self._ping_sent > self.config.ping_timeout:
                self._close = CloseRequest("ping timeout", reconnect=True)
        elif now - self._last_rx > self.config.ping_interval:
            self._ping_sent = now
            self._send("PING", f"socketchat-{int(now)}")

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the socket; complete lines are handled at once."""
        for item in self._framing.feed(data):
            if isinstance(item, FramingError):
                self._info(STATUS_BUFFER, f"Ignored a bad line from the server ({item.kind})", now)
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
            self._dispatch(msg, now)
        except Exception as exc:  # a bug must not kill the connection
            self._info(STATUS_BUFFER, f"Internal error on {msg.command}: {exc!r}", now, "error")

    # ------------------------------------------------------------------ outputs

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket (and forget)."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def pop_events(self) -> list[Event]:
        """Events for the view since the last call, in order."""
        events, self._events = self._events, []
        return events

    def take_close_request(self) -> CloseRequest | None:
        request, self._close = self._close, None
        return request

    # ------------------------------------------------------------------ read-only state

    def buffer_names(self) -> list[str]:
        return [b.name for b in self._buffers.values()]

    def buffer_kind(self, buffer: str) -> BufferKind | None:
        buf = self._buf(buffer)
        return buf.kind if buf else None

    def lines(self, buffer: str) -> list[ChatLine]:
        buf = self._buf(buffer)
        return list(buf.lines) if buf else []

    def members(self, buffer: str) -> tuple[Member, ...]:
        buf = self._buf(buffer)
        return self._member_list(buf) if buf else ()

    def topic(self, buffer: str) -> str:
        buf = self._buf(buffer)
        return buf.topic if buf else ""

    def unread(self, buffer: str) -> int:
        buf = self._buf(buffer)
        return buf.unread if buf else 0

    @property
    def queued(self) -> int:
        return len(self._queue)

    def completions(self, prefix: str, buffer: str | None = None) -> list[str]:
        """Nicks in `buffer` (default: current) that start with `prefix`."""
        return complete_nick(prefix, self.nick_candidates(buffer))

    def nick_candidates(self, buffer: str | None = None) -> list[str]:
        buf = self._buf(buffer or self.current)
        if buf is None:
            return []
        if buf.kind == "query":
            return [buf.name, self.nick]
        return [nick for nick, _ in buf.members.values()]

    def status(self) -> StatusChanged:
        return StatusChanged(
            self.state, self.nick, self.server, self.away, self._retry_in, len(self._queue)
        )

    # ------------------------------------------------------------------ user actions

    def set_current(self, buffer: str) -> None:
        """The user now looks at `buffer`: its unread count is cleared."""
        buf = self._buf(buffer)
        if buf is None:
            return
        self.current = buf.name
        if buf.unread or buf.highlight:
            buf.unread = 0
            buf.highlight = False
            self._events.append(UnreadChanged(buf.name, 0, False))

    def close_buffer(self, buffer: str, now: float) -> None:
        """Close a tab: a query closes at once, a channel is left (PART) first."""
        buf = self._buf(buffer)
        if buf is None:
            return
        if buf.kind == "status":
            self._info(self.current, "The status buffer cannot be closed", now, "error")
        elif buf.kind == "channel":
            self._unwant(buf.name)
            if self.registered and buf.joined:
                self._send("PART", buf.name)
            else:
                self._drop_buffer(buf)
        else:
            self._drop_buffer(buf)

    def handle_input(self, text: str, now: float, buffer: str | None = None) -> None:
        """A line the user typed in `buffer` (default: the current buffer)."""
        target = buffer if buffer else self.current
        for raw in text.replace("\r\n", "\n").split("\n"):
            line = raw.rstrip()
            if not line.strip():
                continue
            if line.startswith("/") and not line.startswith("//"):
                name, _, args = line[1:].partition(" ")
                self._run_command(name.lower(), args.strip(), target, now)
            else:
                if line.startswith("//"):
                    line = line[1:]
                self._say(target, line, now, action=False)

    # ------------------------------------------------------------------ commands

    def _run_command(self, name: str, args: str, buffer: str, now: float) -> None:
        command = COMMANDS.get(ALIASES.get(name, name))
        if command is None:
            self._info(
                buffer,
                f"Unknown command /{name}. Type /help for the list of commands.",
                now,
                "error",
            )
            return
        command.handler(self, args, buffer, now)

    def _usage(self, name: str, buffer: str, now: float) -> None:
        self._info(buffer, f"Usage: {COMMANDS[name].usage} — {COMMANDS[name].help}", now, "error")

    def _cmd_help(self, args: str, buffer: str, now: float) -> None:
        self._info(buffer, "Commands:", now)
        width = max(len(c.usage) for c in COMMANDS.values())
        for command in COMMANDS.values():
            self._info(buffer, f"  {command.usage.ljust(width)}  {command.help}", now)
        self._info(buffer, "  Text without a leading / is sent to the current tab.", now)

    def _cmd_pm(self, args: str, buffer: str, now: float) -> None:
        self._message_command("pm", args, buffer, now)

    def _cmd_msg(self, args: str, buffer: str, now: float) -> None:
        self._message_command("msg", args, buffer, now)

    def _message_command(self, name: str, args: str, buffer: str, now: float) -> None:
        # /pm opens (and switches to) the conversation; /msg only sends.
        focus = name == "pm"
        target, _, text = args.partition(" ")
        text = text.strip()
        if not target or not text:
            self._usage(name, buffer, now)
            return
        ip = _ip(target)
        if ip is not None:
            if not self._require_connection(buffer, now):
                return
            self._who_request(str(ip), buffer, pm_ip=ip, pm_text=text, pm_focus=focus)
            return
        if self._is_channel(target) or self._valid_nick_like(target):
            self._say(target, text, now, action=False, focus=focus, origin=buffer)
        else:
            self._info(
                buffer, f"{target!r} is neither a nick, a channel nor an IP address", now, "error"
            )

    def _cmd_query(self, args: str, buffer: str, now: float) -> None:
        target, _, text = args.partition(" ")
        if not target or self._is_channel(target) or not self._valid_nick_like(target):
            self._usage("query", buffer, now)
            return
        self._open_buffer(target, "query", focus=True)
        if text.strip():
            self._say(target, text.strip(), now, action=False)

    def _cmd_close(self, args: str, buffer: str, now: float) -> None:
        self.close_buffer(args.split()[0] if args else buffer, now)

    def _cmd_join(self, args: str, buffer: str, now: float) -> None:
        parts = args.split()
        if not parts:
            self._usage("join", buffer, now)
            return
        for channel in parts[0].split(","):
            if not self._is_channel(channel):
                channel = "#" + channel
            self._want(channel)
            existing = self._buf(channel)
            if existing is not None and existing.joined:
                self._focus(existing.name)
                continue
            self._focus_on_join.add(self._fold(channel))
            if self.registered:
                self._send("JOIN", channel, *parts[1:2])
            else:
                self._info(buffer, f"Will join {channel} when connected", now)

    def _cmd_part(self, args: str, buffer: str, now: float) -> None:
        channel, _, reason = args.partition(" ")
        if not channel or not self._is_channel(channel):
            reason = args
            channel = buffer
        buf = self._buf(channel)
        if buf is None or buf.kind != "channel":
            self._info(buffer, "Usage: /part [#channel] [reason] — in a channel tab", now, "error")
            return
        self._unwant(buf.name)
        if self.registered and buf.joined:
            self._send("PART", buf.name, *([reason.strip()] if reason.strip() else []))
        else:
            self._drop_buffer(buf)

    def _cmd_nick(self, args: str, buffer: str, now: float) -> None:
        new = args.split()[0] if args.split() else ""
        if not new or not self._valid_nick_like(new):
            self._usage("nick", buffer, now)
            return
        self.desired_nick = new
        if self.registered:
            self._send("NICK", new)
        else:
            self._info(buffer, f"Your nick will be {new} when connected", now)

    def _cmd_me(self, args: str, buffer: str, now: float) -> None:
        if not args:
            self._usage("me", buffer, now)
            return
        self._say(buffer, args, now, action=True)

    def _cmd_topic(self, args: str, buffer: str, now: float) -> None:
        channel = buffer
        first, _, rest = args.partition(" ")
        if first and self._is_channel(first):
            channel, args = first, rest.strip()
        buf = self._buf(channel)
        if buf is None or buf.kind != "channel":
            if self._is_channel(channel) and self.registered:
                pass
            else:
                self._info(
                    buffer, "Usage: /topic [#channel] [new topic] — in a channel", now, "error"
                )
                return
        if not self._require_connection(buffer, now):
            return
        if args:
            self._send("TOPIC", channel, args)
        elif buf is not None and buf.topic:
            self._info(buffer, f"Topic of {channel}: {buf.topic}", now)
        else:
            self._send("TOPIC", channel)

    def _cmd_away(self, args: str, buffer: str, now: float) -> None:
        if not self._require_connection(buffer, now):
            return
        if args:
            self._send("AWAY", args)
        else:
            self._send("AWAY")

    def _cmd_who(self, args: str, buffer: str, now: float) -> None:
        if not self._require_connection(buffer, now):
            return
        mask = args.split()[0] if args.split() else ""
        if not mask:
            buf = self._buf(buffer)
            mask = buf.name if buf is not None and buf.kind == "channel" else "*"
        self._who_request(mask, buffer)

    def _cmd_names(self, args: str, buffer: str, now: float) -> None:
        channel = args.split()[0] if args.split() else buffer
        if not self._is_channel(channel):
            self._usage("names", buffer, now)
            return
        if not self._require_connection(buffer, now):
            return
        self._names_requested.add(self._fold(channel))
        self._send("NAMES", channel)

    def _cmd_whois(self, args: str, buffer: str, now: float) -> None:
        nick = args.split()[0] if args.split() else ""
        if not nick:
            self._usage("whois", buffer, now)
            return
        if self._require_connection(buffer, now):
            self._send("WHOIS", nick)

    def _cmd_quote(self, args: str, buffer: str, now: float) -> None:
        if not args:
            self._usage("quote", buffer, now)
            return
        if not self._require_connection(buffer, now):
            return
        try:
            msg = parse_message(args)
        except ParseError as exc:
            self._info(buffer, f"Not an IRC line: {exc}", now, "error")
            return
        self._out.append(msg.to_bytes())

    def _cmd_quit(self, args: str, buffer: str, now: float) -> None:
        self._exit(args or "Leaving", now)

    def _cmd_exit(self, args: str, buffer: str, now: float) -> None:
        self._exit(args or "Leaving", now)

    def _exit(self, reason: str, now: float) -> None:
        self.exiting = True
        if self.state in ("registering", "connected"):
            self._send("QUIT", reason)
        self._close = CloseRequest(reason, reconnect=False)
        self._info(STATUS_BUFFER, "Leaving…", now)
        self._events.append(ExitRequested(reason))

    def _require_connection(self, buffer: str, now: float) -> bool:
        if self.registered:
            return True
        self._info(buffer, "Not connected: try again when the connection is back", now, "error")
        return False

    # ------------------------------------------------------------------ sending text

    def _say(
        self,
        target: str,
        text: str,
        now: float,
        *,
        action: bool,
        focus: bool = False,
        origin: str | None = None,
    ) -> None:
        buf = self._buf(target)
        if buf is not None and buf.kind == "status":
            self._info(
                target,
                "This is the status tab: /join #channel or /pm <nick> <message>; /help lists all",
                now,
                "error",
            )
            return
        if buf is None and self._fold(target) in self._wanted:
            buf = self._open_buffer(target, "channel", focus=focus)  # joining: queue for it
        if buf is None:
            if self._is_channel(target):
                self._info(
                    origin or self.current, f"You are not in {target}: /join it first", now, "error"
                )
                return
            buf = self._open_buffer(target, "query", focus=focus)
        elif focus:
            self._focus(buf.name)
        target = buf.name
        if not self.registered or (buf.kind == "channel" and not buf.joined):
            if len(self._queue) >= self.config.max_queued:
                self._info(
                    target, f"Not connected and the queue is full; NOT sent: {text}", now, "error"
                )
                return
            self._queue.append(_Queued(target, text, action))
            self._info(target, f"(queued until reconnected) {text}", now)
            self._emit_status()
            return
        self._send_text(target, text, now, action)

    def _send_text(self, target: str, text: str, now: float, action: bool) -> None:
        overhead = len(f":{self.nick}!{'x' * 10}@{'x' * 63} PRIVMSG {target} :".encode())
        overhead = max(overhead, self._me_prefix_len + len(f" PRIVMSG {target} :".encode()))
        budget = 510 - overhead - (9 if action else 0)
        for chunk in _split_utf8(text, max(budget, 60)):
            body = f"\x01ACTION {chunk}\x01" if action else chunk
            self._send("PRIVMSG", target, body)
            if "echo-message" not in self.caps:
                self._line(
                    target,
                    ChatLine(
                        target,
                        local_time(now),
                        self.nick,
                        chunk,
                        "action" if action else "message",
                        self_msg=True,
                    ),
                )

    def _flush_queue(self, now: float, channel: str | None = None) -> None:
        """Send queued messages for `channel`, or (None) for every non-channel target."""
        if not self._queue:
            return
        keep: deque[_Queued] = deque()
        for item in self._queue:
            is_chan = self._is_channel(item.target)
            ready = (
                self._fold(item.target) == self._fold(channel)
                if channel is not None
                else not is_chan or self._fold(item.target) not in self._wanted
            )
            if ready and self._buf(item.target) is not None:
                self._send_text(item.target, item.text, now, item.action)
            elif ready:
                continue
            else:
                keep.append(item)
        if len(keep) != len(self._queue):
            self._queue = keep
            self._emit_status()

    def _drop_queue(self, channel: str, now: float) -> None:
        dropped = [q for q in self._queue if self._fold(q.target) == self._fold(channel)]
        if dropped:
            self._queue = deque(q for q in self._queue if q not in dropped)
            for q in dropped:
                self._info(q.target, f"NOT sent (could not rejoin): {q.text}", now, "error")
            self._emit_status()

    # ------------------------------------------------------------------ WHO

    def _who_request(
        self,
        mask: str,
        buffer: str,
        pm_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
        pm_text: str = "",
        pm_focus: bool = True,
    ) -> None:
        self._who.append(_WhoRequest(mask, buffer, pm_ip, pm_text, pm_focus))
        if "WHOX" in self.isupport:
            self._send("WHO", mask, f"%tuhnfa,{_WHOX_TOKEN}")
        else:
            self._send("WHO", mask)

    def _who_reply(self, user: _User) -> None:
        known = self._user(user.nick)
        if user.user:
            known.user = user.user
        if user.host:
            known.host = user.host
        if user.account is not None:
            known.account = user.account or None
        if known.away != user.away:
            known.away = user.away
            self._emit_members_of(known.nick)
        if self._who:
            self._who[0].replies.append(user)

    def _who_end(self, now: float) -> None:
        if not self._who:
            return
        req = self._who.popleft()
        if req.pm_ip is not None:
            self._pm_resolved(req, now)
            return
        buffer = req.buffer if self._buf(req.buffer) else STATUS_BUFFER
        if not req.replies:
            self._info(buffer, f"WHO {req.mask}: nobody", now)
            return
        self._info(buffer, f"WHO {req.mask}: {len(req.replies)} user(s)", now)
        for u in req.replies:
            account = u.account or self._user(u.nick).account
            extra = " (away)" if u.away else ""
            if account:
                extra += f" [account: {account}]"
            self._info(buffer, f"  {u.nick} — {u.user or '?'}@{u.host or '?'}{extra}", now)

    def _pm_resolved(self, req: _WhoRequest, now: float) -> None:
        assert req.pm_ip is not None
        buffer = req.buffer if self._buf(req.buffer) else STATUS_BUFFER
        nicks: list[str] = []
        for u in req.replies:
            mine = self._fold(u.nick) == self._fold(self.nick)
            if _ip(u.host or "") == req.pm_ip and not mine and u.nick not in nicks:
                nicks.append(u.nick)
        if not nicks and req.mask != "*":
            # Some servers match WHO masks against nicks only: ask for everyone instead.
            self._who_request("*", buffer, req.pm_ip, req.pm_text, req.pm_focus)
        elif not nicks:
            self._info(
                buffer, f"Nobody (else) is connected from {req.pm_ip}; not sent", now, "error"
            )
        elif len(nicks) > 1:
            self._info(
                buffer,
                f"Several people are connected from {req.pm_ip}: {', '.join(nicks)}. "
                f"Not sent: use /pm <nick> <message>",
                now,
                "error",
            )
        else:
            self._say(nicks[0], req.pm_text, now, action=False, focus=req.pm_focus, origin=buffer)

    # ------------------------------------------------------------------ incoming

    def _dispatch(self, msg: Message, now: float) -> None:
        handler = _HANDLERS.get(msg.command)
        if handler is not None:
            handler(self, msg, now)
        elif msg.command.isdigit():
            self._on_numeric(msg, now)

    def _time(self, msg: Message, now: float) -> tuple[datetime, bool]:
        value = msg.tags.get("time")
        when = parse_server_time(value) if value else None
        history = False
        batch = msg.tags.get("batch")
        if batch and self._batches.get(batch, "").endswith("chathistory"):
            history = True
        return (when or local_time(now)), history

    def _on_ping(self, msg: Message, now: float) -> None:
        self._send("PONG", *msg.params[:1])

    def _on_pong(self, msg: Message, now: float) -> None:
        self._ping_sent = None

    def _on_error(self, msg: Message, now: float) -> None:
        self._info(STATUS_BUFFER, f"Server: {msg.param(0)}", now, "error")

    def _on_cap(self, msg: Message, now: float) -> None:
        sub = msg.param(1).upper()
        if sub == "LS":
            multiline = msg.param(2) == "*"
            caps = msg.params[3] if multiline else msg.param(2)
            for item in caps.split():
                name, _, value = item.partition("=")
                self._offered[name] = value
            if multiline or self._cap_ended:
                return
            request = [c for c in WANTED_CAPS if c in self._offered]
            if self.config.account and "sasl" in self._offered:
                mechs = self._offered["sasl"]
                if not mechs or "PLAIN" in mechs.upper().split(","):
                    request.append("sasl")
            if request:
                self._cap_req_pending = True
                self._send("CAP", "REQ", " ".join(request))
            else:
                self._cap_end()
        elif sub == "ACK":
            for item in msg.params[-1].split():
                if item.startswith("-"):
                    self.caps.discard(item[1:])
                else:
                    self.caps.add(item)
            if self._cap_req_pending:
                self._cap_req_pending = False
                if "sasl" in self.caps and self.config.account and not self._sasl_active:
                    self._sasl_active = True
                    self._send("AUTHENTICATE", "PLAIN")
                else:
                    self._cap_end()
        elif sub == "NAK":
            if self._cap_req_pending:
                self._cap_req_pending = False
                self._cap_end()
        elif sub == "NEW":
            new = [c for c in WANTED_CAPS if c in msg.params[-1].split() and c not in self.caps]
            if new and self.registered:
                self._send("CAP", "REQ", " ".join(new))
        elif sub == "DEL":
            for item in msg.params[-1].split():
                self.caps.discard(item)

    def _cap_end(self) -> None:
        if not self._cap_ended:
            self._cap_ended = True
            self._send("CAP", "END")

    def _on_authenticate(self, msg: Message, now: float) -> None:
        if msg.param(0) != "+" or not self._sasl_active:
            return
        account = self.config.account or ""
        secret = self.config.account_password or ""
        payload = base64.b64encode(f"{account}\0{account}\0{secret}".encode()).decode()
        chunks = [payload[i : i + 400] for i in range(0, len(payload), 400)] or ["+"]
        for chunk in chunks:
            self._send("AUTHENTICATE", chunk)
        if len(chunks[-1]) == 400:
            self._send("AUTHENTICATE", "+")

    def _on_welcome(self, msg: Message, now: float) -> None:
        self.registered = True
        self._cap_ended = True
        self._set_nick(msg.param(0) or self.nick)
        self._info(STATUS_BUFFER, msg.params[-1], now)
        self._info(STATUS_BUFFER, f"Connected to {self.server or msg.source} as {self.nick}", now)
        self._set_state("connected")
        for channel in self._wanted.values():
            self._send("JOIN", channel)
        self._flush_queue(now)

    def _on_isupport(self, msg: Message, now: float) -> None:
        for token in msg.params[1:-1]:
            key, _, value = token.partition("=")
            if key.startswith("-"):
                self.isupport.pop(key[1:], None)
                continue
            self.isupport[key] = value
            if key == "PREFIX":
                m = re.fullmatch(r"\(([^)]*)\)(.*)", value)
                if m and len(m.group(1)) == len(m.group(2)):
                    self._prefix_modes, self._prefix_chars = m.group(1), m.group(2)
            elif key == "CHANMODES":
                parts = [*value.split(","), "", "", "", ""][:4]
                self._chanmodes = (parts[0], parts[1], parts[2], parts[3])
            elif key == "CASEMAPPING":
                if value == "rfc1459":
                    self._fold_table = str.maketrans("[]\\~", "{}|^")
                elif value == "strict-rfc1459":
                    self._fold_table = str.maketrans("[]\\", "{}|")
                else:
                    self._fold_table = {}
            elif key == "NETWORK" and value:
                self.server = value
                self._emit_status()

    def _on_nick_error(self, msg: Message, now: float) -> None:
        wanted = msg.param(1)
        if self.registered:
            text = msg.params[-1]
            self._info(self.current, f"Cannot change nick to {wanted}: {text}", now, "error")
            self.desired_nick = self.nick
            return
        self._nick_attempt += 1
        if self._nick_attempt > _MAX_NICK_ATTEMPTS:
            self._info(STATUS_BUFFER, "No free nick found: use /nick <name>", now, "error")
            return
        base = self.desired_nick
        if msg.command == "432":
            base = re.sub(r"[^A-Za-z0-9\[\]\\`_^{|}-]", "", base)[:9] or "guest"
            if not base[0].isalpha():
                base = "g" + base[:8]
        alternative = _alternative_nick(base, self._nick_attempt)
        self._info(STATUS_BUFFER, f"Nick {wanted} is not available, trying {alternative}", now)
        self._set_nick(alternative)
        self._send("NICK", alternative)

    def _on_privmsg(self, msg: Message, now: float) -> None:
        target = msg.param(0)
        text = msg.param(1)
        when, history = self._time(msg, now)
        sender = msg.nick
        is_self = self._fold(sender) == self._fold(self.nick)
        kind: LineKind = "message" if msg.command == "PRIVMSG" else "notice"
        from_server = msg.source is None or ("!" not in msg.source and "." in sender)
        self._note_source(msg)
        if text.startswith("\x01"):
            ctcp = text.strip("\x01")
            verb, _, rest = ctcp.partition(" ")
            verb = verb.upper()
            if verb == "ACTION":
                text, kind = rest, "action"
            elif kind == "message":
                if not is_self:
                    self._ctcp_reply(sender, verb, rest)
                return
            else:
                text = f"CTCP {verb} reply: {rest}"
        chan_target = target.lstrip(self._prefix_chars)
        if self._is_channel(chan_target):
            buffer = self._ensure_channel(chan_target)
        elif from_server or not sender:
            buffer = STATUS_BUFFER if not self.registered or kind == "notice" else self.current
        elif is_self:
            buffer = self._open_buffer(target, "query", focus=False).name
        elif kind == "notice":
            existing = self._buf(sender)
            buffer = existing.name if existing else self.current
        else:
            buffer = self._open_buffer(sender, "query", focus=False).name
        highlight = not is_self and (
            (not self._is_channel(chan_target) and kind != "notice" and not from_server)
            or self._mentions_me(text)
        )
        msgid = msg.tags.get("msgid")
        buf = self._buf(buffer)
        if history and msgid and buf and any(line.msgid == msgid for line in buf.lines):
            return
        self._line(
            buffer,
            ChatLine(
                buffer,
                when,
                sender or self.server,
                text,
                kind,
                self_msg=is_self,
                highlight=highlight,
                history=history,
                msgid=msgid,
            ),
        )

    def _ctcp_reply(self, nick: str, verb: str, rest: str) -> None:
        if verb == "VERSION":
            self._send("NOTICE", nick, "\x01VERSION socketchat\x01")
        elif verb == "PING":
            self._send("NOTICE", nick, f"\x01PING {rest}\x01")

    def _on_join(self, msg: Message, now: float) -> None:
        channel = msg.param(0)
        nick = msg.nick
        self._note_source(msg)
        user = self._user(nick)
        if "extended-join" in self.caps and len(msg.params) >= 3:
            user.account = None if msg.param(1) == "*" else msg.param(1)
            user.realname = msg.param(2)
        when, _ = self._time(msg, now)
        if self._fold(nick) == self._fold(self.nick):
            if msg.source and "!" in msg.source:
                self._me_prefix_len = len(msg.source) + 1
            folded = self._fold(channel)
            focus = folded in self._focus_on_join or folded in self._first_join_pending
            self._focus_on_join.discard(folded)
            self._first_join_pending.discard(folded)
            self._want(channel)
            buf = self._buf(channel)
            if buf is None:
                buf = self._open_buffer(channel, "channel", focus=focus)
            elif focus:
                self._focus(buf.name)
            buf.joined = True
            buf.members = {self._fold(nick): (nick, "")}
            self._emit_members(buf)
            self._info(buf.name, f"You joined {buf.name}", now, "join")
            self._request_history(buf)
            self._flush_queue(now, buf.name)
            return
        buf = self._buf(channel)
        if buf is None:
            return
        buf.members[self._fold(nick)] = (nick, "")
        self._emit_members(buf)
        host = f" ({user.user}@{user.host})" if user.host else ""
        self._line(buf.name, ChatLine(buf.name, when, nick, f"{nick}{host} joined", "join"))

    def _request_history(self, buf: _Buffer) -> None:
        if "draft/chathistory" not in self.caps or self.config.history_lines <= 0:
            return
        last = next((line.msgid for line in reversed(buf.lines) if line.msgid), None)
        ref = f"msgid={last}" if last else "*"
        limit = str(self.config.history_lines if not last else max(self.config.history_lines, 100))
        self._send("CHATHISTORY", "LATEST", buf.name, ref, limit)

    def _on_part(self, msg: Message, now: float) -> None:
        channel = msg.param(0)
        reason = msg.param(1)
        nick = msg.nick
        buf = self._buf(channel)
        if buf is None:
            return
        if self._fold(nick) == self._fold(self.nick):
            self._unwant(buf.name)
            self._info(STATUS_BUFFER, f"You left {buf.name}", now, "part")
            self._drop_buffer(buf)
            return
        when, _ = self._time(msg, now)
        buf.members.pop(self._fold(nick), None)
        self._emit_members(buf)
        why = f" ({reason})" if reason else ""
        self._line(buf.name, ChatLine(buf.name, when, nick, f"{nick} left{why}", "part"))
        self._forget_if_unseen(nick)

    def _on_kick(self, msg: Message, now: float) -> None:
        channel, victim, reason = msg.param(0), msg.param(1), msg.param(2)
        buf = self._buf(channel)
        if buf is None:
            return
        when, _ = self._time(msg, now)
        why = f" ({reason})" if reason else ""
        if self._fold(victim) == self._fold(self.nick):
            self._unwant(buf.name)
            buf.joined = False
            buf.members.clear()
            self._emit_members(buf)
            text = f"You were kicked from {buf.name} by {msg.nick}{why}"
            self._line(buf.name, ChatLine(buf.name, when, msg.nick, text, "kick", highlight=True))
            self._drop_queue(buf.name, now)
            return
        buf.members.pop(self._fold(victim), None)
        self._emit_members(buf)
        text = f"{victim} was kicked by {msg.nick}{why}"
        self._line(buf.name, ChatLine(buf.name, when, msg.nick, text, "kick"))

    def _on_quit(self, msg: Message, now: float) -> None:
        nick = msg.nick
        folded = self._fold(nick)
        when, _ = self._time(msg, now)
        reason = msg.param(0)
        why = f" ({reason})" if reason else ""
        for buf in list(self._buffers.values()):
            if buf.kind == "channel" and folded in buf.members:
                del buf.members[folded]
                self._emit_members(buf)
                self._line(buf.name, ChatLine(buf.name, when, nick, f"{nick} quit{why}", "quit"))
            elif buf.kind == "query" and self._fold(buf.name) == folded:
                self._line(buf.name, ChatLine(buf.name, when, nick, f"{nick} quit{why}", "quit"))
        self._users.pop(folded, None)

    def _on_nick(self, msg: Message, now: float) -> None:
        old, new = msg.nick, msg.param(0)
        fold_old, fold_new = self._fold(old), self._fold(new)
        when, _ = self._time(msg, now)
        is_self = fold_old == self._fold(self.nick)
        user = self._users.pop(fold_old, None) or _User(new)
        user.nick = new
        self._users[fold_new] = user
        text = f"You are now known as {new}" if is_self else f"{old} is now known as {new}"
        for buf in list(self._buffers.values()):
            if buf.kind == "channel" and fold_old in buf.members:
                _, prefixes = buf.members.pop(fold_old)
                buf.members[fold_new] = (new, prefixes)
                self._emit_members(buf)
                self._line(buf.name, ChatLine(buf.name, when, old, text, "nick", self_msg=is_self))
            elif buf.kind == "query" and self._fold(buf.name) == fold_old:
                if self._buf(new) is None or fold_new == fold_old:
                    self._rename_buffer(buf, new)
                self._line(buf.name, ChatLine(buf.name, when, old, text, "nick"))
        if is_self:
            self.desired_nick = new
            self._set_nick(new)
            self._info(STATUS_BUFFER, text, now, "nick")

    def _on_topic(self, msg: Message, now: float) -> None:
        channel, topic = msg.param(0), msg.param(1)
        buf = self._buf(channel)
        if buf is None:
            return
        when, _ = self._time(msg, now)
        buf.topic = topic
        self._events.append(TopicChanged(buf.name, topic, msg.nick))
        text = (
            f"{msg.nick} changed the topic to: {topic}"
            if topic
            else f"{msg.nick} cleared the topic"
        )
        self._line(buf.name, ChatLine(buf.name, when, msg.nick, text, "topic"))

    def _on_mode(self, msg: Message, now: float) -> None:
        target = msg.param(0)
        if not self._is_channel(target):
            if self._fold(target) == self._fold(self.nick):
                self._info(STATUS_BUFFER, f"Your modes: {' '.join(msg.params[1:])}", now, "mode")
            return
        buf = self._buf(target)
        if buf is None:
            return
        when, _ = self._time(msg, now)
        modes = msg.param(1)
        args = list(msg.params[2:])
        adding = True
        changed = False
        list_modes, always_modes, set_modes, _ = self._chanmodes
        for ch in modes:
            if ch in "+-":
                adding = ch == "+"
                continue
            if ch in self._prefix_modes:
                if not args:
                    continue
                nick = args.pop(0)
                folded = self._fold(nick)
                if folded in buf.members:
                    name, prefixes = buf.members[folded]
                    symbol = self._prefix_chars[self._prefix_modes.index(ch)]
                    if adding and symbol not in prefixes:
                        prefixes += symbol
                    elif not adding:
                        prefixes = prefixes.replace(symbol, "")
                    prefixes = "".join(sorted(prefixes, key=self._prefix_chars.index))
                    buf.members[folded] = (name, prefixes)
                    changed = True
            elif args and (ch in list_modes or ch in always_modes or (ch in set_modes and adding)):
                args.pop(0)
        if changed:
            self._emit_members(buf)
        text = f"{msg.nick} sets mode {' '.join(msg.params[1:])}"
        self._line(buf.name, ChatLine(buf.name, when, msg.nick, text, "mode"))

    def _on_away(self, msg: Message, now: float) -> None:
        user = self._user(msg.nick)
        away = bool(msg.params and msg.param(0))
        if user.away != away:
            user.away = away
            self._emit_members_of(user.nick)

    def _on_account(self, msg: Message, now: float) -> None:
        account = msg.param(0)
        self._user(msg.nick).account = None if account == "*" else account
        self._emit_members_of(msg.nick)

    def _on_chghost(self, msg: Message, now: float) -> None:
        user = self._user(msg.nick)
        user.user, user.host = msg.param(0), msg.param(1)
        self._emit_members_of(msg.nick)

    def _on_setname(self, msg: Message, now: float) -> None:
        self._user(msg.nick).realname = msg.param(0)

    def _on_batch(self, msg: Message, now: float) -> None:
        ref = msg.param(0)
        if ref.startswith("+"):
            self._batches[ref[1:]] = msg.param(1)
        elif ref.startswith("-"):
            self._batches.pop(ref[1:], None)

    def _on_invite(self, msg: Message, now: float) -> None:
        channel = msg.param(1)
        self._info(self.current, f"{msg.nick} invites you to {channel} (/join {channel})", now)

    def _on_numeric(self, msg: Message, now: float) -> None:
        code = msg.command
        handler = _NUMERICS.get(code)
        if handler is not None:
            handler(self, msg, now)
            return
        text = " ".join(p for p in msg.params[1:] if p)
        if not text:
            return
        if code == "421" and msg.param(1).upper() == "WHO" and self._who:
            req = self._who.popleft()
            buffer = req.buffer if self._buf(req.buffer) else STATUS_BUFFER
            self._info(buffer, "This server does not support WHO", now, "error")
            return
        if code[0] in "45":
            self._info(self.current, text, now, "error")
            if code in ("403", "405", "471", "473", "474", "475", "477"):
                self._drop_queue(msg.param(1), now)
                self._focus_on_join.discard(self._fold(msg.param(1)))
        else:
            self._info(STATUS_BUFFER, text, now)

    def _on_topic_numeric(self, msg: Message, now: float) -> None:
        buf = self._buf(msg.param(1))
        if buf is None:
            return
        topic = msg.param(2) if msg.command == "332" else ""
        buf.topic = topic
        self._events.append(TopicChanged(buf.name, topic))
        if topic:
            self._info(buf.name, f"Topic: {topic}", now, "topic")

    def _on_names(self, msg: Message, now: float) -> None:
        buf = self._buf(msg.param(2))
        if buf is None:
            return
        if buf.names_pending is None:
            buf.names_pending = {}
        for item in msg.params[-1].split():
            i = 0
            while i < len(item) and item[i] in self._prefix_chars:
                i += 1
            prefixes = "".join(sorted(set(item[:i]), key=self._prefix_chars.index))
            mask = item[i:]
            nick, _, userhost = mask.partition("!")
            if not nick:
                continue
            if userhost:
                user = self._user(nick)
                user.user, _, user.host = userhost.partition("@")
            buf.names_pending[self._fold(nick)] = (nick, prefixes)

    def _on_end_of_names(self, msg: Message, now: float) -> None:
        buf = self._buf(msg.param(1))
        if buf is None:
            return
        if buf.names_pending is not None:
            buf.members = buf.names_pending
            buf.names_pending = None
            self._emit_members(buf)
        folded = self._fold(buf.name)
        if folded in self._names_requested:
            self._names_requested.discard(folded)
            members = self._member_list(buf)
            names = " ".join(m.prefix + m.nick for m in members)
            self._info(buf.name, f"{len(members)} in {buf.name}: {names}", now)

    def _on_who_reply(self, msg: Message, now: float) -> None:
        # 352 <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
        flags = msg.param(6)
        user = _User(msg.param(5), msg.param(2), msg.param(3), None, None, "G" in flags)
        user.realname = msg.param(7).partition(" ")[2]
        self._who_reply(user)

    def _on_whox_reply(self, msg: Message, now: float) -> None:
        # 354 <me> <token> <user> <host> <nick> <flags> <account>
        if msg.param(1) != _WHOX_TOKEN or len(msg.params) < 7:
            return
        account = msg.param(6)
        user = _User(msg.param(4), msg.param(2), msg.param(3), account if account != "0" else "")
        user.away = "G" in msg.param(5)
        self._who_reply(user)

    def _on_who_end(self, msg: Message, now: float) -> None:
        self._who_end(now)

    def _on_away_numeric(self, msg: Message, now: float) -> None:
        if msg.command == "301":
            nick = msg.param(1)
            buf = self._buf(nick)
            self._info(buf.name if buf else self.current, f"{nick} is away: {msg.param(2)}", now)
            return
        self.away = msg.command == "306"
        self._info(self.current, "You are away" if self.away else "You are back", now)
        self._emit_status()

    def _on_sasl_numeric(self, msg: Message, now: float) -> None:
        code = msg.command
        text = msg.params[-1]
        if code in ("900", "901"):
            self._info(STATUS_BUFFER, text, now)
            return
        if code == "903":
            self._info(STATUS_BUFFER, text or "Logged in", now)
        elif code in ("902", "904", "905", "906", "907"):
            self._info(STATUS_BUFFER, f"Login failed: {text}", now, "error")
        elif code == "908":
            return
        self._sasl_active = False
        self._cap_end()

    def _on_silent(self, msg: Message, now: float) -> None:
        pass

    # ------------------------------------------------------------------ helpers

    def _fold(self, name: str) -> str:
        folded = (
            name.lower()
            if name.isascii()
            else "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
        )
        return folded.translate(self._fold_table) if self._fold_table else folded

    def _is_channel(self, name: str) -> bool:
        return bool(name) and name[0] in self.isupport.get("CHANTYPES", "#&")

    @staticmethod
    def _valid_nick_like(name: str) -> bool:
        return bool(name) and not any(c in name for c in " ,*?!@:") and name[0] not in "#&$"

    def _buf(self, name: str) -> _Buffer | None:
        return self._buffers.get(self._fold(name))

    def _user(self, nick: str) -> _User:
        folded = self._fold(nick)
        user = self._users.get(folded)
        if user is None:
            user = self._users[folded] = _User(nick)
        return user

    def _note_source(self, msg: Message) -> None:
        if msg.source and "!" in msg.source:
            nick, _, userhost = msg.source.partition("!")
            user = self._user(nick)
            user.user, _, host = userhost.partition("@")
            user.host = host or user.host

    def _forget_if_unseen(self, nick: str) -> None:
        folded = self._fold(nick)
        if not any(folded in b.members for b in self._buffers.values()):
            self._users.pop(folded, None)

    def _mentions_me(self, text: str) -> bool:
        if not self.nick:
            return False
        return (
            re.search(rf"(?<![\w-]){re.escape(self.nick)}(?![\w-])", text, re.IGNORECASE)
            is not None
        )

    def _want(self, channel: str) -> None:
        self._wanted.setdefault(self._fold(channel), channel)

    def _unwant(self, channel: str) -> None:
        self._wanted.pop(self._fold(channel), None)
        self._first_join_pending.discard(self._fold(channel))

    def _ensure_channel(self, channel: str) -> str:
        buf = self._buf(channel)
        if buf is None:
            buf = self._open_buffer(channel, "channel", focus=False)
        return buf.name

    def _open_buffer(self, name: str, kind: BufferKind, *, focus: bool) -> _Buffer:
        buf = self._buf(name)
        if buf is not None:
            if focus:
                self._focus(buf.name)
            return buf
        buf = _Buffer(name, kind, deque(maxlen=max(1, self.config.scrollback)))
        self._buffers[self._fold(name)] = buf
        self._events.append(BufferOpened(name, kind, focus))
        if focus:
            self.current = name
        return buf

    def _focus(self, name: str) -> None:
        buf = self._buf(name)
        if buf is None:
            return
        self.set_current(buf.name)
        self._events.append(CurrentBufferChanged(buf.name))

    def _drop_buffer(self, buf: _Buffer) -> None:
        if buf.kind == "status":
            return
        self._buffers.pop(self._fold(buf.name), None)
        self._events.append(BufferClosed(buf.name))
        if self._fold(self.current) == self._fold(buf.name):
            self.current = STATUS_BUFFER
            self._events.append(CurrentBufferChanged(STATUS_BUFFER))

    def _rename_buffer(self, buf: _Buffer, new: str) -> None:
        old = buf.name
        self._buffers.pop(self._fold(old), None)
        buf.name = new
        buf.lines = deque((_renamed(line, new) for line in buf.lines), maxlen=buf.lines.maxlen)
        self._buffers[self._fold(new)] = buf
        if self._fold(self.current) == self._fold(old):
            self.current = new
        self._events.append(BufferRenamed(old, new))

    def _member_list(self, buf: _Buffer) -> tuple[Member, ...]:
        ranks = self._prefix_chars
        members = []
        for folded, (nick, prefixes) in buf.members.items():
            user = self._users.get(folded)
            members.append(
                Member(
                    nick,
                    prefixes,
                    away=user.away if user else False,
                    account=user.account if user else None,
                    host=user.host if user else None,
                )
            )
        members.sort(
            key=lambda m: (
                ranks.index(m.prefix) if m.prefix and m.prefix in ranks else len(ranks),
                self._fold(m.nick),
            )
        )
        return tuple(members)

    def _emit_members(self, buf: _Buffer) -> None:
        self._events.append(MembersChanged(buf.name, self._member_list(buf)))

    def _emit_members_of(self, nick: str) -> None:
        folded = self._fold(nick)
        for buf in self._buffers.values():
            if buf.kind == "channel" and folded in buf.members:
                self._emit_members(buf)

    def _set_nick(self, nick: str) -> None:
        if nick != self.nick:
            self.nick = nick
            self._events.append(NickChanged(nick))
        self._emit_status()

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        if state != "reconnecting":
            self._retry_in = None
        self._emit_status()

    def _emit_status(self) -> None:
        self._events.append(self.status())

    def _send(self, command: str, *params: str) -> None:
        self._out.append(Message(command, tuple(params)).to_bytes())

    def _info(self, buffer: str, text: str, now: float, kind: LineKind = "info") -> None:
        buf = self._buf(buffer) or self._buf(STATUS_BUFFER)
        assert buf is not None
        self._line(buf.name, ChatLine(buf.name, local_time(now), "", text, kind))

    def _line(self, buffer: str, line: ChatLine) -> None:
        buf = self._buf(buffer)
        if buf is None:
            return
        buf.lines.append(line)
        self._events.append(line)
        if (
            line.kind in _COUNTED_KINDS
            and not line.self_msg
            and not line.history
            and self._fold(buf.name) != self._fold(self.current)
        ):
            buf.unread += 1
            buf.highlight = buf.highlight or line.highlight
            self._events.append(UnreadChanged(buf.name, buf.unread, buf.highlight))


def _renamed(line: ChatLine, buffer: str) -> ChatLine:
    return ChatLine(
        buffer,
        line.time,
        line.nick,
        line.text,
        line.kind,
        line.self_msg,
        line.highlight,
        line.history,
        line.msgid,
    )


def _alternative_nick(base: str, attempt: int) -> str:
    """nick_, nick__, nick2, nick3, ... for attempt 1, 2, 3, ..."""
    if attempt == 1:
        return base + "_"
    if attempt == 2:
        return base + "__"
    return f"{base}{attempt - 1}"


def _split_utf8(text: str, limit: int) -> Iterable[str]:
    """Split text into pieces of at most `limit` UTF-8 bytes, preferring spaces."""
    while len(text.encode("utf-8")) > limit:
        cut = len(text.encode("utf-8")[:limit].decode("utf-8", "ignore"))
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        yield text[:cut]
        text = text[cut:].lstrip(" ")
    if text:
        yield text


_H = Callable[[ClientCore, Message, float], None]

_HANDLERS: dict[str, _H] = {
    "PING": ClientCore._on_ping,
    "PONG": ClientCore._on_pong,
    "ERROR": ClientCore._on_error,
    "CAP": ClientCore._on_cap,
    "AUTHENTICATE": ClientCore._on_authenticate,
    "PRIVMSG": ClientCore._on_privmsg,
    "NOTICE": ClientCore._on_privmsg,
    "JOIN": ClientCore._on_join,
    "PART": ClientCore._on_part,
    "KICK": ClientCore._on_kick,
    "QUIT": ClientCore._on_quit,
    "NICK": ClientCore._on_nick,
    "TOPIC": ClientCore._on_topic,
    "MODE": ClientCore._on_mode,
    "AWAY": ClientCore._on_away,
    "ACCOUNT": ClientCore._on_account,
    "CHGHOST": ClientCore._on_chghost,
    "SETNAME": ClientCore._on_setname,
    "BATCH": ClientCore._on_batch,
    "INVITE": ClientCore._on_invite,
}

_NUMERICS: dict[str, _H] = {
    "001": ClientCore._on_welcome,
    "005": ClientCore._on_isupport,
    "301": ClientCore._on_away_numeric,
    "305": ClientCore._on_away_numeric,
    "306": ClientCore._on_away_numeric,
    "315": ClientCore._on_who_end,
    "324": ClientCore._on_silent,
    "329": ClientCore._on_silent,
    "331": ClientCore._on_topic_numeric,
    "332": ClientCore._on_topic_numeric,
    "333": ClientCore._on_silent,
    "352": ClientCore._on_who_reply,
    "354": ClientCore._on_whox_reply,
    "353": ClientCore._on_names,
    "366": ClientCore._on_end_of_names,
    "432": ClientCore._on_nick_error,
    "433": ClientCore._on_nick_error,
    "900": ClientCore._on_sasl_numeric,
    "901": ClientCore._on_sasl_numeric,
    "902": ClientCore._on_sasl_numeric,
    "903": ClientCore._on_sasl_numeric,
    "904": ClientCore._on_sasl_numeric,
    "905": ClientCore._on_sasl_numeric,
    "906": ClientCore._on_sasl_numeric,
    "907": ClientCore._on_sasl_numeric,
    "908": ClientCore._on_sasl_numeric,
}

COMMANDS: dict[str, _Command] = {
    "help": _Command("/help", "list the commands", ClientCore._cmd_help),
    "pm": _Command(
        "/pm <nick|ip> <message>",
        "private message; an IP address finds who is connected from it",
        ClientCore._cmd_pm,
    ),
    "msg": _Command("/msg <nick|#channel|ip> <message>", "send a message", ClientCore._cmd_msg),
    "query": _Command(
        "/query <nick> [message]", "open a private conversation", ClientCore._cmd_query
    ),
    "who": _Command("/who [mask]", "who is here (nick, host, away, account)", ClientCore._cmd_who),
    "join": _Command("/join <#channel> [key]", "join a channel", ClientCore._cmd_join),
    "part": _Command("/part [#channel] [reason]", "leave a channel", ClientCore._cmd_part),
    "close": _Command("/close [tab]", "close this tab (leaves a channel)", ClientCore._cmd_close),
    "me": _Command("/me <action>", "send an action (* you waves)", ClientCore._cmd_me),
    "nick": _Command("/nick <newnick>", "change your nick", ClientCore._cmd_nick),
    "topic": _Command("/topic [new topic]", "show or set the channel topic", ClientCore._cmd_topic),
    "away": _Command(
        "/away [message]", "mark yourself away; without a message: back", ClientCore._cmd_away
    ),
    "names": _Command("/names [#channel]", "list the channel's members", ClientCore._cmd_names),
    "whois": _Command("/whois <nick>", "information about a user", ClientCore._cmd_whois),
    "quote": _Command("/quote <raw IRC line>", "send a raw IRC line", ClientCore._cmd_quote),
    "quit": _Command("/quit [reason]", "disconnect and leave the program", ClientCore._cmd_quit),
    "exit": _Command("/exit", "disconnect and leave the program", ClientCore._cmd_exit),
}

ALIASES: dict[str, str] = {"j": "join", "q": "query", "leave": "part", "raw": "quote"}
