"""What a client is told about the server: the welcome burst (001-005), ISUPPORT, LUSERS, MOTD.

Used at registration (`send_welcome`) and by the MOTD, LUSERS and VERSION commands.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from socketchat import __version__
from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import CASEMAPPING, CHANTYPES

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session

log = logging.getLogger("socketchat.server")


def isupport_tokens(server: Server) -> list[str]:
    c = server.config
    tokens = [
        "AWAYLEN=" + str(c.awaylen),
        "CASEMAPPING=" + CASEMAPPING,
        "CHANLIMIT=" + CHANTYPES + ":" + str(c.limits.max_channels_per_client or ""),
        "CHANMODES=b,k,l,imnst",
        "CHANNELLEN=" + str(c.channellen),
        "CHANTYPES=" + CHANTYPES,
        "ELIST=U",
        "KICKLEN=" + str(c.kicklen),
        "MAXTARGETS=" + str(c.limits.max_targets or ""),
        "MODES=4",
        "NETWORK=" + c.network,
        "NICKLEN=" + str(c.nicklen),
        "PREFIX=(ov)@+",
        "STATUSMSG=@+",
        "TOPICLEN=" + str(c.topiclen),
        "USERLEN=18",
        "UTF8ONLY",
        "WHOX",
    ]
    if server.storage is not None:
        tokens.extend(server.storage.isupport())
    return sorted(tokens)


def send_welcome(server: Server, s: Session) -> None:
    s.registered = True
    s.last_seen = server.clock()
    log.info("registered id=%d nick=%s host=%s", s.id, s.nick, s.host)
    s.numeric(rpl.RPL_WELCOME, f"Welcome to the {server.config.network} IRC network, {s.prefix}")
    s.numeric(rpl.RPL_YOURHOST, f"Your host is {server.name}, running socketchat-{__version__}")
    created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(server.started_at))
    s.numeric(rpl.RPL_CREATED, f"This server was created {created}")
    s.numeric(rpl.RPL_MYINFO, server.name, f"socketchat-{__version__}", "io", "bklimnostv", "bklov")
    send_isupport(server, s)
    send_lusers(server, s)
    send_motd(server, s)


def send_lusers(server: Server, s: Session) -> None:
    users = server.state.user_count()
    invisible = sum(1 for u in server.state.users() if "i" in u.modes)
    opers = sum(1 for u in server.state.users() if "o" in u.modes)
    unknown = len(server.sessions) - users
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
    s.numeric(rpl.RPL_LOCALUSERS, str(users), str(users), f"Current local users {users}")
    s.numeric(rpl.RPL_GLOBALUSERS, str(users), str(users), f"Current global users {users}")


def send_motd(server: Server, s: Session) -> None:
    if not server.config.motd:
        s.numeric(rpl.ERR_NOMOTD, "MOTD File is missing")
        return
    s.numeric(rpl.RPL_MOTDSTART, f"- {server.name} Message of the day - ")
    for line in server.config.motd.splitlines() or [""]:
        s.numeric(rpl.RPL_MOTD, f"- {line}")
    s.numeric(rpl.RPL_ENDOFMOTD, "End of /MOTD command.")


def send_isupport(server: Server, s: Session) -> None:
    tokens = isupport_tokens(server)
    for i in range(0, len(tokens), 12):
        s.numeric(rpl.RPL_ISUPPORT, *tokens[i : i + 12], "are supported by this server")
