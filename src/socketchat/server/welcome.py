"""What a client is told about the server: the welcome burst (001-005), ISUPPORT, LUSERS, MOTD.

Used at registration (`send_welcome`) and by the MOTD, LUSERS and VERSION commands.

Most of the burst (002-005 and the MOTD) is the same for everyone but the nick. Those numerics
are encoded once per server and split around the nick (`send_static`), so a registration costs a
bytes concatenation per line instead of building and serialising a `Message` (the burst was the
largest part of a registration's CPU time in bench/'s connect scenarios).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from socketchat import __version__
from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import CASEMAPPING, CHANTYPES
from socketchat.irc.message import Message
from socketchat.server import bans
from socketchat.server.commands import metadata
from socketchat.server.commands.listfilter import ELIST
from socketchat.server.commands.modeparse import (
    BOT_MODE,
    CHANNEL_MODES,
    FLAG_MODES,
    KEY_MODES,
    LIST_MODES,
    MAX_PARAM_MODES,
    PREFIX_MODES,
    SET_PARAM_MODES,
    USER_MODES,
)
from socketchat.server.monitor import MONITOR_MAX

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")

# Numerics without the nick: (code, params after the nick).
Numerics = list[tuple[str, tuple[str, ...]]]

_NICK = "\x01nick\x01"  # stands for the nick while a line is encoded once (no nick holds \x01)


# 004's user modes, channel modes and channel modes that take a parameter, from modeparse
_MYINFO_MODES = (
    "".join(sorted(USER_MODES)),
    "".join(sorted(CHANNEL_MODES)),
    "".join(sorted(LIST_MODES + KEY_MODES + SET_PARAM_MODES + PREFIX_MODES)),
)


def isupport_tokens(server: Server) -> list[str]:
    c = server.config
    tokens = [
        "AWAYLEN=" + str(c.awaylen),
        "BOT=" + BOT_MODE,
        "CASEMAPPING=" + CASEMAPPING,
        "CHANLIMIT=" + CHANTYPES + ":" + str(c.limits.max_channels_per_client or ""),
        # the mode letters as modeparse parses them (one place to add a mode)
        f"CHANMODES={LIST_MODES},{KEY_MODES},{SET_PARAM_MODES},{FLAG_MODES}",
        "CHANNELLEN=" + str(c.channellen),
        "CHANTYPES=" + CHANTYPES,
        "ELIST=" + ELIST,
        "KICKLEN=" + str(c.kicklen),
        "MAXTARGETS=" + str(c.limits.max_targets or ""),
        "MODES=" + str(MAX_PARAM_MODES),
        "MONITOR=" + str(MONITOR_MAX),
        "NETWORK=" + c.network,
        "NICKLEN=" + str(c.nicklen),
        "PREFIX=(ov)@+",
        "STATUSMSG=@+",
        "TARGMAX=" + targmax(server),
        "TOPICLEN=" + str(c.topiclen),
        "USERLEN=18",
        "UTF8ONLY",
        "WHOX",
    ]
    tokens.extend(bans.ISUPPORT)
    if server.storage is not None:
        tokens.extend(server.storage.isupport())
    tokens.extend(server.push.isupport())  # VAPID=<key> while draft/webpush is on
    return sorted(tokens)


def targmax(server: Server) -> str:
    """How many comma-separated targets each command takes (empty: no limit). Each target is
    checked on its own; over the limit the command is refused with 407 (WHOIS: the rest is
    dropped)."""
    limit = str(server.config.limits.max_targets or "")
    counts = {
        "JOIN": "",
        "KICK": limit,
        "LIST": "",
        "MONITOR": str(MONITOR_MAX),
        "NAMES": limit,
        "NOTICE": limit,
        "PART": "",
        "PRIVMSG": limit,
        "TAGMSG": limit,
        "WHOIS": str(max(1, server.config.limits.max_targets or 1)),
    }
    return ",".join(f"{command}:{n}" for command, n in counts.items())


def send_welcome(server: Server, s: Session) -> None:
    s.registered = True
    server.stats.registrations += 1
    server.state.add_user(s.user)
    s.last_seen = server.monotonic()
    log.info("registered id=%d nick=%s host=%s", s.id, s.nick, s.host)
    s.numeric(rpl.RPL_WELCOME, f"Welcome to the {server.config.network} IRC network, {s.prefix}")
    send_static(server, s, host_numerics)
    send_isupport(server, s)
    send_lusers(server, s)
    send_motd(server, s)
    metadata.send_on_registration(server, s)


def send_static(server: Server, s: Session, numerics: Callable[[Server], Numerics]) -> None:
    """Send numerics that depend on nothing but the server and the nick, encoded once."""
    if s.capture is not None:  # a labeled command collects Messages, not bytes
        for code, params in numerics(server):
            s.numeric(code, *params)
        return
    encoded = server.static_numerics.get(numerics)
    if encoded is None:
        encoded = []
        for code, params in numerics(server):
            line = Message(code, (_NICK, *params), server.name).to_bytes()
            before, _, after = line.partition(_NICK.encode())
            encoded.append((before, after))
        server.static_numerics[numerics] = encoded
    nick = s.nick.encode()
    for before, after in encoded:
        s.write(before + nick + after)


def host_numerics(server: Server) -> Numerics:
    """002-004: the server, its software and modes."""
    created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(server.started_at))
    version = f"socketchat-{__version__}"
    return [
        (rpl.RPL_YOURHOST, (f"Your host is {server.name}, running {version}",)),
        (rpl.RPL_CREATED, (f"This server was created {created}",)),
        (rpl.RPL_MYINFO, (server.name, version, *_MYINFO_MODES)),
    ]


def send_lusers(server: Server, s: Session) -> None:
    users = server.state.user_count()
    invisible = server.state.count_user_mode("i")
    opers = server.state.count_user_mode("o")
    unknown = server.connection_count() - users
    s.numeric(
        rpl.RPL_LUSERCLIENT,
        f"There are {users - invisible} users and {invisible} invisible on 1 servers",
    )
    if opers:
        s.numeric(rpl.RPL_LUSEROP, str(opers), "operator(s) online")
    if unknown > 0:
        s.numeric(rpl.RPL_LUSERUNKNOWN, str(unknown), "unknown connection(s)")
    s.numeric(rpl.RPL_LUSERCHANNELS, str(server.state.channel_count()), "channels formed")
    s.numeric(rpl.RPL_LUSERME, f"I have {users} clients and 0 servers")
    most = str(server.state.max_users)
    s.numeric(rpl.RPL_LOCALUSERS, str(users), most, f"Current local users {users}, max {most}")
    s.numeric(rpl.RPL_GLOBALUSERS, str(users), most, f"Current global users {users}, max {most}")


def motd_numerics(server: Server) -> Numerics:
    if not server.config.motd:
        return [(rpl.ERR_NOMOTD, ("MOTD File is missing",))]
    lines = server.config.motd.splitlines() or [""]
    return [
        (rpl.RPL_MOTDSTART, (f"- {server.name} Message of the day - ",)),
        *((rpl.RPL_MOTD, (f"- {line}",)) for line in lines),
        (rpl.RPL_ENDOFMOTD, ("End of /MOTD command.",)),
    ]


def send_motd(server: Server, s: Session) -> None:
    send_static(server, s, motd_numerics)


def isupport_numerics(server: Server) -> Numerics:
    tokens = isupport_tokens(server)
    return [
        (rpl.RPL_ISUPPORT, (*tokens[i : i + 12], "are supported by this server"))
        for i in range(0, len(tokens), 12)
    ]


def send_isupport(server: Server, s: Session) -> None:
    """005s; in a `draft/isupport` batch for clients with batch and draft/extended-isupport
    (which then get no 005 outside one)."""
    if not {"batch", "draft/extended-isupport"} <= s.caps:
        send_static(server, s, isupport_numerics)
        return
    lines = [Message(code, (s.nick, *p), server.name) for code, p in isupport_numerics(server)]
    s.send_batch("draft/isupport", (), lines)
