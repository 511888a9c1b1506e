"""MARKREAD (IRCv3 draft/read-marker): how far a user has read each channel and conversation.

    MARKREAD <target>                      get: the server answers MARKREAD <target> <ts | *>
    MARKREAD <target> timestamp=<time>     set: stored if newer, then sent to all the user's
                                           connections that negotiated the capability

A marker belongs to the user: to the account when logged in (every connection of the account
shares it), else to the one connection. An account's markers are kept in storage (the
`read_markers` table: they survive restarts and are the same whichever connection asks); a
connection's live in `ChatState` (the seam for shared state) while it lasts, and without storage
an account's do too. They are never shown to anyone else. A marker only moves forward, and
never past the server's own clock. A client with the capability gets the channel's marker after
each JOIN, before the names (`send_on_join`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc.casemap import casefold, is_channel, valid_nick
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_ms, parse_ms
from socketchat.server.persistence import persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

CAP = "draft/read-marker"


def owner_of(s: Session) -> str:
    """Whose markers `s` reads and writes: its account's, else its own connection's."""
    return "a:" + casefold(s.account) if s.account else f"c:{s.id}"


def handle_markread(server: Server, s: Session, m: Message) -> None:
    target = m.param(0)
    if not target:
        s.fail("MARKREAD", "NEED_MORE_PARAMS", "Missing parameters")
        return
    if not (is_channel(target) or valid_nick(target, server.config.nicklen)):
        s.fail("MARKREAD", "INVALID_PARAMS", "Invalid target", target)
        return
    if len(m.params) < 2:
        s.send(_markread(server, target, _get(server, s, target)))
        return
    kind, _, value = m.params[1].partition("=")
    when = parse_ms(value) if kind == "timestamp" else None
    if when is None or when < 0:  # `*` included: a client may not set "nothing read"
        s.fail("MARKREAD", "INVALID_PARAMS", "Invalid timestamp", m.params[1])
        return
    when = min(when, int(server.clock() * 1000))
    if _set(server, s, target, when):
        update = _markread(server, target, when)
        if s.account:
            others = server.state.sessions_of(s.account)
            server.deliver(update, [u for u in others if u is not s and CAP in u.caps])
    # The reply to the setter is always the stored value (newer than the client's, maybe).
    s.send(_markread(server, target, _get(server, s, target)))


def send_on_join(server: Server, s: Session, channel_name: str) -> None:
    if CAP in s.caps:
        s.send(_markread(server, channel_name, _get(server, s, channel_name)))


def _get(server: Server, s: Session, target: str) -> int | None:
    p = persistence_of(server)
    if s.account and p is not None:
        return p.read_marker(s.account, target)
    return server.state.read_marker(owner_of(s), target)


def _set(server: Server, s: Session, target: str, when: int) -> bool:
    """Move the marker forward to `when`; False if it already was there or past."""
    p = persistence_of(server)
    if s.account and p is not None:
        return p.set_read_marker(s.account, target, when)
    return server.state.set_read_marker(owner_of(s), target, when)


def _markread(server: Server, target: str, when: int | None) -> Message:
    stamp = "*" if when is None else "timestamp=" + format_ms(when)
    return Message("MARKREAD", (target, stamp), server.name)
