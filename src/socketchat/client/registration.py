"""Connection registration: CAP negotiation, SASL PLAIN, nick retries, RPL_WELCOME, RPL_ISUPPORT.

The core sends ``CAP LS 302``, NICK and USER on connect (`ClientCore.connection_made`); the
handlers here answer the server until 001: they request the capabilities in `WANTED_CAPS` that
the server offers (plus ``sasl`` when an account is configured), run the SASL PLAIN exchange,
and end the negotiation with ``CAP END`` whatever happens, so a refusal never stalls the login.
A server without SASL gets ``PRIVMSG NickServ :IDENTIFY`` right after 001 instead (the same
fallback as the browser's core: tests/fixtures/client/registration.json).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.client import history, presence
from socketchat.client.accounts import NICKSERV
from socketchat.client.events import STATUS_BUFFER, NickRefused, tr
from socketchat.client.outgoing import flush_queue
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["WANTED_CAPS", "Negotiation", "alternative_nick"]

# Capabilities the core understands (sasl is added when an account is configured).
WANTED_CAPS: tuple[str, ...] = (
    "server-time",
    "message-tags",
    "echo-message",
    "multi-prefix",
    "userhost-in-names",
    "away-notify",
    "account-notify",
    "extended-join",
    "chghost",
    "setname",
    "batch",
    "draft/chathistory",
    "draft/event-playback",  # reactions (TAGMSG) in history too; other events are not replayed
    "draft/read-marker",
    "draft/multiline",
    "draft/message-redaction",
    "soju.im/search",
)

MAX_NICK_ATTEMPTS = 12


@dataclass(slots=True)
class Negotiation:
    """Per-connection registration state."""

    offered: dict[str, str] = field(default_factory=dict)  # CAP LS: name → value
    cap_ended: bool = False
    cap_req_pending: bool = False
    sasl_active: bool = False
    nick_attempt: int = 0
    awaiting_nick: bool = False  # a refused nick, waiting for `choose_nick` (ask_nick)


def on_cap(core: ClientCore, msg: Message, now: float) -> None:
    neg = core.negotiation
    sub = msg.param(1).upper()
    if sub == "LS":
        multiline = msg.param(2) == "*"
        caps = msg.params[3] if multiline else msg.param(2)
        for item in caps.split():
            name, _, value = item.partition("=")
            neg.offered[name] = value
        if multiline or neg.cap_ended:
            return
        request = [c for c in WANTED_CAPS if c in neg.offered]
        if core.config.account and "sasl" in neg.offered:
            mechs = neg.offered["sasl"]
            if not mechs or "PLAIN" in mechs.upper().split(","):
                request.append("sasl")
        if request:
            neg.cap_req_pending = True
            core.send("CAP", "REQ", " ".join(request))
        else:
            cap_end(core)
    elif sub == "ACK":
        for item in msg.params[-1].split():
            if item.startswith("-"):
                core.caps.discard(item[1:])
            else:
                core.caps.add(item)
        if neg.cap_req_pending:
            neg.cap_req_pending = False
            if "sasl" in core.caps and core.config.account and not neg.sasl_active:
                neg.sasl_active = True
                core.send("AUTHENTICATE", "PLAIN")
            else:
                cap_end(core)
    elif sub == "NAK":
        if neg.cap_req_pending:
            neg.cap_req_pending = False
            cap_end(core)
    elif sub == "NEW":
        new = [c for c in WANTED_CAPS if c in msg.params[-1].split() and c not in core.caps]
        if new and core.registered:
            core.send("CAP", "REQ", " ".join(new))
    elif sub == "DEL":
        for item in msg.params[-1].split():
            core.caps.discard(item)


def cap_end(core: ClientCore) -> None:
    if not core.negotiation.cap_ended:
        core.negotiation.cap_ended = True
        core.send("CAP", "END")


def on_authenticate(core: ClientCore, msg: Message, now: float) -> None:
    if msg.param(0) != "+" or not core.negotiation.sasl_active:
        return
    account = core.config.account or ""
    secret = core.config.account_password or ""
    payload = base64.b64encode(f"{account}\0{account}\0{secret}".encode()).decode()
    chunks = [payload[i : i + 400] for i in range(0, len(payload), 400)] or ["+"]
    for chunk in chunks:
        core.send("AUTHENTICATE", chunk)
    if len(chunks[-1]) == 400:
        core.send("AUTHENTICATE", "+")


def on_sasl_numeric(core: ClientCore, msg: Message, now: float) -> None:
    code = msg.command
    text = msg.params[-1]
    if code == "903":
        core.info(STATUS_BUFFER, text or tr("Logged in"), now)
    elif code in ("902", "904", "905", "906", "907"):
        account = core.config.account
        said = tr(
            "Login failed: {reason} (account {account}); continuing without logging in",
            reason=text,
            account=account,
        )
        core.info(STATUS_BUFFER, said, now, "error")
    elif code == "908":
        return
    core.negotiation.sasl_active = False
    cap_end(core)


def on_welcome(core: ClientCore, msg: Message, now: float) -> None:
    core.registered = True
    core.negotiation.cap_ended = True
    core.set_nick(msg.param(0) or core.nick)
    core.info(STATUS_BUFFER, msg.params[-1], now)
    core.info(
        STATUS_BUFFER,
        tr("Connected to {server} as {nick}", server=core.server or msg.source, nick=core.nick),
        now,
    )
    core.set_state("connected")
    identify_without_sasl(core)
    for channel in core.wanted.values():
        core.send("JOIN", channel)
    history.request_private(core, now)
    flush_queue(core, now)


def identify_without_sasl(core: ClientCore) -> None:
    """A configured account on a server without SASL: log in through NickServ instead.

    Sent right after 001 and before the joins, because cloaks and channel access may depend on
    the account. Not after a SASL attempt (a refused password is not tried again elsewhere).
    """
    config = core.config
    if not config.account or not config.account_password or core.account or "sasl" in core.caps:
        return
    who = [] if core.model.same(config.account, core.nick) else [config.account]
    core.send("PRIVMSG", NICKSERV, " ".join(["IDENTIFY", *who, config.account_password]))


def on_isupport(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    for token in msg.params[1:-1]:
        key, _, value = token.partition("=")
        if key.startswith("-"):
            core.isupport.pop(key[1:], None)
            continue
        core.isupport[key] = value
        if key == "PREFIX":
            model.set_prefix(value)
        elif key == "CHANMODES":
            model.set_chanmodes(value)
        elif key == "CASEMAPPING":
            model.set_casemapping(value)
        elif key == "NETWORK" and value:
            core.server = value
            core.emit_status()
    model.chantypes = core.isupport.get("CHANTYPES", "#&")
    presence.started(core)


def on_nick_error(core: ClientCore, msg: Message, now: float) -> None:
    wanted = msg.param(1)
    reason = msg.params[-1] if len(msg.params) > 2 else ""
    if core.registered:
        core.info(
            core.current,
            tr("Cannot change nick to {nick}: {reason}", nick=wanted, reason=reason),
            now,
            "error",
        )
        core.desired_nick = core.nick
        return
    neg = core.negotiation
    core.emit(NickRefused(wanted, reason, taken=msg.command == "433"))
    if core.config.ask_nick:
        neg.awaiting_nick = True
        core.info(
            STATUS_BUFFER,
            tr("Nick {nick} refused: {reason}. Choose another.", nick=wanted, reason=reason),
            now,
            "error",
        )
        return
    neg.nick_attempt += 1
    if neg.nick_attempt > MAX_NICK_ATTEMPTS:
        core.info(STATUS_BUFFER, tr("No free nick found: use /nick <name>"), now, "error")
        return
    base = core.desired_nick
    if msg.command == "432":
        base = re.sub(r"[^A-Za-z0-9\[\]\\`_^{|}-]", "", base)[:9] or "guest"
        if not base[0].isalpha():
            base = "g" + base[:8]
    alternative = alternative_nick(base, neg.nick_attempt)
    core.info(
        STATUS_BUFFER,
        tr(
            "Nick {nick} is not available ({reason}), trying {other}",
            nick=wanted,
            reason=reason,
            other=alternative,
        ),
        now,
    )
    core.set_nick(alternative)
    core.send("NICK", alternative)


def choose_nick(core: ClientCore, nick: str) -> None:
    """Try `nick`: the user's answer to a refusal before registration (`ClientCore.choose_nick`);
    once registered it is a nick change like ``/nick``."""
    core.desired_nick = nick
    if not core.registered:
        core.negotiation.awaiting_nick = False
        core.set_nick(nick)
    core.send("NICK", nick)


def alternative_nick(base: str, attempt: int) -> str:
    """nick_, nick__, nick2, nick3, ... for attempt 1, 2, 3, ..."""
    if attempt == 1:
        return base + "_"
    if attempt == 2:
        return base + "__"
    return f"{base}{attempt - 1}"
