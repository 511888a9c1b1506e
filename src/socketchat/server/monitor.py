"""MONITOR notifications (IRCv3 monitor, extended-monitor): who hears that a nick came or went.

The lists themselves live in `ChatState` (`monitor_add`, `watchers`, ...), so that a shared
state can hold them for several server processes; this module only decides what to tell whom.
A watcher hears 730 (RPL_MONONLINE) when a monitored nick registers or is taken by a nick
change, and 731 (RPL_MONOFFLINE) when its holder quits or changes to another nick. A change of
case only (`qux` -> `QUX`) is no change at all.

With `extended-monitor`, watchers also hear the AWAY, SETNAME, ACCOUNT and CHGHOST of the users
they monitor as if they shared a channel, each still only with its own capability: `audience`
is the one place that adds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.user import User

MONITOR_MAX = 100  # targets per client (ISUPPORT MONITOR=): a bounded list, a bounded fan-out
LINE_BUDGET = 400  # bytes of targets per 730/731/732 line, well under 512 with the prefix


def online(server: Server, user: User) -> None:
    """`user` now holds its nick (registration, nick change): 730 to the nick's watchers."""
    for watcher in server.state.watchers(user.nick):
        if watcher.user is not user and watcher.registered:
            watcher.numeric(rpl.RPL_MONONLINE, user.prefix)


def offline(server: Server, user: User, nick: str) -> None:
    """`user` gave up `nick` (quit, nick change): 731 to the nick's watchers."""
    for watcher in server.state.watchers(nick):
        if watcher.user is not user and watcher.registered:
            watcher.numeric(rpl.RPL_MONOFFLINE, nick)


def nick_changed(server: Server, user: User, old_nick: str) -> None:
    if casefold(old_nick) == casefold(user.nick):
        return
    offline(server, user, old_nick)
    online(server, user)


def audience(server: Server, user: User, cap: str, *, include_self: bool = False) -> list[Session]:
    """Who hears of a change to `user` under `cap` (away-notify, setname, account-notify,
    chghost): every session of everyone sharing a channel with it (its own other devices
    too, or all of its own with `include_self`), and its watchers that negotiated
    extended-monitor — each session only if it negotiated `cap`."""
    hearers: dict[Session, None] = {}
    for peer in server.peers_of(user, include_self=True):
        for s in peer.sessions:
            if cap in s.caps:
                hearers[s] = None
    for watcher in server.state.watchers(user.nick):
        if "extended-monitor" in watcher.caps and watcher.registered and cap in watcher.caps:
            hearers[watcher] = None
    if not include_self:
        for s in user.sessions:
            hearers.pop(s, None)
    return list(hearers)


def lines(items: list[str]) -> list[str]:
    """Comma-joined targets, split so that no line passes `LINE_BUDGET`."""
    out: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + len(item) + 1 > LINE_BUDGET:
            out.append(current)
            current = item
        else:
            current = f"{current},{item}" if current else item
    if current:
        out.append(current)
    return out
