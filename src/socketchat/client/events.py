"""Events the client core emits for its views (terminal, desktop, browser).

Every event is a frozen dataclass and carries everything a view needs to draw it, so a view in
another thread (tkinter) never has to read the core's mutable state. Buffers are named by their
display name: a channel (``#lobby``), a nick for a private conversation, or `STATUS_BUFFER`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

STATUS_BUFFER = "*status*"

LineKind = Literal[
    "message",
    "action",
    "notice",
    "join",
    "part",
    "quit",
    "kick",
    "nick",
    "topic",
    "mode",
    "info",
    "error",
]
BufferKind = Literal["status", "channel", "query"]
ConnectionState = Literal["disconnected", "connecting", "registering", "connected", "reconnecting"]


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One line in a buffer. `time` is local and timezone-aware (server-time when sent)."""

    buffer: str
    time: datetime
    nick: str  # who said it; "" for info/error lines
    text: str
    kind: LineKind = "message"
    self_msg: bool = False  # sent by us
    highlight: bool = False  # mentions our nick, or a private message to us
    history: bool = False  # replayed history (chathistory), not live
    msgid: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A channel member; `prefixes` are mode prefixes by rank (``"@+"``), highest first."""

    nick: str
    prefixes: str = ""
    away: bool = False
    account: str | None = None
    host: str | None = None

    @property
    def prefix(self) -> str:
        return self.prefixes[:1]


@dataclass(frozen=True, slots=True)
class BufferOpened:
    buffer: str
    kind: BufferKind
    focus: bool = False  # the user asked for it (/query, /pm, /join): switch to it


@dataclass(frozen=True, slots=True)
class BufferClosed:
    buffer: str


@dataclass(frozen=True, slots=True)
class BufferRenamed:
    """A private conversation follows its peer's nick change."""

    old: str
    new: str


@dataclass(frozen=True, slots=True)
class CurrentBufferChanged:
    buffer: str


@dataclass(frozen=True, slots=True)
class MembersChanged:
    """The member list of a channel, sorted for display (highest prefix first, then by nick)."""

    buffer: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class TopicChanged:
    buffer: str
    topic: str
    setter: str | None = None


@dataclass(frozen=True, slots=True)
class ModesChanged:
    """A channel's modes as the view shows them (``+ntl 25``), from 324 and MODE changes."""

    buffer: str
    modes: str


@dataclass(frozen=True, slots=True)
class UnreadChanged:
    buffer: str
    unread: int
    highlight: bool


@dataclass(frozen=True, slots=True)
class NickChanged:
    nick: str


@dataclass(frozen=True, slots=True)
class NickRefused:
    """The server refused `nick` while connecting: `taken` (433, someone holds it or a nick that
    looks like it) or not allowed (432); `reason` is the server's own words (socketchat says
    why, e.g. "letters and digits of one script only"). With `ClientConfig.ask_nick` the core
    waits for the view's `ClientCore.choose_nick` (the server drops a connection that has not
    registered within its timeout, 30 s by default; the core then reconnects and asks again);
    without it the core also tries nick_, nick__, nick2, ... itself."""

    nick: str
    reason: str
    taken: bool


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Connection status. `retry_in` is set (seconds) when state is "reconnecting"."""

    state: ConnectionState
    nick: str
    server: str = ""
    away: bool = False
    retry_in: float | None = None
    queued: int = 0  # messages typed while offline, waiting to be sent
    account: str | None = None  # the account we are logged in as

    def describe(self) -> str:
        """A short human description for a status line."""
        if self.state == "reconnecting" and self.retry_in is not None:
            text = f"reconnecting in {self.retry_in:.0f} s"
        else:
            text = self.state
        if self.server:
            text += f" · {self.server}"
        text += f" · {self.nick}"
        if self.account:
            text += f" [account {self.account}]"
        if self.away:
            text += " (away)"
        if self.queued:
            text += f" · {self.queued} queued"
        return text


@dataclass(frozen=True, slots=True)
class BufferReset:
    """History was merged into the buffer: redraw it from `lines` (oldest first).

    Sent when replayed history (chathistory on join or rejoin) lands before lines already shown,
    such as "You joined" and the topic, so every line is in chronological position.
    """

    buffer: str
    lines: tuple[ChatLine, ...]


@dataclass(frozen=True, slots=True)
class HistoryInserted:
    """Older lines (scroll-back) for the top of the buffer, oldest first.

    `complete` is True once the start of the buffer's history is reached: the first line is
    then a "start of history" marker and no more requests will be made.
    """

    buffer: str
    lines: tuple[ChatLine, ...]
    complete: bool = False


@dataclass(frozen=True, slots=True)
class ExitRequested:
    """The user asked to leave (/exit, /quit): the adapter closes, the view should exit."""

    reason: str


Event = (
    ChatLine
    | BufferOpened
    | BufferClosed
    | BufferRenamed
    | CurrentBufferChanged
    | MembersChanged
    | TopicChanged
    | ModesChanged
    | UnreadChanged
    | NickChanged
    | NickRefused
    | StatusChanged
    | ExitRequested
    | BufferReset
    | HistoryInserted
)
