"""WHO: ``/who`` listings, and finding who is connected from an IP address for ``/pm <ip>``.

Requests wait in `ClientCore.who` (a FIFO: servers answer WHOs in order); each collects its
352/354 replies until 315. A ``/pm <ip>`` request sends the message when exactly one other user
is connected from that address, asks ``WHO *`` when the server matched nothing (some servers
match masks against nicks only), and otherwise says why nothing was sent.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.client.events import STATUS_BUFFER, tr
from socketchat.client.outgoing import say
from socketchat.client.state import User
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["WhoRequest", "parse_ip", "request"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
WHOX_TOKEN = "152"


@dataclass(slots=True)
class WhoRequest:
    mask: str
    buffer: str
    pm_ip: IPAddress | None = None
    pm_text: str = ""
    pm_focus: bool = True
    replies: list[User] = field(default_factory=list)


def parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def request(
    core: ClientCore,
    mask: str,
    buffer: str,
    pm_ip: IPAddress | None = None,
    pm_text: str = "",
    pm_focus: bool = True,
) -> None:
    core.who.append(WhoRequest(mask, buffer, pm_ip, pm_text, pm_focus))
    if "WHOX" in core.isupport:
        core.send("WHO", mask, f"%tuhnfa,{WHOX_TOKEN}")
    else:
        core.send("WHO", mask)


def on_who_reply(core: ClientCore, msg: Message, now: float) -> None:
    # 352 <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
    flags = msg.param(6)
    user = User(msg.param(5), msg.param(2), msg.param(3), None, None, "G" in flags)
    user.realname = msg.param(7).partition(" ")[2]
    _reply(core, user)


def on_whox_reply(core: ClientCore, msg: Message, now: float) -> None:
    # 354 <me> <token> <user> <host> <nick> <flags> <account>
    if msg.param(1) != WHOX_TOKEN or len(msg.params) < 7:
        return
    account = msg.param(6)
    user = User(msg.param(4), msg.param(2), msg.param(3), account if account != "0" else "")
    user.away = "G" in msg.param(5)
    _reply(core, user)


def on_who_end(core: ClientCore, msg: Message, now: float) -> None:
    if not core.who:
        return
    req = core.who.popleft()
    if req.pm_ip is not None:
        _pm_resolved(core, req, now)
        return
    buffer = req.buffer if core.model.buf(req.buffer) else STATUS_BUFFER
    if not req.replies:
        core.info(buffer, tr("WHO {mask}: nobody", mask=req.mask), now)
        return
    core.info(buffer, tr("WHO {mask}: {count} user(s)", mask=req.mask, count=len(req.replies)), now)
    for u in req.replies:
        account = u.account or core.model.user(u.nick).account
        # values, isolated when drawn: "~user@host" stays whole beside a Persian nick
        where = f"{u.user or '?'}@{u.host or '?'}"
        if u.away and account:
            said = tr(
                "  {nick} — {host} (away) [account: {account}]",
                nick=u.nick,
                host=where,
                account=account,
            )
        elif u.away:
            said = tr("  {nick} — {host} (away)", nick=u.nick, host=where)
        elif account:
            said = tr(
                "  {nick} — {host} [account: {account}]", nick=u.nick, host=where, account=account
            )
        else:
            said = tr("  {nick} — {host}", nick=u.nick, host=where)
        core.info(buffer, said, now)


def unsupported(core: ClientCore, now: float) -> None:
    """421 for WHO: the oldest request gets the answer."""
    req = core.who.popleft()
    buffer = req.buffer if core.model.buf(req.buffer) else STATUS_BUFFER
    core.info(buffer, tr("This server does not support WHO"), now, "error")


def _reply(core: ClientCore, user: User) -> None:
    known = core.model.user(user.nick)
    if user.user:
        known.user = user.user
    if user.host:
        known.host = user.host
    if user.account is not None:
        known.account = user.account or None
    if known.away != user.away:
        known.away = user.away
        core.model.emit_members_of(known.nick)
    if core.who:
        core.who[0].replies.append(user)


def _pm_resolved(core: ClientCore, req: WhoRequest, now: float) -> None:
    assert req.pm_ip is not None
    buffer = req.buffer if core.model.buf(req.buffer) else STATUS_BUFFER
    nicks: list[str] = []
    for u in req.replies:
        if parse_ip(u.host or "") == req.pm_ip and not core.is_me(u.nick) and u.nick not in nicks:
            nicks.append(u.nick)
    if not nicks and req.mask != "*":
        # Some servers match WHO masks against nicks only: ask for everyone instead.
        request(core, "*", buffer, req.pm_ip, req.pm_text, req.pm_focus)
    elif not nicks:
        core.info(
            buffer, tr("Nobody (else) is connected from {ip}; not sent", ip=req.pm_ip), now, "error"
        )
    elif len(nicks) > 1:
        core.info(
            buffer,
            tr(
                "Several people are connected from {ip}: {nicks}. "
                "Not sent: use /pm <nick> <message>",
                ip=req.pm_ip,
                nicks=", ".join(nicks),
            ),
            now,
            "error",
        )
    else:
        say(core, nicks[0], req.pm_text, now, action=False, focus=req.pm_focus, origin=buffer)
