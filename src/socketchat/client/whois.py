"""WHOIS replies gathered into one readable card instead of a run of raw numerics.

Between 311 (RPL_WHOISUSER) and 318 (RPL_ENDOFWHOIS) the replies about a nick are collected
(`Card`); at 318 the card is written as a few lines into the tab /whois was typed in (else the
shown one). 401 (no such nick) ends it too. The browser's core does the same
(web/static/whois.js); both run tests/fixtures/client/whois.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.client.events import Said, tr
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["Card", "card_lines", "on_whois_numeric", "requested"]

WHOIS_NUMERICS = frozenset({"311", "312", "313", "317", "318", "319", "330", "338", "378", "671"})


@dataclass(slots=True)
class Card:
    nick: str
    user: str = ""
    host: str = ""
    realname: str = ""
    channels: list[str] = field(default_factory=list)
    server: str = ""
    server_info: str = ""
    operator: str = ""
    account: str = ""
    idle: int | None = None
    signon: int | None = None
    away: str = ""
    secure: bool = False
    actual_host: str = ""


def requested(core: ClientCore, nick: str, buffer: str) -> None:
    """/whois was typed in `buffer`: the card goes there."""
    core.whois_buffers[core.model.fold(nick)] = buffer


def _duration(seconds: int) -> Said:
    """How long, in the largest units that fit (``1 h 2 min``): translatable."""
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return (
            tr("{days} d {hours} h", days=days, hours=hours) if hours else tr("{days} d", days=days)
        )
    if hours:
        return (
            tr("{hours} h {minutes} min", hours=hours, minutes=minutes)
            if minutes
            else tr("{hours} h", hours=hours)
        )
    return tr("{minutes} min", minutes=minutes) if minutes else tr("{seconds} s", seconds=sec)


def card_lines(card: Card) -> list[str | Said]:
    """The card as lines: who, then one line per thing the server told."""
    where = {"nick": card.nick, "address": f"{card.user}@{card.host}"}  # one value: user@host
    # a template though it is all values: the views put each value in its own isolate, so a
    # Persian nick first does not turn the line right-to-left and scramble "(~user@host)"
    who = (
        tr("{nick} ({address}) — {realname}", **where, realname=card.realname)
        if card.realname
        else tr("{nick} ({address})", **where)
    )
    lines: list[str | Said] = [who]
    if card.account:
        lines.append(tr("  account: {account}", account=card.account))
    if card.channels:
        lines.append(tr("  channels: {channels}", channels=" ".join(card.channels)))
    if card.server and card.server_info:
        lines.append(tr("  server: {server} ({info})", server=card.server, info=card.server_info))
    elif card.server:
        lines.append(tr("  server: {server}", server=card.server))
    if card.away:
        lines.append(tr("  away: {reason}", reason=card.away))
    if card.idle is not None:
        lines.append(tr("  idle: {duration}", duration=_duration(card.idle)))
    if card.actual_host:
        lines.append(tr("  connecting from: {host}", host=card.actual_host))
    if card.secure:
        lines.append(tr("  secure connection (TLS)"))
    if card.operator:
        lines.append(f"  {card.operator}")  # the server's words
    return lines


def on_away(core: ClientCore, msg: Message) -> bool:
    """301 during a WHOIS: part of the card (True), else shown as usual (False)."""
    card = core.whois.get(core.model.fold(msg.param(1)))
    if card is None:
        return False
    card.away = msg.params[-1]
    return True


def on_whois_numeric(core: ClientCore, msg: Message, now: float) -> None:
    code, p = msg.command, msg.params
    nick = msg.param(1)
    folded = core.model.fold(nick)
    if code == "311":
        core.whois[folded] = Card(nick, msg.param(2), msg.param(3), p[-1] if len(p) > 5 else "")
        return
    card = core.whois.get(folded)
    if card is None:
        if code != "318":
            core.info(core.current, " ".join(x for x in p[1:] if x), now)
        return
    if code == "312":
        card.server, card.server_info = msg.param(2), p[-1] if len(p) > 3 else ""
    elif code == "313":
        card.operator = p[-1]
    elif code == "317":
        idle, signon = msg.param(2), msg.param(3)
        card.idle = int(idle) if idle.isdigit() else None
        card.signon = int(signon) if signon.isdigit() else None
    elif code == "319":
        card.channels += p[-1].split()
    elif code == "330":
        card.account = msg.param(2)
    elif code in ("338", "378"):
        card.actual_host = msg.param(2) if code == "338" and len(p) > 3 else p[-1]
    elif code == "671":
        card.secure = True
    elif code == "318":
        del core.whois[folded]
        wanted = core.whois_buffers.pop(folded, None)
        buf = core.model.buf(wanted) if wanted else None
        where = buf.name if buf is not None else core.current
        for line in card_lines(card):
            core.info(where, line, now)
