"""MONITOR + / - / C / L / S (IRCv3 monitor): a client's list of nicks to be told about.

Targets must be nicks, never masks (the spec's privacy point: no stalking through nick changes),
so an invalid one is answered with 432 and not added. The list is bounded by `MONITOR_MAX`
(ISUPPORT `MONITOR=`); targets that do not fit get 734 and the rest of the command is dropped,
as the spec says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold, valid_nick
from socketchat.server.monitor import MONITOR_MAX, lines

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session


def handle_monitor(server: Server, s: Session, m: Message) -> None:
    sub = m.params[0].upper()
    if sub in ("+", "-"):
        if len(m.params) < 2 or not m.params[1]:
            s.numeric(rpl.ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
            return
        targets = [t for t in m.params[1].split(",") if t]
        if sub == "+":
            _add(server, s, targets)
        else:
            for target in targets:
                server.state.monitor_remove(s, target)
    elif sub == "C":
        server.state.monitor_clear(s)
    elif sub == "L":
        for line in lines(server.state.monitored_by(s)):
            s.numeric(rpl.RPL_MONLIST, line)
        s.numeric(rpl.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif sub == "S":
        _status(server, s, server.state.monitored_by(s))
    else:
        s.numeric(rpl.ERR_UNKNOWNCOMMAND, "MONITOR", f"Unknown MONITOR subcommand {sub}")


def _add(server: Server, s: Session, targets: list[str]) -> None:
    have = {casefold(n) for n in server.state.monitored_by(s)}
    added: list[str] = []
    for i, target in enumerate(targets):
        if not valid_nick(target, server.config.nicklen):
            s.numeric(rpl.ERR_ERRONEUSNICKNAME, target, "Erroneous nickname")
            continue
        folded = casefold(target)
        if folded not in have and len(have) >= MONITOR_MAX:
            rest = ",".join(targets[i:])
            s.numeric(rpl.ERR_MONLISTFULL, str(MONITOR_MAX), rest, "Monitor list is full")
            break
        have.add(folded)
        server.state.monitor_add(s, target)
        added.append(target)
    _status(server, s, added)


def _status(server: Server, s: Session, nicks: list[str]) -> None:
    """730 for those of `nicks` online (as nick!user@host), 731 for the others."""
    on: list[str] = []
    off: list[str] = []
    for nick in nicks:
        user = server.state.find_nick(nick)
        if user is not None and user.registered:
            on.append(user.prefix)
        else:
            off.append(nick)
    for line in lines(on):
        s.numeric(rpl.RPL_MONONLINE, line)
    for line in lines(off):
        s.numeric(rpl.RPL_MONOFFLINE, line)
