"""Questions about users, channels and the server: WHO (with WHOX), WHOIS, WHOWAS, LIST, ISON,
USERHOST, MOTD, LUSERS, VERSION, TIME. None of them change any state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from socketchat import __version__
from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, is_channel
from socketchat.irc.message import MAX_BODY, pack_words
from socketchat.irc.numbers import parse_number
from socketchat.server import services
from socketchat.server.commands import metadata
from socketchat.server.commands.listfilter import parse_list_filter
from socketchat.server.commands.modeparse import BOT_MODE
from socketchat.server.commands.visibility import can_see_channel, can_see_user, is_oper
from socketchat.server.masks import mask_problem, match_mask
from socketchat.server.welcome import send_isupport, send_lusers, send_motd

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel
    from socketchat.server.user import User

WHOX_FIELDS = "tcuihsnfdlaor"  # the order RPL_WHOSPCRPL lists them in, whatever was asked
MAX_WHO_RESULTS = 500  # a mask WHO stops here (opers: no limit)
USERHOST_MAX = 5
HIDDEN_IP = "255.255.255.255"


def _sees_private(viewer: Session, user: User) -> bool:
    """Actual IP, idle time in WHOX: only about yourself, or as an operator."""
    return viewer.user is user or is_oper(viewer)


def wrong_server(server: Server, s: Session, m: Message, index: int) -> bool:
    """VERSION/TIME/MOTD/... <server>: we are the only server."""
    target = m.param(index)
    if not target or casefold(target) == casefold(server.name):
        return False
    problem = mask_problem(target)
    if problem is not None:
        s.numeric(rpl.ERR_NOSUCHSERVER, target[:50], f"No such server: {problem}")
        return True
    if not match_mask(target, server.name):
        s.numeric(rpl.ERR_NOSUCHSERVER, target, "No such server")
        return True
    return False


# -- WHO ------------------------------------------------------------------------------------
def handle_who(server: Server, s: Session, m: Message) -> None:
    mask = m.param(0) or "*"
    problem = mask_problem(mask)
    if problem is not None:  # answered like a mask that matches nobody, and told why
        s.notice(f"WHO: {problem}")
        s.numeric(rpl.RPL_ENDOFWHO, mask[:50], "End of WHO list")
        return
    flags, _, whox = m.param(1).partition("%")
    fields, _, token = whox.partition(",")
    if parse_number(token, max_digits=3) is None:
        token = "0" if "t" in fields else ""
    opers_only = "o" in flags
    for user, channel in _who_matches(server, s, mask):
        if opers_only and not is_oper(user):
            continue
        if whox:
            _whox_reply(server, s, user, channel, fields, token)
        else:
            s.numeric(
                rpl.RPL_WHOREPLY,
                channel.name if channel else "*",
                user.username,
                user.host,
                server.name,
                user.nick,
                who_flags(s, user, channel),
                f"0 {user.realname}",
            )
    s.numeric(rpl.RPL_ENDOFWHO, mask, "End of WHO list")


def _who_matches(server: Server, s: Session, mask: str) -> Iterator[tuple[User, Channel | None]]:
    if is_channel(mask):
        channel = server.state.find_channel(mask)
        if channel is None or not can_see_channel(s, channel):
            return
        member = s.user in channel.members
        for user in list(channel.members):
            if member or can_see_user(s, user):
                yield user, channel
        return
    if "*" not in mask and "?" not in mask and mask != "0":
        exact = server.state.find_nick(mask)  # an exact nick is as public as WHOIS
        if exact is not None and exact.registered:
            yield exact, None
            return
        # not a nick: match it against hosts, users and real names (e.g. `WHO 192.0.2.7`)
    limit = 0 if is_oper(s) else MAX_WHO_RESULTS
    found = 0
    for user in server.state.users():
        if not user.registered or not can_see_user(s, user):
            continue
        if mask not in ("*", "0") and not _user_matches(server, user, mask):
            continue
        yield user, None
        found += 1
        if limit and found >= limit:
            return


def _user_matches(server: Server, user: User, mask: str) -> bool:
    return any(
        match_mask(mask, value)
        for value in (user.nick, user.username, user.host, user.realname, server.name, user.prefix)
    )


def who_flags(viewer: Session, user: User, channel: Channel | None) -> str:
    flags = "G" if user.away is not None else "H"
    if is_oper(user):
        flags += "*"
    if BOT_MODE in user.modes:
        flags += BOT_MODE
    if channel is not None:
        flags += channel.prefix_of(user, "multi-prefix" in viewer.caps)
    return flags


def _whox_reply(
    server: Server, s: Session, user: User, channel: Channel | None, fields: str, token: str
) -> None:
    private = _sees_private(s, user)
    values = {
        "t": token,
        "c": channel.name if channel else "*",
        "u": user.username,
        "i": user.ip if private else HIDDEN_IP,
        "h": user.host,
        "s": server.name,
        "n": user.nick,
        "f": who_flags(s, user, channel),
        "d": "0",
        "l": str(int(server.monotonic() - user.last_message_at)) if private else "0",
        "a": user.account or "0",
        "o": "n/a",
        "r": user.realname,
    }
    wanted = [values[f] for f in WHOX_FIELDS if f in fields]
    if wanted:
        s.numeric(rpl.RPL_WHOSPCRPL, *wanted)


# -- WHOIS / WHOWAS ---------------------------------------------------------------------------
def handle_whois(server: Server, s: Session, m: Message) -> None:
    nicks = m.params[-1]
    for nick in nicks.split(",")[: max(1, server.config.limits.max_targets or 1)]:
        user = server.state.find_nick(nick)
        if user is None and services.whois(server, s, nick):
            pass  # NickServ: a pseudo-user
        elif user is None or not user.registered:
            s.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        else:
            send_whois(server, s, user)
        s.numeric(rpl.RPL_ENDOFWHOIS, user.nick if user else nick, "End of /WHOIS list")


def send_whois(server: Server, s: Session, user: User) -> None:
    nick = user.nick
    s.numeric(rpl.RPL_WHOISUSER, nick, user.username, user.host, "*", user.realname)
    multi = "multi-prefix" in s.caps
    channels = [
        ch.prefix_of(user, multi) + ch.name
        for ch in user.channels.values()
        if can_see_channel(s, ch)
    ]
    for line in pack_words(channels, _reply_room(server, s, nick)):
        s.numeric(rpl.RPL_WHOISCHANNELS, nick, line)
    s.numeric(rpl.RPL_WHOISSERVER, nick, server.name, server.config.network)
    if user.away is not None:
        s.numeric(rpl.RPL_AWAY, nick, user.away)
    if is_oper(user):
        s.numeric(rpl.RPL_WHOISOPERATOR, nick, "is an IRC operator")
    if BOT_MODE in user.modes:
        s.numeric(rpl.RPL_WHOISBOT, nick, f"is a bot on {server.config.network}")
    if user.account:
        s.numeric(rpl.RPL_WHOISACCOUNT, nick, user.account, "is logged in as")
    metadata.send_whois(server, s, user)
    if _sees_private(s, user):
        where = f"{user.username}@{user.ip} {user.ip}"
        s.numeric(rpl.RPL_WHOISHOST, nick, f"is connecting from {where}")
        s.numeric(rpl.RPL_WHOISACTUALLY, nick, user.ip, "actually using host")
    if user.secure:
        s.numeric("671", nick, "is using a secure connection")
    idle = int(server.monotonic() - user.last_message_at)
    signon = str(int(user.signon))
    s.numeric(rpl.RPL_WHOISIDLE, nick, str(idle), signon, "seconds idle, signon time")


def handle_whowas(server: Server, s: Session, m: Message) -> None:
    nick = m.params[0].split(",")[0]
    count = parse_number(m.param(1)) or 0
    entries = server.state.whowas(nick)
    if count > 0:
        entries = entries[:count]
    if not entries:
        s.numeric(rpl.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
    for e in entries:
        s.numeric(rpl.RPL_WHOWASUSER, e.nick, e.user, e.host, "*", e.realname)
        if e.account:
            s.numeric(rpl.RPL_WHOISACCOUNT, e.nick, e.account, "was logged in as")
        left = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(e.left_at))
        s.numeric(rpl.RPL_WHOISSERVER, e.nick, server.name, left)
    s.numeric(rpl.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


# -- LIST -------------------------------------------------------------------------------------
def handle_list(server: Server, s: Session, m: Message) -> None:
    """LIST [conditions]: see `listfilter.py` for what ELIST=CMNTU lets a client ask."""
    wanted = parse_list_filter(m.param(0))
    channels: list[Channel]
    names = wanted.names_only
    if names is not None:
        channels = [c for name in names if (c := server.state.find_channel(name))]
    else:
        now = server.clock()
        channels = [c for c in server.state.channels() if wanted.accepts(c, now)]
    s.numeric(rpl.RPL_LISTSTART, "Channel", "Users  Name")
    for ch in channels:
        if not can_see_channel(s, ch):
            continue
        modes = ch.mode_string(show_key=s.user in ch.members)[0]
        s.numeric(rpl.RPL_LIST, ch.name, str(len(ch.members)), f"[{modes}] {ch.topic}")
    s.numeric(rpl.RPL_LISTEND, "End of /LIST")


# -- short questions ----------------------------------------------------------------------------
def handle_ison(server: Server, s: Session, m: Message) -> None:
    present = [
        u.nick
        for word in " ".join(m.params).split()
        if (u := server.state.find_nick(word)) is not None and u.registered
    ]
    lines = pack_words(present, _reply_room(server, s, ""))  # one line: the rest would not fit
    s.numeric(rpl.RPL_ISON, lines[0] if lines else "")


def _reply_room(server: Server, s: Session, *middle: str) -> int:
    """Bytes left for the text of `:server NNN nick <middle...> :<text>` within 512."""
    used = len(server.name) + len(s.nick) + sum(len(p.encode("utf-8", "replace")) for p in middle)
    return MAX_BODY - used - 10 - len(middle)  # ':', ' NNN ', ' ', ' :', CRLF; a space each


def handle_userhost(server: Server, s: Session, m: Message) -> None:
    replies: list[str] = []
    for nick in " ".join(m.params).split()[:USERHOST_MAX]:
        u = server.state.find_nick(nick)
        if u is None or not u.registered:
            continue
        oper = "*" if is_oper(u) else ""
        away = "-" if u.away is not None else "+"
        host = u.ip if u is s.user else u.host
        replies.append(f"{u.nick}{oper}={away}{u.username}@{host}")
    s.numeric(rpl.RPL_USERHOST, " ".join(replies))


def handle_motd(server: Server, s: Session, m: Message) -> None:
    if not wrong_server(server, s, m, 0):
        send_motd(server, s)


def handle_lusers(server: Server, s: Session, m: Message) -> None:
    send_lusers(server, s)


def handle_version(server: Server, s: Session, m: Message) -> None:
    if wrong_server(server, s, m, 0):
        return
    s.numeric(rpl.RPL_VERSION, f"socketchat-{__version__}.", server.name, "sans-I/O asyncio")
    send_isupport(server, s)


def handle_isupport(server: Server, s: Session, m: Message) -> None:
    """IRCv3 draft/extended-isupport: the 005 list on request, before registration too."""
    if not s.registered and "draft/extended-isupport" not in s.caps:
        s.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
        return
    send_isupport(server, s)


def handle_time(server: Server, s: Session, m: Message) -> None:
    if wrong_server(server, s, m, 0):
        return
    now = server.clock()
    human = time.strftime("%A %B %d %Y -- %H:%M:%S +00:00", time.gmtime(now))
    s.numeric(rpl.RPL_TIME, server.name, str(int(now)), "0", human)
