"""PRIVMSG, NOTICE and TAGMSG: to channels (with STATUSMSG) and to nicks.

Relayed lines stay within 512 bytes (tags aside), the most that clients accept. A client may
send a 512-byte PRIVMSG, and the relayed line is longer by the source prefix the server adds
(`:nick!user@host `: a 512-byte PRIVMSG went out as 573 bytes and clients dropped it). The text
is cut here, at a UTF-8 character boundary, so that the line with this sender's prefix fits, as
ergo does; it is not refused, since the client did nothing wrong. The cut happens before the
line is stored, so history holds exactly what was delivered, and an echo-message client sees
what the others got.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.irc import numerics as rpl
from socketchat.irc.casemap import is_channel
from socketchat.irc.message import MAX_BODY, Message, fit_text
from socketchat.server import services
from socketchat.server.commands import multiline
from socketchat.server.commands.devices import offline_account, offline_message
from socketchat.server.commands.visibility import channel_to_speak_in

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.user import User


def handle_privmsg(server: Server, s: Session, m: Message) -> None:
    _relay(server, s, m, needs_text=True)


def handle_notice(server: Server, s: Session, m: Message) -> None:
    _relay(server, s, m, needs_text=True)


def handle_tagmsg(server: Server, s: Session, m: Message) -> None:
    _relay(server, s, m, needs_text=False)


def _split_status(target: str) -> tuple[str, str]:
    """'@#chan' -> ('@', '#chan'): STATUSMSG prefixes before a channel name."""
    name = target.lstrip("@+")
    if name != target and is_channel(name):
        return target[: len(target) - len(name)], name
    return "", target


def _client_tags(m: Message) -> dict[str, str]:
    return {k: v for k, v in m.tags.items() if k.startswith("+")} if m.tags else {}


def _relay(server: Server, s: Session, m: Message, *, needs_text: bool) -> None:
    command = m.command
    if m.tags and "batch" in m.tags and command != "TAGMSG":
        multiline.stray_line(s)  # a batch's line, but no batch is open
        return
    quiet = command == "NOTICE"  # NOTICE never triggers error replies about delivery
    if not m.params or not m.params[0]:
        if not quiet:
            s.numeric(rpl.ERR_NORECIPIENT, f"No recipient given ({command})")
        return
    text = m.param(1)
    if needs_text and (len(m.params) < 2 or not text):
        if not quiet:
            s.numeric(rpl.ERR_NOTEXTTOSEND, "No text to send")
        return
    targets = m.params[0].split(",")
    max_targets = server.config.limits.max_targets
    if max_targets and len(targets) > max_targets:
        s.numeric("407", m.params[0], f"Too many targets. Only {max_targets} allowed.")
        return
    s.user.last_message_at = server.monotonic()
    client_tags = _client_tags(m)
    # ":prefix COMMAND target :text\r\n" is the prefix, command, target and text plus 7 bytes
    overhead = len(s.prefix.encode("utf-8", "replace")) + len(command) + 7
    text_bytes = len(text.encode("utf-8", "replace"))
    for target in targets:
        if not target:
            continue
        tags = server.relay_tags(s, msgid=True)
        tags.update(client_tags)
        status, name = _split_status(target)
        budget = MAX_BODY - overhead - len(target.encode("utf-8", "replace"))
        if not needs_text:
            params: tuple[str, ...] = (target,)
        else:
            params = (target, fit_text(text, budget) if text_bytes > budget else text)
        out = Message(command, params, s.prefix, tags)
        if is_channel(name):
            channel = channel_to_speak_in(server, s, name, quiet=quiet)
            if channel is None:
                continue
            if "C" in channel.modes and _is_ctcp(text) and not text.startswith("\x01ACTION "):
                if not quiet:  # +C: CTCP is refused, /me (ACTION) still goes through
                    s.numeric(rpl.ERR_CANNOTSENDTOCHAN, channel.name, "CTCP is not allowed (+C)")
                continue
            if status:
                wanted = "ov" if "+" in status else "o"
                recipients = [u for u, held in channel.members.items() if set(held) & set(wanted)]
            else:
                recipients = list(channel.members)
                if server.storage is not None and _kept(command, client_tags):
                    server.storage.store_message(out, channel.name, s, None)
            _deliver(server, s, out, recipients)
            if not status:
                server.push.channel_message(s, channel, out)  # mentions (draft/webpush)
        else:
            if services.receive(server, s, out, name):
                continue
            user = server.state.find_nick(name)
            offline = (
                None if user is not None or command == "TAGMSG" else offline_account(server, name)
            )
            if offline is not None:  # a registered account nobody is using: kept for it
                offline_message(server, s, out, offline)
                continue
            if user is None or not user.registered:
                if not quiet:
                    s.numeric(rpl.ERR_NOSUCHNICK, name, "No such nick/channel")
                continue
            if command == "PRIVMSG" and user.away is not None:
                s.numeric(rpl.RPL_AWAY, user.nick, user.away)
            if server.storage is not None and _kept(command, client_tags):
                server.storage.store_message(out, user.nick, s, user)
            # the sender's other devices see what it sent, as they would an echo
            mine = s.user
            _deliver(server, s, out, [user] if user is mine else [user, mine], to_self=user is mine)
            server.push.private_message(s, user.account, out)  # draft/webpush


# Client tags of a TAGMSG that are not worth keeping in history: typing notifications mean
# nothing a minute later. A TAGMSG with any other client tag (a reaction, +draft/react; a reply,
# +draft/reply) is kept, for draft/event-playback clients' CHATHISTORY.
_TRANSIENT_TAGS = frozenset({"+typing", "+draft/typing"})


def _kept(command: str, client_tags: dict[str, str]) -> bool:
    """Is this message stored in history?"""
    if command != "TAGMSG":
        return True
    return any(k not in _TRANSIENT_TAGS for k in client_tags)


def _deliver(
    server: Server, s: Session, out: Message, recipients: list[User], *, to_self: bool = False
) -> None:
    """Fan out to every session of the recipients but the sending one (so the sender's other
    devices see it too); the sender gets an echo if it asked for echo-message.

    A message to oneself arrives twice with echo-message: once as the message received, once as
    the echo. Only the echo answers the command, so only it joins a labeled response; the
    received copy is written past the capture, as any other recipient's would be.
    """
    echo = "echo-message" in s.caps
    if out.command == "TAGMSG":
        sessions = server.sessions_among(recipients, "message-tags")
        server.deliver(out, [u for u in sessions if u is not s])
    else:
        server.fanout(out, recipients, skip=s)
    if to_self and (out.command != "TAGMSG" or "message-tags" in s.caps):
        s.write(server.encode(out, s.tagmask))
    if echo:
        s.send(out)


def _is_ctcp(text: str) -> bool:
    return text.startswith("\x01")
