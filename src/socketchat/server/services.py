"""NickServ: the account service as a pseudo-user, for clients without SASL or REGISTER.

    /msg NickServ HELP
    /msg NickServ REGISTER <password> [email]     registers your current nick as an account
    /msg NickServ IDENTIFY [account] <password>   logs you in
    /msg NickServ LOGOUT
    /msg NickServ INFO [account]
    /msg NickServ GHOST <nick>                    disconnects a session holding your account's nick
    /msg NickServ CERT ADD [fp] | DEL <fp> | LIST  client certificates for SASL EXTERNAL
    /msg NickServ SET ALWAYS-ON|MULTICLIENT ON|OFF|DEFAULT   how your devices share your nick

NickServ exists only when the server has storage, as does ChanServ (`server/chanserv.py`), which
this module answers for too. It answers with NOTICEs from
``NickServ!NickServ@services.``; its nick can never be taken, and WHOIS shows it (`whois`).
Messages to it are never stored in history. REGISTER and IDENTIFY answer once their password
hash or check, run off the event loop, is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_time
from socketchat.server import chanserv
from socketchat.server.accounts import (
    NICKSERV,
    always_on_for,
    check_password,
    log_in,
    log_out,
    multiclient_for,
    nickserv_notice,
    register,
)
from socketchat.server.persistence import Persistence, persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.storage.base import Account

_FOLDED = casefold(NICKSERV)

HELP = """\
NickServ keeps accounts. Commands:
REGISTER <password> [email] - register your current nick as an account
IDENTIFY [account] <password> - log in to your account
LOGOUT - log out
INFO [account] - when an account was registered
GHOST <nick> - disconnect a session that holds your account's nick
CERT ADD [fingerprint] | DEL <fingerprint> | LIST - certificates that log you in (SASL EXTERNAL);
  ADD without a fingerprint adds the one you are connected with
SET ALWAYS-ON ON|OFF|DEFAULT - stay in your channels, reachable, when your last device leaves
SET MULTICLIENT ON|OFF|DEFAULT - let your other devices share your nick (log in, same nick)
Clients with SASL can log in while connecting instead."""


def is_service(server: Server, nick: str) -> bool:
    """Is `nick` a service, NickServ or ChanServ (so nobody may take it)?"""
    folded = casefold(nick)
    return (folded == _FOLDED or chanserv.is_chanserv(server, nick)) and (
        persistence_of(server) is not None
    )


def receive(server: Server, s: Session, msg: Message, target: str) -> bool:
    """A message addressed to `target`: True if a service took it."""
    if chanserv.receive(server, s, msg, target):
        return True
    p = persistence_of(server)
    if p is None or casefold(target) != _FOLDED:
        return False
    if msg.command == "PRIVMSG":
        words = msg.param(1).split()
        command = words[0].upper() if words else "HELP"
        handler = _COMMANDS.get(command)
        if handler is None:
            nickserv_notice(server, s, f"Unknown command {command}. Try: /msg NickServ HELP")
        else:
            handler(server, p, s, words[1:])
    return True


def whois(server: Server, s: Session, nick: str) -> bool:
    """WHOIS replies for a service (311, 312; the caller ends with 318). False if not one."""
    if not is_service(server, nick):
        return False
    if chanserv.is_chanserv(server, nick):
        chanserv.whois(server, s)
        return True
    s.numeric(rpl.RPL_WHOISUSER, NICKSERV, NICKSERV, "services.", "*", "Nickname services")
    s.numeric(rpl.RPL_WHOISSERVER, NICKSERV, server.name, "Account services")
    return True


def _help(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    for line in HELP.splitlines():
        nickserv_notice(server, s, line)


def _register(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    if not args:
        nickserv_notice(server, s, "Usage: REGISTER <password> [email]")
        return
    if s.account:
        nickserv_notice(server, s, f"You are already logged in as {s.account}.")
        return

    def registered(account: Account | None, _code: str, why: str) -> None:
        if account is None:
            nickserv_notice(server, s, f"Registration failed: {why}.")
            return
        nickserv_notice(server, s, f"{account.name} is now registered to you.")
        log_in(server, p, s, account)

    register(server, p, s, s.nick, args[1] if len(args) > 1 else "", args[0], registered)


def _identify(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    if not args or len(args) > 2:
        nickserv_notice(server, s, "Usage: IDENTIFY [account] <password>")
        return
    name, password = (args[0], args[1]) if len(args) == 2 else (s.nick, args[0])
    if s.account:
        nickserv_notice(server, s, f"You are already logged in as {s.account}.")
        return

    def checked(account: Account | None, reason: str) -> None:
        if account is None:
            why = "too many failed attempts; try later" if reason == "throttled" else "invalid"
            nickserv_notice(server, s, f"Login failed: {why}.")
            return
        nickserv_notice(server, s, f"You are now identified as {account.name}.")
        log_in(server, p, s, account)

    check_password(server, p, s, name, password, checked)


def _logout(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    if not s.account:
        nickserv_notice(server, s, "You are not logged in.")
        return
    log_out(server, p, s)
    nickserv_notice(server, s, "You are now logged out.")


def _info(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    name = args[0] if args else (s.account or s.nick)
    account = p.backend.get_account(name)
    if account is None:
        nickserv_notice(server, s, f"{name} is not registered.")
        return

    nickserv_notice(server, s, f"{account.name} was registered {format_time(account.created)}.")
    online = [u for u in server.state.users() if u.account == account.name]
    if online:
        nickserv_notice(server, s, f"Logged in now as: {', '.join(sorted(u.nick for u in online))}")
    if s.account and casefold(s.account) == casefold(account.name):
        devices = sum(len(u.sessions) for u in online)
        always_on = always_on_for(server, p, account.name)
        multiclient = multiclient_for(server, p, account.name)
        nickserv_notice(
            server,
            s,
            f"Devices connected: {devices}. Always-on: {'on' if always_on else 'off'}."
            f" Multiclient: {'on' if multiclient else 'off'}.",
        )


_SETTINGS = {"ALWAYS-ON": "always-on", "ALWAYSON": "always-on", "MULTICLIENT": "multiclient"}
_VALUES = {"ON": True, "TRUE": True, "OFF": False, "FALSE": False, "DEFAULT": None}


def _set(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    """SET ALWAYS-ON|MULTICLIENT ON|OFF|DEFAULT: this account's choices (kept in storage)."""
    if len(args) != 2 or args[0].upper() not in _SETTINGS or args[1].upper() not in _VALUES:
        nickserv_notice(server, s, "Usage: SET ALWAYS-ON|MULTICLIENT ON|OFF|DEFAULT")
        return
    if not s.account:
        nickserv_notice(server, s, "Log in first (IDENTIFY), then change your settings.")
        return
    name, value = _SETTINGS[args[0].upper()], _VALUES[args[1].upper()]
    p.set_account_setting(s.account, name, value)
    if name == "always-on":
        now = always_on_for(server, p, s.account)
        for user in {x.user for x in server.state.sessions_of(s.account)}:
            user.always_on = now
    else:
        now = multiclient_for(server, p, s.account)
    shown = "on" if now else "off"
    default = " (the server's default)" if value is None else ""
    nickserv_notice(server, s, f"{args[0].upper()} is now {shown}{default}.")


def _ghost(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    if len(args) != 1:
        nickserv_notice(server, s, "Usage: GHOST <nick>")
        return
    # whoever holds the nick or one that looks like it (`ChatState.nick_holder`): someone on
    # Cyrillic "рау" keeps pay's owner from taking "pay" (433) until GHOST or the rename
    holder = server.state.nick_holder(args[0], s.user)
    like = p.backend.account_like(args[0]) if s.account else None
    own = like is not None and casefold(like.name) == casefold(s.account or "")
    if not s.account or (casefold(s.account) != casefold(args[0]) and not own):
        nickserv_notice(server, s, "You may only ghost your own account's nick.")
    elif holder is None:
        nickserv_notice(server, s, f"Nobody else is using {args[0]}.")
    else:
        server.end_user(holder, f"GHOST command used by {s.nick}")
        nickserv_notice(server, s, f"{args[0]} has been disconnected.")


def _cert(server: Server, p: Persistence, s: Session, args: list[str]) -> None:
    """CERT ADD [fp] / DEL <fp> / LIST: the client certificates of your account."""
    if not s.account:
        nickserv_notice(server, s, "Log in first (IDENTIFY), then add your certificate.")
        return
    sub = args[0].upper() if args else ""
    given = args[1].lower().replace(":", "") if len(args) > 1 else ""
    if given and (len(given) != 64 or any(c not in "0123456789abcdef" for c in given)):
        nickserv_notice(server, s, "A fingerprint is a SHA-256 in hex (64 digits).")
        return
    if sub == "LIST":
        prints = p.backend.certs_of(s.account)
        nickserv_notice(server, s, f"{len(prints)} certificate(s) for {s.account}:")
        for fp in prints:
            nickserv_notice(server, s, fp)
    elif sub == "ADD":
        fp = given or s.certfp or ""
        if not fp:
            nickserv_notice(server, s, "You are not connected with a client certificate.")
            return
        p.backend.add_cert(s.account, fp)
        nickserv_notice(server, s, f"Certificate {fp} added to {s.account}.")
    elif sub == "DEL" and given:
        p.backend.remove_cert(s.account, given)
        nickserv_notice(server, s, f"Certificate {given} removed from {s.account}.")
    else:
        nickserv_notice(server, s, "Usage: CERT ADD [fingerprint] | DEL <fingerprint> | LIST")


_COMMANDS: dict[str, Callable[[Server, Persistence, Session, list[str]], None]] = {
    "HELP": _help,
    "REGISTER": _register,
    "IDENTIFY": _identify,
    "LOGIN": _identify,
    "LOGOUT": _logout,
    "INFO": _info,
    "GHOST": _ghost,
    "CERT": _cert,
    "SET": _set,
}
