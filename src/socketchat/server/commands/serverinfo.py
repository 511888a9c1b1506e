"""Questions about the server itself: INFO, LINKS, ADMIN, HELP/HELPOP, USERS, SUMMON.

USERS and SUMMON read the host's logged-in users (RFC 1459's utmp); RFC 2812 lets a server
answer them with 446 ERR_USERSDISABLED and 445 ERR_SUMMONDISABLED, which is what a chat server
that is not a Unix login host does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from socketchat import __version__
from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message
from socketchat.server.commands.helptext import HELP
from socketchat.server.commands.queries import wrong_server
from socketchat.server.masks import mask_problem, match_mask

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session


def handle_info(server: Server, s: Session, m: Message) -> None:
    if wrong_server(server, s, m, 0):
        return
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(server.started_at))
    for line in (
        f"socketchat {__version__}",
        "A chat server that speaks IRC (RFC 1459/2812, modern.ircdocs.horse, IRCv3),",
        "with terminal, desktop and browser clients. asyncio, a sans-I/O core, SQLite.",
        "Licence: MIT.",
        f"Running since {started}.",
    ):
        s.numeric(rpl.RPL_INFO, line)
    s.numeric(rpl.RPL_ENDOFINFO, "End of /INFO list")


def handle_links(server: Server, s: Session, m: Message) -> None:
    """One server, no links: `364 <client> <server> <server> :0 <description>` if it matches."""
    mask = m.param(len(m.params) - 1) if m.params else "*"
    if mask_problem(mask) is None and match_mask(mask or "*", server.name):  # (bounded masks)
        s.numeric(rpl.RPL_LINKS, server.name, server.name, f"0 {server.config.description}")
    s.numeric(rpl.RPL_ENDOFLINKS, mask or "*", "End of /LINKS list")


def handle_admin(server: Server, s: Session, m: Message) -> None:
    if wrong_server(server, s, m, 0):
        return
    c = server.config
    s.numeric(rpl.RPL_ADMINME, server.name, "Administrative info")
    s.numeric(rpl.RPL_ADMINLOC1, c.network)
    s.numeric(rpl.RPL_ADMINLOC2, c.description)
    s.numeric(rpl.RPL_ADMINEMAIL, c.admin_email or "No address given")


def handle_users(server: Server, s: Session, m: Message) -> None:
    s.numeric(rpl.ERR_USERSDISABLED, "USERS has been disabled")


def handle_summon(server: Server, s: Session, m: Message) -> None:
    s.numeric(rpl.ERR_SUMMONDISABLED, "SUMMON has been disabled")


def handle_help(server: Server, s: Session, m: Message) -> None:
    """704 <subject> first line, 705 the rest, 706 the end; 524 for an unknown subject.

    Without a subject it lists every command. The help-text table has exactly the command
    table's names (tests/server/commands/test_serverinfo.py checks), so HELP reads only its own
    table: the command table imports this module, never the reverse."""
    subject = m.param(0).upper()
    if not subject:
        lines = ["Commands (HELP <command> for one of them):"]
        names = sorted(HELP)
        lines += [" ".join(names[i : i + 8]) for i in range(0, len(names), 8)]
        _send_help(s, "*", lines)
        return
    text = HELP.get(subject)
    if text is None:
        s.numeric(rpl.ERR_HELPNOTFOUND, m.param(0), "No help available on this topic")
        return
    _send_help(s, subject, list(text))


def _send_help(s: Session, subject: str, lines: list[str]) -> None:
    s.numeric(rpl.RPL_HELPSTART, subject, lines[0])
    for line in lines[1:]:
        s.numeric(rpl.RPL_HELPTXT, subject, line)
    s.numeric(rpl.RPL_ENDOFHELP, subject, "End of /HELP")
