"""Presence of private conversations' peers through MONITOR (IRCv3 monitor).

When the server offers ``MONITOR`` (RPL_ISUPPORT), the core monitors the nick of every open
private tab: all of them once 005 says so (tabs kept from before, a reconnect), then each tab as
it opens (``MONITOR + nick``) and closes (``MONITOR - nick``; a peer's nick change moves it).
The server answers 730 (online) and 731 (offline) now and at every change; the view hears
`PresenceChanged` and shows the peer online or offline. The server's limit (``MONITOR=<n>``)
is kept; past it (734) the rest are not known. On a disconnect every presence becomes unknown
(None): the list is sent again after the reconnect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.client.events import (
    BufferClosed,
    BufferOpened,
    BufferRenamed,
    Event,
    PresenceChanged,
    tr,
)

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.irc.message import Message

__all__ = ["lost", "model_event", "on_monitor_numeric", "started"]

_LINE_BUDGET = 400  # bytes of nicks per MONITOR line


def _limit(core: ClientCore) -> int | None:
    value = core.isupport.get("MONITOR", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else None


def _add(core: ClientCore, nicks: list[str]) -> None:
    limit = _limit(core)
    fresh = []
    for nick in nicks:
        folded = core.model.fold(nick)
        if folded in core.monitored or (limit and len(core.monitored) >= limit):
            continue
        core.monitored[folded] = nick
        fresh.append(nick)
    line: list[str] = []
    for nick in fresh:
        if line and len(",".join([*line, nick]).encode()) > _LINE_BUDGET:
            core.send("MONITOR", "+", ",".join(line))
            line = []
        line.append(nick)
    if line:
        core.send("MONITOR", "+", ",".join(line))


def _remove(core: ClientCore, nick: str) -> None:
    if core.monitored.pop(core.model.fold(nick), None) is not None and core.registered:
        core.send("MONITOR", "-", nick)


def started(core: ClientCore) -> None:
    """After 005: monitor every open private tab (once per connection)."""
    if core.monitoring or "MONITOR" not in core.isupport or not core.registered:
        return
    core.monitoring = True
    _add(core, [b.name for b in core.model.buffers.values() if b.kind == "query"])


def model_event(core: ClientCore, event: Event) -> None:
    """Follow the private tabs as they open, close and are renamed."""
    if not core.monitoring:
        return
    if isinstance(event, BufferOpened) and event.kind == "query":
        _add(core, [event.buffer])
    elif isinstance(event, BufferClosed):
        _remove(core, event.buffer)
    elif isinstance(event, BufferRenamed) and core.model.fold(event.old) in core.monitored:
        _remove(core, event.old)
        _add(core, [event.new])


def on_monitor_numeric(core: ClientCore, msg: Message, now: float) -> None:
    """730 RPL_MONONLINE, 731 RPL_MONOFFLINE (``nick[!user@host],…``), 734 list full."""
    if msg.command == "734":
        core.info(
            core.current, tr("The server watches no more nicks for you (MONITOR is full)"), now
        )
        return
    online = msg.command == "730"
    for target in msg.params[-1].split(","):
        nick = target.split("!", 1)[0]
        buf = core.model.buf(nick)
        if nick and buf is not None and buf.kind == "query" and buf.online is not online:
            buf.online = online
            core.emit(PresenceChanged(buf.name, online))


def lost(core: ClientCore) -> None:
    """The connection is gone: nobody's presence is known until the list is sent again."""
    core.monitored.clear()
    core.monitoring = False
    for buf in core.model.buffers.values():
        if buf.kind == "query" and buf.online is not None:
            buf.online = None
            core.emit(PresenceChanged(buf.name, None))
