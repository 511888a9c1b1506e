"""Accounts: ``/register``, ``/identify``, the server's answers, and keeping passwords off screen.

``/register <password> [email]`` registers the current nick as an account: with IRCv3
``REGISTER <nick> <email|*> <password>`` when the server offers draft/account-registration,
else through NickServ (``REGISTER <password> [email]``). ``/identify [account] <password>`` logs
in through NickServ. (Logging in while connecting is SASL PLAIN, see `registration.py`.)

Outcomes are shown where the user typed: ``REGISTER SUCCESS`` / ``FAIL REGISTER`` (IRCv3),
NickServ's NOTICEs (they go to the current buffer), and RPL_LOGGEDIN (900), which also sets
`ClientCore.account` and shows it in the status line. Passwords never appear in a buffer:
a line to NickServ that carries one is shown masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.client.events import STATUS_BUFFER, tr
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["NICKSERV", "identify", "mask_secret", "register"]

NICKSERV = "NickServ"
_SECRET_COMMANDS = frozenset({"REGISTER", "IDENTIFY", "LOGIN", "GHOST", "SET"})


def mask_secret(target: str, text: str) -> str:
    """`text` for display: a NickServ command's password and the rest are replaced by dots."""
    if target.lower() != NICKSERV.lower():
        return text
    command, _, rest = text.partition(" ")
    if command.upper() in _SECRET_COMMANDS and rest:
        return f"{command} ••••••"
    return text


def register(core: ClientCore, password: str, email: str, buffer: str, now: float) -> None:
    """/register: the current nick as an account (IRCv3 REGISTER, else NickServ)."""
    if "draft/account-registration" in core.negotiation.offered:
        core.send("REGISTER", core.nick, email or "*", password)
        said = tr("Registering the account {account}…", account=core.nick)
    else:
        core.send(
            "PRIVMSG", NICKSERV, " ".join(["REGISTER", password, *([email] if email else [])])
        )
        said = tr("Registering the account {account} with NickServ…", account=core.nick)
    core.pending_account_buffer = buffer
    core.info(buffer, said, now)


def identify(core: ClientCore, account: str, password: str, buffer: str, now: float) -> None:
    """/identify: log in through NickServ (`account` "" means the current nick)."""
    core.send(
        "PRIVMSG", NICKSERV, " ".join(["IDENTIFY", *([account] if account else []), password])
    )
    core.pending_account_buffer = buffer
    core.info(
        buffer, tr("Logging in as {account} with NickServ…", account=account or core.nick), now
    )


def on_register(core: ClientCore, msg: Message, now: float) -> None:
    """``REGISTER SUCCESS|VERIFICATION_REQUIRED <account> :<message>``."""
    status, account, text = msg.param(0).upper(), msg.param(1), msg.params[-1]
    where = _where(core)
    if status == "SUCCESS":
        core.info(
            where, tr("Account {account} registered: {text}", account=account, text=text), now
        )
    elif status == "VERIFICATION_REQUIRED":
        core.info(
            where,
            tr("Account {account} needs verification: {text}", account=account, text=text),
            now,
        )
    else:
        core.info(where, f"REGISTER {' '.join(msg.params)}", now)


def on_register_fail(core: ClientCore, msg: Message, now: float) -> None:
    """``FAIL REGISTER <code> [<account>] :<description>``."""
    core.info(
        _where(core), tr("Registration failed: {reason}", reason=msg.params[-1]), now, "error"
    )
    core.pending_account_buffer = None


def on_logged_in(core: ClientCore, msg: Message, now: float) -> None:
    """900 ``<nick> <prefix> <account> :You are now logged in as <account>`` (901: logged out)."""
    if msg.command == "900":
        core.account = msg.param(2) or None
    else:
        core.account = None
    text = msg.params[-1]
    core.info(STATUS_BUFFER, text, now)
    where = _where(core)
    if where != STATUS_BUFFER:
        core.info(where, text, now)
    core.pending_account_buffer = None
    core.emit_status()


def _where(core: ClientCore) -> str:
    """The buffer the last /register or /identify was typed in (else the current one)."""
    wanted = core.pending_account_buffer
    buf = core.model.buf(wanted) if wanted else None
    return buf.name if buf is not None else core.current
