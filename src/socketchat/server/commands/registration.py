"""Connection registration and keep-alive: CAP, PASS, NICK, USER, PING, PONG, QUIT."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import nick_problem
from socketchat.irc.message import Message
from socketchat.irc.numbers import parse_number
from socketchat.server import monitor, services
from socketchat.server.accounts import stays_for
from socketchat.server.commands.devices import attach, attach_target, replay_missed
from socketchat.server.klines import check_registration
from socketchat.server.nicks import change_nick
from socketchat.server.persistence import persistence_of
from socketchat.server.welcome import send_welcome

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session


def try_register(server: Server, s: Session) -> None:
    """Finish registration once NICK and USER are in and CAP negotiation is over."""
    if s.registered or s.closed or s.cap_negotiating or not s.username:
        return
    # a device of a user who is here (same account, its nick): attach instead (devices.py)
    target = attach_target(server, s, s.wanted_nick) if s.wanted_nick else None
    if s.nick == "*" and target is None:
        if s.wanted_nick and not s.pending_433:
            _nick_at_cap_end(server, s)  # a NICK whose answer waited for the SASL login
        return
    if s.sasl is not None:
        # The client finished registering in the middle of an exchange (it waits for the
        # client, not for a password check: that holds the session's input). IRCv3 SASL:
        # "the server SHOULD abort it and send a 906 numeric, then register the client".
        s.sasl = None
        s.numeric(rpl.ERR_SASLABORTED, "SASL authentication aborted")
    if server.config.password and not hmac.compare_digest(
        s.pass_given.encode(), server.config.password.encode()
    ):
        s.numeric(rpl.ERR_PASSWDMISMATCH, "Password incorrect")
        s.close("Bad password")
        return
    if check_registration(server, s):  # K-lined or D-lined (klines.py)
        return
    p = persistence_of(server)
    if target is not None:
        attach(server, s, target)
    else:
        if s.account and p is not None:
            s.user.always_on = stays_for(server, p, s, s.account)
        send_welcome(server, s)
        monitor.online(server, s.user)
        replay_missed(server, s)  # private messages kept while the account was offline
        if server.storage is not None:
            server.storage.nick_changed(server, s)  # nick protection
    if p is not None:
        p.login_over(s)  # (the account's values, read once at the login: storage's again)


def _nick_at_cap_end(server: Server, s: Session) -> None:
    """CAP negotiation ended without a login that owns the nick asked for meanwhile (see
    `handle_nick`): take it if it is free now, else the 433 it waited for."""
    nick = s.wanted_nick
    holder = server.state.nick_holder(nick, s.user)
    if holder is None and not services.is_service(server, nick):
        server.state.claim_nick(s.user, nick)
        try_register(server, s)
        return
    s.pending_433 = True  # (answered once: the client sends another NICK)
    s.numeric(
        rpl.ERR_NICKNAMEINUSE,
        nick,
        "Nickname is already in use (by a registered account: log in with SASL while"
        " connecting to use it)",
    )


# -- CAP ------------------------------------------------------------------------------------
def _cap_ls_lines(server: Server, s: Session, version: int) -> list[str]:
    items = [
        f"{name}={value}" if value and version >= 302 else name
        for name, value in sorted(server.caps.items())
    ]
    if server.sts is not None and version >= 302:
        # IRCv3 STS: a plain connection learns the TLS port, a secure one the policy's
        # lifetime; never requested, so it is not in server.caps (CAP REQ sts is NAKed)
        port, duration = server.sts
        items.append(f"sts=duration={duration}" if s.secure else f"sts=port={port}")
        items.sort()
    if version < 302:  # an older client reads exactly one line (names only: it fits)
        return [" ".join(items)]
    lines: list[str] = []  # CAP LS 302 may continue over several ("CAP * LS * :...")
    current = ""
    for item in items:
        if current and len(current) + len(item) > 380:
            lines.append(current)
            current = item
        else:
            current = f"{current} {item}" if current else item
    lines.append(current)
    return lines


def handle_cap(server: Server, s: Session, m: Message) -> None:
    sub = m.params[0].upper()
    nick = s.nick
    if sub == "LS":
        version = parse_number(m.param(1, "0"), max_digits=4) or 0
        s.cap_version = max(s.cap_version, version)
        if not s.registered:
            s.cap_negotiating = True
        if version >= 302:
            s.set_caps(s.caps | {"cap-notify"})
        lines = _cap_ls_lines(server, s, version)
        for i, line in enumerate(lines):
            more = ("*",) if i < len(lines) - 1 and version >= 302 else ()
            s.send(Message("CAP", (nick, "LS", *more, line), server.name))
    elif sub == "LIST":
        s.send(Message("CAP", (nick, "LIST", " ".join(sorted(s.caps))), server.name))
    elif sub == "REQ":
        if not s.registered:
            s.cap_negotiating = True
        wanted = m.param(1).split()
        enable: set[str] = set()
        disable: set[str] = set()
        for item in wanted:
            name = item[1:] if item.startswith("-") else item
            if name not in server.caps:
                s.send(Message("CAP", (nick, "NAK", m.param(1)), server.name))
                return
            (disable if item.startswith("-") else enable).add(name)
        s.set_caps((s.caps | enable) - disable)
        s.send(Message("CAP", (nick, "ACK", m.param(1)), server.name))
    elif sub == "END":
        if not s.registered:
            s.cap_negotiating = False
            try_register(server, s)
    else:
        s.numeric("410", sub, "Invalid CAP command")


# -- identity -------------------------------------------------------------------------------
def handle_pass(server: Server, s: Session, m: Message) -> None:
    if s.registered:
        s.numeric(rpl.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    s.pass_given = m.params[0]


def handle_nick(server: Server, s: Session, m: Message) -> None:
    nick = m.param(0)
    if not nick:
        s.numeric(rpl.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    problem = nick_problem(nick, server.config.nicklen)
    if problem is not None:
        s.numeric(rpl.ERR_ERRONEUSNICKNAME, nick, problem)
        return
    if not s.registered:
        s.wanted_nick = nick  # REGISTER * names it even when it was taken (ACCOUNT_EXISTS)
        s.pending_433 = False
    if nick == s.nick:
        return
    holder = server.state.nick_holder(nick, s.user)  # the same nick, or one that looks like it
    if not s.registered and holder is not None and attach_target(server, s, nick) is holder:
        try_register(server, s)  # another device of this account's user: it attaches
        return
    if not s.registered and s.cap_negotiating and holder is not None and holder.account:
        # An account's nick asked for while CAP is still open: the client may be about to
        # log in with SASL (NICK usually comes before AUTHENTICATE) and then be its owner.
        # Decided at CAP END (`try_register`): attach, or 433 then.
        return
    if holder is not None or services.is_service(server, nick):
        why = "Nickname is already in use"
        if holder is not None and holder.account and not s.registered and not s.account:
            why += " (by a registered account: log in with SASL while connecting to use it)"
        s.numeric(rpl.ERR_NICKNAMEINUSE, nick, why)
        return
    if not s.registered:
        server.state.claim_nick(s.user, nick)
        try_register(server, s)
        return
    change_nick(server, s.user, nick)


def handle_user(server: Server, s: Session, m: Message) -> None:
    if s.registered:
        s.numeric(rpl.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if len(m.params) < 4 or not m.params[3]:  # an empty realname is missing (Modern)
        s.numeric(rpl.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        return
    # ASCII only: a Unicode nick (casemap.py) does not carry its script into user@host
    username = "".join(c for c in m.params[0] if c.isascii() and (c.isalnum() or c in "-_."))[:18]
    s.user.username = "~" + (username or "user")
    s.user.realname = m.params[3][:100]
    try_register(server, s)


# -- keep-alive and leaving ------------------------------------------------------------------
def handle_ping(server: Server, s: Session, m: Message) -> None:
    s.send(Message("PONG", (server.name, m.params[0]), server.name))


def handle_pong(server: Server, s: Session, m: Message) -> None:
    s.ping_sent_at = 0.0  # last_seen was already refreshed by the input itself


def handle_quit(server: Server, s: Session, m: Message) -> None:
    reason = m.param(0)
    s.close("Client quit", quit_message=f"Quit: {reason}" if reason else "Quit")
