"""Replies (``+draft/reply``) and reactions (``+draft/react``): client tags on messages.

A reply is a PRIVMSG with ``+draft/reply=<msgid>``: its `ChatLine.reply` quotes the line it
answers when that is in the scrollback (who said it and what), else only the msgid. Typed as
``/reply <msgid|nick> <text>`` (a nick: their latest line in this tab) or sent by the view's
reply button (`ClientCore.reply`). Without ``message-tags`` the reply goes out as
``nick: text``, as people write it by hand.

A reaction is a TAGMSG with ``+draft/react=<emoji>`` and ``+draft/reply=<msgid>``; taking it
back (clicking one's own again) sends ``+draft/unreact`` (the draft's proposal, which other
clients may ignore). They are kept per buffer and msgid, aggregated by emoji
(`ReactionsChanged`), each nick counted once per emoji. With echo-message the server's echo of
our own reaction is what counts (so a refused one is not shown); without it, it counts at once.
Reactions to lines older than the scrollback are dropped with them.

`on_tagmsg` is the TAGMSG handler: typing indicators (`socketchat.client.typing`) and
reactions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socketchat.client import typing
from socketchat.client.events import ChatLine, Reaction, ReactionsChanged, tr
from socketchat.client.outgoing import say
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.client.state import Buffer

__all__ = ["MAX_EMOJI", "find_line", "on_tagmsg", "react", "reactions_of", "reply"]

MAX_EMOJI = 32  # characters: a reaction is an emoji or a short word, not a message
_TEXT_KINDS = frozenset({"message", "action", "notice"})


def find_line(core: ClientCore, buffer: str, ref: str) -> ChatLine | None:
    """The line `ref` names in `buffer`: its msgid, else the latest line by the nick `ref`."""
    buf = core.model.buf(buffer)
    if buf is None or not ref:
        return None
    for line in reversed(buf.lines):
        if line.msgid == ref:
            return line
    for line in reversed(buf.lines):
        if line.kind in _TEXT_KINDS and line.msgid and core.model.same(line.nick, ref):
            return line
    return None


def reply(core: ClientCore, buffer: str, msgid: str, text: str, now: float) -> None:
    """Send `text` to `buffer` as a reply to its line `msgid`."""
    buf = core.model.buf(buffer)
    if buf is None or not text.strip():
        return
    if "message-tags" in core.caps:
        say(core, buf.name, text, now, action=False, reply=msgid)
        return
    line = find_line(core, buf.name, msgid)
    prefix = f"{line.nick}: " if line is not None and not line.self_msg else ""
    say(core, buf.name, prefix + text, now, action=False)


def react(core: ClientCore, buffer: str, msgid: str, emoji: str, now: float) -> None:
    """React to the line `msgid` of `buffer` with `emoji`; again: take the reaction back."""
    buf = core.model.buf(buffer)
    emoji = emoji.strip()
    if buf is None or buf.kind in ("status", "search") or not emoji or len(emoji) > MAX_EMOJI:
        return
    if not core.require_connection(buf.name, now):
        return
    if not typing.tag_allowed(core, "+draft/react"):
        core.info(buf.name, tr("This server does not relay reactions (message-tags)"), now, "error")
        return
    mine = core.model.fold(core.nick) in buf.reactions.get(msgid, {}).get(emoji, {})
    tag = "+draft/unreact" if mine else "+draft/react"
    tags = {tag: emoji, "+draft/reply": msgid}
    core.send_message(Message("TAGMSG", (buf.name,), tags=tags))
    if "echo-message" not in core.caps:
        _apply(core, buf, msgid, emoji, core.nick, add=not mine)


def on_tagmsg(core: ClientCore, msg: Message, now: float) -> None:
    """TAGMSG: someone is typing, or reacts to a line."""
    model = core.model
    sender = msg.nick
    if not sender or core.model.fold(sender) in core.ignored:
        return
    target = msg.param(0).lstrip(model.prefix_chars)
    is_self = core.is_me(sender)
    buf = model.buf(target) if model.is_channel(target) or is_self else model.buf(sender)
    if buf is None or buf.kind in ("status", "search"):
        return
    batch = core.batches.get(msg.tags.get("batch", ""))
    replayed = batch is not None and batch.is_history
    value = next((msg.tags[t] for t in typing.TAGS if t in msg.tags), None)
    if value is not None and not is_self and not replayed:
        typing.received(core, buf, sender, value, now)
    msgid = msg.tags.get("+draft/reply", "")
    for tag, add in (("+draft/react", True), ("+draft/unreact", False)):
        emoji = msg.tags.get(tag, "")
        if msgid and emoji and len(emoji) <= MAX_EMOJI:
            _apply(core, buf, msgid, emoji, sender, add=add)


def _apply(core: ClientCore, buf: Buffer, msgid: str, emoji: str, nick: str, *, add: bool) -> None:
    folded = core.model.fold(nick)
    by_emoji = buf.reactions.get(msgid)
    if add:
        if by_emoji is None:
            by_emoji = buf.reactions[msgid] = {}
            while len(buf.reactions) > buf.limit:
                del buf.reactions[next(iter(buf.reactions))]
        nicks = by_emoji.setdefault(emoji, {})
        if folded in nicks:
            return
        nicks[folded] = nick
    else:
        if by_emoji is None or folded not in by_emoji.get(emoji, {}):
            return
        del by_emoji[emoji][folded]
        if not by_emoji[emoji]:
            del by_emoji[emoji]
    core.emit(ReactionsChanged(buf.name, msgid, reactions_of(core, buf, msgid)))


def reactions_of(core: ClientCore, buf: Buffer, msgid: str) -> tuple[Reaction, ...]:
    me = core.model.fold(core.nick)
    return tuple(
        Reaction(emoji, tuple(nicks.values()), me in nicks)
        for emoji, nicks in buf.reactions.get(msgid, {}).items()
    )
