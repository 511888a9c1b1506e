"""Server operators: OPER (name + password against `config.operators`), KILL and WALLOPS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.message import Message
from socketchat.server.accounts import throttled_check
from socketchat.server.audit import audit

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session


def handle_oper(server: Server, s: Session, m: Message) -> None:
    name, password = m.params[0], m.params[1]
    entry = next((op for op in server.config.operators if op.name == name), None)
    # An unknown name still costs one scrypt check, so replies do not reveal which names exist.
    stored = entry.password_hash if entry else None

    def checked(right: bool) -> None:
        who = f"{s.nick}!{s.username}@{s.ip}"
        if not right:
            audit(
                "oper_failed",
                f"{who} failed OPER as {name!r}",
                failure=True,
                actor=who,
                oper=name,
            )
            if not s.closed:
                s.numeric(rpl.ERR_PASSWDMISMATCH, "Password incorrect")
            return
        audit("oper", f"{who} is now operator {name!r}", actor=who, oper=name)
        if s.closed:
            return
        if server.state.set_user_mode(s.user, "o", True):
            s.user.send(Message("MODE", (s.nick, "+o"), s.prefix))
        s.numeric(rpl.RPL_YOUREOPER, "You are now an IRC operator")

    # Guesses are throttled like logins: per name and address, per address, per name; scrypt
    # runs off the event loop and this session's next lines wait for the answer.
    if not throttled_check(server, s, "oper:" + name, password, stored, checked):
        s.numeric(rpl.ERR_PASSWDMISMATCH, "Password incorrect (too many failed attempts)")


def handle_kill(server: Server, s: Session, m: Message) -> None:
    nick = m.params[0]
    target = server.state.find_nick(nick)
    if target is None or not target.registered:
        s.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        return
    comment = m.param(1) or "No reason given"
    reason = f"Killed ({s.nick} ({comment}))"
    who = f"{s.nick}!{s.username}@{s.ip}"
    audit(
        "kill",
        f"{who} killed {target.prefix}: {comment}",
        actor=who,
        target=target.prefix,
        reason=comment,
    )
    target.send(Message("KILL", (target.nick, comment), s.prefix))
    server.end_user(target, reason)


def handle_wallops(server: Server, s: Session, m: Message) -> None:
    """WALLOPS <text> (operators only, as Modern allows): to everyone with user mode +w,
    the sender included only if it has +w itself."""
    text = m.params[0]
    msg = Message("WALLOPS", (text,), s.prefix, server.relay_tags(s))
    server.fanout(msg, (u for u in server.state.with_user_mode("w") if u.registered))
