"""Account commands: REGISTER and VERIFY (IRCv3 draft/account-registration) and AUTHENTICATE
(SASL PLAIN).

Accounts need no verification here (`draft/account-registration=before-connect`): REGISTER
creates the account and logs the client in at once, before or after connection registration.
An account is named after its owner's nick: no `custom-account-name`, so nobody registers the
name of someone else who is online, and a nick and its account stay one name.

SASL PLAIN only: SCRAM-SHA-256 would need PBKDF2-derived verifiers on disk (clients compute
them), which the rule "passwords only as memory-hard hashes" excludes. Offer PLAIN over TLS.
While an exchange runs, `session.sasl` holds it; a client that ends registration (CAP END)
before the exchange ends has it aborted (906) and registers without an account.
Password checks and hashes run off the event loop (`Server.offload`): replies come from callbacks.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import casefold
from socketchat.irc.message import Message
from socketchat.server import services
from socketchat.server.accounts import NICKSERV, check_password, log_in, register
from socketchat.server.audit import audit
from socketchat.server.commands.registration import try_register
from socketchat.server.persistence import persistence_of

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.persistence import Persistence
    from socketchat.server.session import Session
    from socketchat.storage.base import Account

SASL_CHUNK = 400
MECHANISMS = ("PLAIN", "EXTERNAL")  # EXTERNAL: a TLS client certificate (NickServ CERT ADD)
SASL_MAX_BYTES = 4096


@dataclass
class SaslExchange:
    mechanism: str
    data: str = ""


def handle_register(server: Server, s: Session, m: Message) -> None:
    p = persistence_of(server)
    if len(m.params) < 3:
        s.fail("REGISTER", "NEED_MORE_PARAMS", "REGISTER <account> <email|*> <password>")
        return
    name, email, password = m.params[0], m.params[1], m.params[2]
    # The account is named after the current nick (`*` says so; the cap does not advertise
    # `custom-account-name`). Before registration that is the nick asked for, even when
    # someone else holds it: the answer is then ACCOUNT_EXISTS, not NEED_NICK.
    nick = s.nick if s.nick != "*" else s.wanted_nick or "*"
    if name != "*" and nick != "*" and casefold(name) != casefold(nick):
        s.fail("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", "The account name must be your nick", name)
        return
    name = nick
    if p is None:
        s.fail("REGISTER", "TEMPORARILY_UNAVAILABLE", "Accounts are not available", name)
        return
    if s.account:
        s.fail("REGISTER", "ALREADY_AUTHENTICATED", "You are already logged in", s.account)
        return
    if name == "*":
        s.fail("REGISTER", "NEED_NICK", "Choose a nick or an account name first", "*")
        return

    def registered(account: Account | None, code: str, why: str) -> None:
        if account is None:
            s.fail("REGISTER", code, why, name)
            return
        s.send(Message("REGISTER", ("SUCCESS", account.name, "Account created"), server.name))
        log_in(server, p, s, account)

    register(server, p, s, name, email, password, registered)


def handle_verify(server: Server, s: Session, m: Message) -> None:
    s.fail("VERIFY", "INVALID_CODE", "No verification is needed here", m.params[0])


def handle_authenticate(server: Server, s: Session, m: Message) -> None:
    p = persistence_of(server)
    arg = m.params[0]
    exchange = s.sasl if isinstance(s.sasl, SaslExchange) else None
    if arg == "*":
        s.numeric(rpl.ERR_SASLABORTED, "SASL authentication aborted")
        if exchange is not None:
            _finish(server, s)
        return
    if exchange is None:
        # Logged in already: a new exchange may switch accounts ("Servers SHOULD allow a client,
        # authenticated or otherwise, to reauthenticate", IRCv3 SASL 3.2). A failure keeps the
        # account the client had.
        # Without CAP REQ sasl too, as ergo: a client that knows it wants SASL may skip the
        # request (irctest's multiclient tests do); the cap only advertises the mechanisms.
        mechanism = arg.upper()
        if p is None or mechanism not in MECHANISMS:
            s.numeric(rpl.RPL_SASLMECHS, ",".join(MECHANISMS), "are available SASL mechanisms")
            s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        elif mechanism == "EXTERNAL" and s.certfp is None:
            s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed: no client certificate")
        else:
            s.sasl = SaslExchange(mechanism)
            s.send(Message("AUTHENTICATE", ("+",)))
        return
    if len(arg) > SASL_CHUNK:  # one line longer than the protocol's chunk: 905
        s.numeric(rpl.ERR_SASLTOOLONG, "SASL message too long")
        _finish(server, s)
        return
    if len(exchange.data) + len(arg) > SASL_MAX_BYTES:
        # Chunks of the right size that never end: no PLAIN message is that long, so the
        # exchange fails (904) rather than the server keeping an endless string. The
        # connection stays; the client may start again.
        s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed: message too long")
        _finish(server, s)
        return
    if arg != "+":
        exchange.data += arg
    if len(arg) == SASL_CHUNK:
        return  # more to come
    if exchange.mechanism == "EXTERNAL" and p is not None:
        _external(server, p, s, exchange.data)
        return
    try:
        fields = base64.b64decode(exchange.data, validate=True).decode("utf-8").split("\0")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input ("é")
        fields = []
    if p is None or len(fields) != 3 or fields[0] not in ("", fields[1]):
        s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        _finish(server, s)
        return

    def checked(account: Account | None, reason: str) -> None:
        if reason == "throttled":
            s.notice("Too many failed logins; try again later")
        if account is None:
            s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        else:
            log_in(server, p, s, account)
            s.numeric(rpl.RPL_SASLSUCCESS, "SASL authentication successful")
        _finish(server, s)

    check_password(server, p, s, fields[1], fields[2], checked)


def _external(server: Server, p: Persistence, s: Session, data: str) -> None:
    """SASL EXTERNAL: the account the client certificate was added to (NickServ CERT ADD);
    an authorization identity, when sent, must name that account."""
    try:
        authzid = base64.b64decode(data, validate=True).decode("utf-8") if data else ""
    except ValueError:
        authzid = None
    account = p.backend.account_for_cert(s.certfp) if s.certfp else None
    if (
        account is None
        or authzid is None
        or (authzid and casefold(authzid) != casefold(account.name))
    ):
        audit(
            "login_failed",
            f"SASL EXTERNAL refused for certificate {s.certfp} from {s.ip} (id={s.id})",
            failure=True,
            account=authzid or "",
            ip=s.ip,
            certfp=s.certfp or "",
        )
        s.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
    else:
        log_in(server, p, s, account)
        s.numeric(rpl.RPL_SASLSUCCESS, "SASL authentication successful")
    _finish(server, s)


def _finish(server: Server, s: Session) -> None:
    """The exchange is over (success, failure or abort): registration may go on."""
    s.sasl = None
    if not s.registered:
        try_register(server, s)


def handle_ns(server: Server, s: Session, m: Message) -> None:
    """NS <command...>: the usual shorthand for /msg NickServ <command...>."""
    text = " ".join(m.params)
    msg = Message("PRIVMSG", (NICKSERV, text), s.prefix)
    if not services.receive(server, s, msg, NICKSERV):
        s.numeric(rpl.ERR_UNKNOWNCOMMAND, "NS", "Unknown command")
