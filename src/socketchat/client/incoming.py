"""What the server sends: one handler per command or numeric, in `HANDLERS` and `NUMERICS`.

`dispatch` looks a parsed message up by command; numerics without a handler of their own are
shown as text (errors in the current buffer, the rest in the status buffer). A handler gets
``(core, msg, now)`` and updates `ClientCore.model`, which emits the events for the view.
Registration (CAP, SASL, 001, 005, 432/433) lives in `registration.py`, WHO in `who.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from socketchat.client import (
    accounts,
    channellist,
    chanops,
    history,
    multiline,
    presence,
    reactions,
    readmarker,
    redaction,
    registration,
    search,
    typing,
    who,
    whois,
)
from socketchat.client.events import (
    STATUS_BUFFER,
    ChatLine,
    LineKind,
    ModesChanged,
    Reply,
    Said,
    TopicChanged,
    tr,
)
from socketchat.client.helpers import local_time, parse_server_time
from socketchat.client.outgoing import drop_queue, flush_queue, quote
from socketchat.client.state import Buffer, User
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["HANDLERS", "NUMERICS", "dispatch"]

Handler = Callable[["ClientCore", Message, float], None]

# Numerics after which a channel's queued messages can never be sent (cannot join).
_CANNOT_JOIN = frozenset({"403", "405", "471", "473", "474", "475", "477"})


# What a history batch may carry for the client (draft/event-playback adds joins, topics, modes,
# reactions...): messages, and the TAGMSGs that react to them. A replayed JOIN, PART or MODE
# must not change who is in the channel now, so those are not replayed.
_REPLAYED = frozenset({"PRIVMSG", "NOTICE", "TAGMSG", "BATCH"})


def dispatch(core: ClientCore, msg: Message, now: float) -> None:
    batch = core.batches.get(msg.tags["batch"]) if "batch" in msg.tags else None
    if batch is not None and batch.is_history:
        batch.received += 1  # what the server counted against the limit asked for
        if msg.command not in _REPLAYED:
            return
    handler = HANDLERS.get(msg.command)
    if handler is not None:
        handler(core, msg, now)
    elif msg.command.isdigit():
        _on_numeric(core, msg, now)


def message_time(core: ClientCore, msg: Message, now: float) -> tuple[datetime, bool]:
    """When `msg` happened (server-time, else `now`), and whether it is replayed history."""
    value = msg.tags.get("time")
    when = parse_server_time(value) if value else None
    history = False
    batch = core.batches.get(msg.tags.get("batch", ""))
    if batch is not None and batch.is_history:
        history = True
    return (when or local_time(now)), history


def _event_line(
    buffer: str,
    when: datetime,
    nick: str,
    said: Said,
    kind: LineKind,
    *,
    highlight: bool = False,
    self_msg: bool = False,
) -> ChatLine:
    """A join, part, quit, kick, nick, topic or mode line: the client's words about `nick`."""
    return ChatLine(
        buffer, when, nick, said.fill(), kind, self_msg=self_msg, highlight=highlight, said=said
    )


def _mentions_me(core: ClientCore, text: str) -> bool:
    if not core.nick:
        return False
    fold = core.model.fold  # by the server's casemapping: {Alice} names [alice] on rfc1459
    pattern = rf"(?<![\w-]){re.escape(fold(core.nick))}(?![\w-])"
    return re.search(pattern, fold(text), re.IGNORECASE) is not None


# ---------------------------------------------------------------------- connection


def _on_ping(core: ClientCore, msg: Message, now: float) -> None:
    core.send("PONG", *msg.params[:1])


def _on_pong(core: ClientCore, msg: Message, now: float) -> None:
    core.pong_received()


def _on_error(core: ClientCore, msg: Message, now: float) -> None:
    core.info(STATUS_BUFFER, tr("Server: {reason}", reason=msg.param(0)), now, "error")


def _on_batch(core: ClientCore, msg: Message, now: float) -> None:
    ref = msg.param(0)
    if ref.startswith("+") and msg.param(1) == multiline.BATCH_TYPE:
        multiline.opened(core, ref[1:], msg)
    elif ref.startswith("+"):
        core.batches[ref[1:]] = history.Batch(msg.param(1), msg.param(2))
    elif ref.startswith("-") and ref[1:] in core.multiline_in:
        combined = multiline.closed(core, ref[1:])
        if combined is not None:
            _on_privmsg(core, combined, now)
    elif ref.startswith("-"):
        batch = core.batches.pop(ref[1:], None)
        if batch is not None and batch.is_history:
            history.batch_ended(core, batch, now)
        elif batch is not None and batch.type == search.BATCH_TYPE:
            search.ended(core, batch, now)


def _on_markread(core: ClientCore, msg: Message, now: float) -> None:
    history.on_markread(core, msg, now)  # first: it may open the buffer the marker is for
    readmarker.on_markread(core, msg, now)


def _on_fail(core: ClientCore, msg: Message, now: float) -> None:
    """``FAIL <command> <code> [<context>...] :<description>`` (IRCv3 standard replies)."""
    command = msg.param(0).upper()
    if command == "CHATHISTORY":
        history.fail(core, msg, now)
        return
    if command == "REGISTER":
        accounts.on_register_fail(core, msg, now)
        return
    if command == "SEARCH":
        search.fail(core, msg, now)
        return
    failed = tr("{command} failed: {reason}", command=msg.param(0), reason=msg.params[-1])
    core.info(core.current, failed, now, "error")


# ---------------------------------------------------------------------- messages


def _on_privmsg(core: ClientCore, msg: Message, now: float) -> None:
    if multiline.collect(core, msg):
        return  # a line of a multiline message: handled at the batch's end
    if search.collect(core, msg, now):
        return  # a search result: for the results, not said now
    model = core.model
    target = msg.param(0)
    text = msg.param(1)
    when, is_history = message_time(core, msg, now)
    sender = msg.nick
    is_self = core.is_me(sender)
    kind: LineKind = "message" if msg.command == "PRIVMSG" else "notice"
    from_server = msg.source is None or ("!" not in msg.source and "." in sender)
    if not is_self and sender and chanops.is_ignored(core, sender):
        return  # /ignore: not shown, not answered (CTCP), not counted
    model.note_source(msg)
    if text.startswith("\x01"):
        ctcp = text.strip("\x01")
        verb, _, rest = ctcp.partition(" ")
        verb = verb.upper()
        if verb == "ACTION":
            text, kind = rest, "action"
        elif kind == "message":
            if not is_self:
                _ctcp_reply(core, sender, verb, rest)
            return
        elif is_self:
            return  # the echo of our own automatic CTCP reply (echo-message): not a message
        else:
            text = f"CTCP {verb} reply: {rest}"  # their words: the line is theirs
    if is_self and accounts.mask_secret(target, text) != text and kind == "message":
        return  # the echo of /register or /identify: said when sent, password off screen
    chan_target = target.lstrip(model.prefix_chars)
    if model.is_channel(chan_target):
        buffer = model.ensure_channel(chan_target)
    elif from_server or not sender:
        buffer = STATUS_BUFFER if not core.registered or kind == "notice" else core.current
    elif is_self:
        buffer = model.open(target, "query", focus=False).name
    elif kind == "notice":
        existing = model.buf(sender)
        buffer = existing.name if existing else core.current
    else:
        buffer = model.open(sender, "query", focus=False).name
    highlight = not is_self and (
        (not model.is_channel(chan_target) and kind != "notice" and not from_server)
        or _mentions_me(core, text)
    )
    msgid = msg.tags.get("msgid")
    buf = model.buf(buffer)
    if msgid and buf and any(line.msgid == msgid for line in buf.lines):
        return  # shown already: a repeated echo, or history that overlaps what came live
    if buf is not None and not is_history and sender:
        typing.spoke(core, buf, sender)
    replied = msg.tags.get("+draft/reply")
    line = ChatLine(
        buffer,
        when,
        sender or core.server,
        text,
        kind,
        self_msg=is_self,
        highlight=highlight,
        history=is_history,
        msgid=msgid,
        reply=_quote(core, msg, buf, replied) if replied else None,
    )
    if not (is_history and history.collect(core, msg, line)):
        model.add_line(buffer, line)


def _quote(core: ClientCore, msg: Message, buf: Buffer | None, msgid: str) -> Reply:
    """The line `msgid` answers: in the buffer, else earlier in the same history batch."""
    reply = quote(buf, msgid)
    batch = core.batches.get(msg.tags.get("batch", ""))
    if not reply.nick and batch is not None:
        line = next((x for x in reversed(batch.lines) if x.msgid == msgid), None)
        if line is not None and not line.redacted:
            reply = Reply(msgid, line.nick, line.text)
    return reply


def _ctcp_reply(core: ClientCore, nick: str, verb: str, rest: str) -> None:
    if verb == "VERSION":
        core.send("NOTICE", nick, "\x01VERSION socketchat\x01")
    elif verb == "PING":
        core.send("NOTICE", nick, f"\x01PING {rest}\x01")


def _on_invite(core: ClientCore, msg: Message, now: float) -> None:
    channel = msg.param(1)
    core.info(
        core.current,
        tr("{nick} invites you to {channel} (/join {channel})", nick=msg.nick, channel=channel),
        now,
    )


# ---------------------------------------------------------------------- channels


def _on_join(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    channel = msg.param(0)
    nick = msg.nick
    model.note_source(msg)
    user = model.user(nick)
    if "extended-join" in core.caps and len(msg.params) >= 3:
        user.account = None if msg.param(1) == "*" else msg.param(1)
        user.realname = msg.param(2)
    when, _ = message_time(core, msg, now)
    if core.is_me(nick):
        if msg.source and "!" in msg.source:
            core.me_prefix_len = len(msg.source) + 1
        folded = model.fold(channel)
        focus = folded in core.focus_on_join or folded in core.first_join_pending
        core.focus_on_join.discard(folded)
        if folded in core.first_join_pending:
            # the first configured channel to be joined is shown, not the last one
            core.first_join_pending.clear()
        core.want(channel)
        buf = model.buf(channel)
        if buf is None:
            buf = model.open(channel, "channel", focus=focus)
        elif focus:
            model.focus(buf.name)
        buf.joined = True
        buf.members = {model.fold(nick): (nick, "")}
        model.emit_members(buf)
        # What the channel was like before a reconnect may be stale (a server restart forgets
        # topics): the server sends 332 after the JOIN when there is a topic, nothing when
        # there is none; the modes are asked for.
        if buf.topic:
            buf.topic = ""
            core.emit(TopicChanged(buf.name, ""))
        if buf.modes:
            buf.modes.clear()
            core.emit(ModesChanged(buf.name, ""))
        core.send("MODE", buf.name)
        core.info(buf.name, tr("You joined {channel}", channel=buf.name), now, "join")
        history.request_on_join(core, buf, buf.lines[-1])
        flush_queue(core, now, buf.name)
        return
    buf = model.buf(channel)
    if buf is None:
        return
    buf.members[model.fold(nick)] = (nick, "")
    model.emit_members(buf)
    said = (
        tr("{nick} ({host}) joined", nick=nick, host=f"{user.user}@{user.host}")
        if user.host
        else tr("{nick} joined", nick=nick)
    )
    model.add_line(buf.name, _event_line(buf.name, when, nick, said, "join"))


def _on_part(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    channel = msg.param(0)
    reason = msg.param(1)
    nick = msg.nick
    buf = model.buf(channel)
    if buf is None:
        return
    if core.is_me(nick):
        core.unwant(buf.name)
        core.info(STATUS_BUFFER, tr("You left {channel}", channel=buf.name), now, "part")
        model.drop(buf)
        return
    when, _ = message_time(core, msg, now)
    buf.members.pop(model.fold(nick), None)
    model.emit_members(buf)
    said = tr("{nick} left ({reason})", nick=nick, reason=reason) if reason else None
    said = said or tr("{nick} left", nick=nick)
    model.add_line(buf.name, _event_line(buf.name, when, nick, said, "part"))
    model.forget_if_unseen(nick)


def _on_kick(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    channel, victim, reason = msg.param(0), msg.param(1), msg.param(2)
    buf = model.buf(channel)
    if buf is None:
        return
    when, _ = message_time(core, msg, now)
    if core.is_me(victim):
        core.unwant(buf.name)
        buf.joined = False
        buf.members.clear()
        model.emit_members(buf)
        said = (
            tr("You were kicked from {channel} by {nick} ({reason})", channel=buf.name,
               nick=msg.nick, reason=reason)
            if reason
            else tr("You were kicked from {channel} by {nick}", channel=buf.name, nick=msg.nick)
        )  # fmt: skip
        line = _event_line(buf.name, when, msg.nick, said, "kick", highlight=True)
        model.add_line(buf.name, line)
        drop_queue(core, buf.name, now)
        return
    buf.members.pop(model.fold(victim), None)
    model.emit_members(buf)
    said = (
        tr("{victim} was kicked by {nick} ({reason})", victim=victim, nick=msg.nick, reason=reason)
        if reason
        else tr("{victim} was kicked by {nick}", victim=victim, nick=msg.nick)
    )
    model.add_line(buf.name, _event_line(buf.name, when, msg.nick, said, "kick"))


def _on_quit(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    nick = msg.nick
    folded = model.fold(nick)
    when, _ = message_time(core, msg, now)
    reason = msg.param(0)
    said = tr("{nick} quit ({reason})", nick=nick, reason=reason) if reason else None
    said = said or tr("{nick} quit", nick=nick)
    for buf in list(model.buffers.values()):
        if buf.kind == "channel" and folded in buf.members:
            del buf.members[folded]
            model.emit_members(buf)
            model.add_line(buf.name, _event_line(buf.name, when, nick, said, "quit"))
        elif buf.kind == "query" and model.fold(buf.name) == folded:
            model.add_line(buf.name, _event_line(buf.name, when, nick, said, "quit"))
    model.users.pop(folded, None)


def _on_nick(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    old, new = msg.nick, msg.param(0)
    fold_old, fold_new = model.fold(old), model.fold(new)
    when, _ = message_time(core, msg, now)
    is_self = core.is_me(old)
    user = model.users.pop(fold_old, None) or User(new)
    user.nick = new
    model.users[fold_new] = user
    said = (
        tr("You are now known as {new}", new=new)
        if is_self
        else tr("{old} is now known as {new}", old=old, new=new)
    )
    for buf in list(model.buffers.values()):
        if buf.kind == "channel" and fold_old in buf.members:
            _, prefixes = buf.members.pop(fold_old)
            buf.members[fold_new] = (new, prefixes)
            model.emit_members(buf)
            line = _event_line(buf.name, when, old, said, "nick", self_msg=is_self)
            model.add_line(buf.name, line)
        elif buf.kind == "query" and model.fold(buf.name) == fold_old:
            if model.buf(new) is None or fold_new == fold_old:
                model.rename(buf, new)
            model.add_line(buf.name, _event_line(buf.name, when, old, said, "nick"))
    if is_self:
        core.desired_nick = new
        core.set_nick(new)
        core.info(STATUS_BUFFER, said, now, "nick")


def _on_topic(core: ClientCore, msg: Message, now: float) -> None:
    channel, topic = msg.param(0), msg.param(1)
    buf = core.model.buf(channel)
    if buf is None:
        return
    when, _ = message_time(core, msg, now)
    buf.topic = topic
    core.emit(TopicChanged(buf.name, topic, msg.nick))
    said = (
        tr("{nick} changed the topic to: {topic}", nick=msg.nick, topic=topic)
        if topic
        else tr("{nick} cleared the topic", nick=msg.nick)
    )
    core.model.add_line(buf.name, _event_line(buf.name, when, msg.nick, said, "topic"))


def _on_mode(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    target = msg.param(0)
    if not model.is_channel(target):
        if core.is_me(target):
            core.info(
                STATUS_BUFFER,
                tr("Your modes: {modes}", modes=" ".join(msg.params[1:])),
                now,
                "mode",
            )
        return
    buf = model.buf(target)
    if buf is None:
        return
    when, _ = message_time(core, msg, now)
    modes = msg.param(1)
    args = list(msg.params[2:])
    adding = True
    changed = modes_changed = False
    list_modes, always_modes, set_modes, _ = model.chanmodes
    for ch in modes:
        if ch in "+-":
            adding = ch == "+"
            continue
        if ch in model.prefix_modes:
            if not args:
                continue
            nick = args.pop(0)
            folded = model.fold(nick)
            if folded in buf.members:
                name, prefixes = buf.members[folded]
                symbol = model.prefix_chars[model.prefix_modes.index(ch)]
                if adding and symbol not in prefixes:
                    prefixes += symbol
                elif not adding:
                    prefixes = prefixes.replace(symbol, "")
                prefixes = "".join(sorted(prefixes, key=model.prefix_chars.index))
                buf.members[folded] = (name, prefixes)
                changed = True
        elif ch in list_modes:
            if args:
                args.pop(0)
        elif ch in always_modes or ch in set_modes:
            arg = args.pop(0) if args and (adding or ch in always_modes) else ""
            _set_mode(buf.modes, ch, arg, adding)
            modes_changed = True
        else:
            _set_mode(buf.modes, ch, "", adding)
            modes_changed = True
    if changed:
        model.emit_members(buf)
    if modes_changed:
        core.emit(ModesChanged(buf.name, model.mode_string(buf)))
    said = tr("{nick} sets mode {modes}", nick=msg.nick, modes=" ".join(msg.params[1:]))
    model.add_line(buf.name, _event_line(buf.name, when, msg.nick, said, "mode"))


# ---------------------------------------------------------------------- users


def _on_away(core: ClientCore, msg: Message, now: float) -> None:
    user = core.model.user(msg.nick)
    away = bool(msg.params and msg.param(0))
    if user.away != away:
        user.away = away
        core.model.emit_members_of(user.nick)


def _on_account(core: ClientCore, msg: Message, now: float) -> None:
    account = msg.param(0)
    core.model.user(msg.nick).account = None if account == "*" else account
    core.model.emit_members_of(msg.nick)


def _on_chghost(core: ClientCore, msg: Message, now: float) -> None:
    user = core.model.user(msg.nick)
    user.user, user.host = msg.param(0), msg.param(1)
    core.model.emit_members_of(msg.nick)


def _on_setname(core: ClientCore, msg: Message, now: float) -> None:
    core.model.user(msg.nick).realname = msg.param(0)


# ---------------------------------------------------------------------- numerics


def _on_numeric(core: ClientCore, msg: Message, now: float) -> None:
    code = msg.command
    handler = NUMERICS.get(code)
    if handler is not None:
        handler(core, msg, now)
        return
    text = " ".join(p for p in msg.params[1:] if p)
    if not text:
        return
    if code == "421" and msg.param(1).upper() == "WHO" and core.who:
        who.unsupported(core, now)
        return
    if code[0] in "45":
        core.info(core.current, text, now, "error")
        if code in _CANNOT_JOIN:
            drop_queue(core, msg.param(1), now)
            core.focus_on_join.discard(core.model.fold(msg.param(1)))
    else:
        core.info(STATUS_BUFFER, text, now)


def _set_mode(modes: dict[str, str], mode: str, arg: str, adding: bool) -> None:
    if adding:
        modes[mode] = arg
    else:
        modes.pop(mode, None)


def _on_channel_modes(core: ClientCore, msg: Message, now: float) -> None:
    """324 ``<me> <channel> <modes> [<args>...]``: the answer to MODE <channel> after a join."""
    model = core.model
    buf = model.buf(msg.param(1))
    if buf is None:
        return
    _, always_modes, set_modes, _ = model.chanmodes
    args = list(msg.params[3:])
    buf.modes.clear()
    for ch in msg.param(2).lstrip("+"):
        takes_arg = ch in always_modes or ch in set_modes
        buf.modes[ch] = args.pop(0) if takes_arg and args else ""
    core.emit(ModesChanged(buf.name, model.mode_string(buf)))


def _on_topic_numeric(core: ClientCore, msg: Message, now: float) -> None:
    buf = core.model.buf(msg.param(1))
    if buf is None:
        return
    topic = msg.param(2) if msg.command == "332" else ""
    buf.topic = topic
    core.emit(TopicChanged(buf.name, topic))
    if topic:
        core.info(buf.name, tr("Topic: {topic}", topic=topic), now, "topic")


def _on_names(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    buf = model.buf(msg.param(2))
    if buf is None:
        return
    if buf.names_pending is None:
        buf.names_pending = {}
    for item in msg.params[-1].split():
        i = 0
        while i < len(item) and item[i] in model.prefix_chars:
            i += 1
        prefixes = "".join(sorted(set(item[:i]), key=model.prefix_chars.index))
        mask = item[i:]
        nick, _, userhost = mask.partition("!")
        if not nick:
            continue
        if userhost:
            user = model.user(nick)
            user.user, _, user.host = userhost.partition("@")
        buf.names_pending[model.fold(nick)] = (nick, prefixes)


def _on_end_of_names(core: ClientCore, msg: Message, now: float) -> None:
    model = core.model
    buf = model.buf(msg.param(1))
    if buf is None:
        return
    if buf.names_pending is not None:
        buf.members = buf.names_pending
        buf.names_pending = None
        model.emit_members(buf)
    folded = model.fold(buf.name)
    if folded in core.names_requested:
        core.names_requested.discard(folded)
        members = model.member_list(buf)
        names = " ".join(m.prefix + m.nick for m in members)
        said = tr(
            "{count} in {channel}: {names}", count=len(members), channel=buf.name, names=names
        )
        core.info(buf.name, said, now)


def _on_away_numeric(core: ClientCore, msg: Message, now: float) -> None:
    if msg.command == "301" and whois.on_away(core, msg):
        return
    if msg.command == "301":
        nick = msg.param(1)
        buf = core.model.buf(nick)
        said = tr("{nick} is away: {reason}", nick=nick, reason=msg.param(2))
        core.info(buf.name if buf else core.current, said, now)
        return
    core.away = msg.command == "306"
    core.info(core.current, tr("You are away") if core.away else tr("You are back"), now)
    core.emit_status()


def _on_silent(core: ClientCore, msg: Message, now: float) -> None:
    pass


HANDLERS: dict[str, Handler] = {
    "PING": _on_ping,
    "PONG": _on_pong,
    "ERROR": _on_error,
    "CAP": registration.on_cap,
    "AUTHENTICATE": registration.on_authenticate,
    "PRIVMSG": _on_privmsg,
    "NOTICE": _on_privmsg,
    "JOIN": _on_join,
    "PART": _on_part,
    "KICK": _on_kick,
    "QUIT": _on_quit,
    "NICK": _on_nick,
    "TOPIC": _on_topic,
    "MODE": _on_mode,
    "AWAY": _on_away,
    "ACCOUNT": _on_account,
    "CHGHOST": _on_chghost,
    "SETNAME": _on_setname,
    "BATCH": _on_batch,
    "INVITE": _on_invite,
    "FAIL": _on_fail,
    "REGISTER": accounts.on_register,
    "MARKREAD": _on_markread,
    "CHATHISTORY": history.on_target,
    "TAGMSG": reactions.on_tagmsg,
    "REDACT": redaction.on_redact,
}

NUMERICS: dict[str, Handler] = {
    "001": registration.on_welcome,
    "005": registration.on_isupport,
    "301": _on_away_numeric,
    **{code: whois.on_whois_numeric for code in whois.WHOIS_NUMERICS},
    "305": _on_away_numeric,
    "306": _on_away_numeric,
    "315": who.on_who_end,
    "324": _on_channel_modes,
    "329": _on_silent,
    "331": _on_topic_numeric,
    "332": _on_topic_numeric,
    "333": _on_silent,
    "352": who.on_who_reply,
    "354": who.on_whox_reply,
    "353": _on_names,
    "366": _on_end_of_names,
    "321": channellist.on_list_numeric,
    "322": channellist.on_list_numeric,
    "323": channellist.on_list_numeric,
    "730": presence.on_monitor_numeric,
    "731": presence.on_monitor_numeric,
    "732": _on_silent,
    "733": _on_silent,
    "734": presence.on_monitor_numeric,
    "432": registration.on_nick_error,
    "433": registration.on_nick_error,
    "900": accounts.on_logged_in,
    "901": accounts.on_logged_in,
    **dict.fromkeys(
        ("902", "903", "904", "905", "906", "907", "908"),
        registration.on_sasl_numeric,
    ),
}
