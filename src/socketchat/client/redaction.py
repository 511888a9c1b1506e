"""Taking a message back (IRCv3 ``draft/message-redaction``), both ways.

``/redact [msgid] [reason]`` (no msgid: one's own latest line in this tab) or the view's action
(`ClientCore.redact`) sends ``REDACT <target> <msgid> [:reason]``; the server says who may (the
author, a channel operator) and answers a refusal with ``FAIL REDACT``. A ``REDACT`` from the
server (ours echoed, or anyone's) replaces the line in the scrollback with a removed one (no
text, ``redacted``) and tells the view (`LineRedacted`), which shows it as removed; its
reactions go with it. Without the capability nothing is sent and the user is told why.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from socketchat.client.events import LineRedacted, tr

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.irc.message import Message

__all__ = ["CAP", "on_redact", "redact"]

CAP = "draft/message-redaction"
_TEXT_KINDS = frozenset({"message", "action", "notice"})


def redact(core: ClientCore, buffer: str, msgid: str, reason: str, now: float) -> None:
    """Ask the server to take back the line `msgid` of `buffer`."""
    buf = core.model.buf(buffer)
    if buf is None or buf.kind in ("status", "search") or not core.require_connection(buffer, now):
        return
    if CAP not in core.caps:
        core.info(
            buf.name, tr("This server cannot take messages back (message-redaction)"), now, "error"
        )
        return
    core.send("REDACT", buf.name, msgid, *([reason] if reason else []))


def command(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/redact [msgid] [reason]."""
    first, _, rest = args.partition(" ")
    buf = core.model.buf(buffer)
    if buf is None:
        return
    if first and any(line.msgid == first for line in buf.lines):
        redact(core, buf.name, first, rest.strip(), now)
        return
    mine = next(
        (
            x
            for x in reversed(buf.lines)
            if x.self_msg and x.msgid and not x.redacted and x.kind in _TEXT_KINDS
        ),
        None,
    )
    if mine is None or mine.msgid is None:
        core.info(
            buf.name, tr("Nothing of yours here to take back (/redact <msgid>)"), now, "error"
        )
        return
    redact(core, buf.name, mine.msgid, args.strip(), now)


def on_redact(core: ClientCore, msg: Message, now: float) -> None:
    """``:who REDACT <target> <msgid> [:reason]``."""
    model = core.model
    target, msgid = msg.param(0), msg.param(1)
    sender = msg.nick
    is_self = core.is_me(sender)
    buf = model.buf(target) if model.is_channel(target) or is_self else model.buf(sender)
    if buf is None or not msgid:
        return
    for i, line in enumerate(buf.lines):
        if line.msgid == msgid and not line.redacted:
            removed = replace(line, text="", redacted=True, reply=None)
            buf.lines[i] = removed
            buf.reactions.pop(msgid, None)
            core.emit(LineRedacted(buf.name, msgid, removed, sender, msg.param(2)))
            return
