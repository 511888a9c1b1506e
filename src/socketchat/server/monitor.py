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

MONITOR_MAX = 100  # targets per client (ISUPPORT MONITOR=): a bounded list, a bounded fan-out
LINE_BUDGET = 400  # bytes of targets per 730/731/732 line, well under 512 with the prefix


def online(server: Server, s: Session) -> None:
    """`s` now holds its nick (registration, nick change): 730 to the nick's watchers."""
    for watcher in server.state.watchers(s.nick):
        if watcher is not s and watcher.registered:
            watcher.numeric(rpl.RPL_MONONLINE, s.prefix)


def offline(server: Server, s: Session, nick: str) -> None:
    """`s` gave up `nick` (quit, nick change): 731 to the nick's watchers."""
    for watcher in server.state.watchers(nick):
        if watcher is not s and watcher.registered:
            watcher.numeric(rpl.RPL_MONOFFLINE, nick)


def nick_changed(server: Server, s: Session, old_nick: str) -> None:
    if casefold(old_nick) == casefold(s.nick):
        return
    offline(server, s, old_nick)
    online(server, s)


def audience(server: Server, s: Session, cap: str, *, include_self: bool = False) -> set[Session]:
    """Who hears of a change to `s` under `cap` (away-notify, setname, account-notify, chghost):
    everyone sharing a channel with it, and its watchers that negotiated extended-monitor."""
    hearers = server.peers_of(s, include_self=include_self)
    for watcher in server.state.watchers(s.nick):
        if "extended-monitor" in watcher.caps and watcher.registered:
            hearers.add(watcher)
    if not include_self:
        hearers.discard(s)
    return {u for u in hearers if cap in u.caps}


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
