"""Typing indicators (the IRCv3 ``+typing`` client tag), both ways, sent politely.

Sending. The view reports what the composer holds after every change (`ClientCore.composing`).
While it holds text to send (not a ``/command``), the core sends ``@+typing=active TAGMSG
<target>``, at most once every `ACTIVE_EVERY` seconds (the spec's throttle); when the person
stops typing for `PAUSE_AFTER` seconds with text still in the box, ``paused`` (once, from
`ClientCore.tick`); when the box is emptied, or the person moves to another tab, ``done``. A
message sent to the target ends it without a ``done``: receivers stop showing the indicator when
the message arrives. Nothing is sent without ``message-tags``, to the status tab, to a private
tab whose peer is offline (MONITOR), while not registered, or when the server denies the tag
(``CLIENTTAGDENY``).

Receiving. A TAGMSG with ``+typing`` (or the older ``+draft/typing``) from someone else in an
open tab records them as typing there (`TypingChanged`, the nicks still active and those paused);
``active`` is forgotten after `ACTIVE_EXPIRES` seconds without another, ``paused`` after
`PAUSED_EXPIRES` (the spec's receiver timeouts), ``done`` or a message from them at once.
Replayed history (event-playback) never shows anyone typing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from socketchat.client.events import TypingChanged
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.client.state import Buffer

__all__ = [
    "ACTIVE_EVERY",
    "ACTIVE_EXPIRES",
    "PAUSED_EXPIRES",
    "PAUSE_AFTER",
    "Outgoing",
    "composing",
    "expire",
    "message_sent",
    "received",
    "tag_allowed",
]

TypingState = Literal["active", "paused", "done"]

ACTIVE_EVERY = 3.0  # seconds between two "active" notifications while typing
PAUSE_AFTER = 5.0  # seconds without a keystroke (text still there) before "paused"
ACTIVE_EXPIRES = 6.0  # a receiver forgets "active" after this long without another
PAUSED_EXPIRES = 30.0  # ... and "paused" after this long
TAGS = ("+typing", "+draft/typing")


@dataclass(slots=True)
class Outgoing:
    """What the core last told `target` about the person's typing."""

    target: str
    state: TypingState
    sent_at: float  # when `state` was sent
    typed_at: float  # the last change in the composer


def tag_allowed(core: ClientCore, tag: str) -> bool:
    """May we send the client tag `tag` (``+typing``)? Needs message-tags and no CLIENTTAGDENY
    that covers it (``*`` denies all but the ``-tag`` exceptions)."""
    if "message-tags" not in core.caps:
        return False
    deny = [item for item in core.isupport.get("CLIENTTAGDENY", "").split(",") if item]
    name = tag.removeprefix("+")
    if "*" in deny:
        return f"-{name}" in deny
    return name not in deny


def _send(core: ClientCore, target: str, state: TypingState) -> None:
    core.send_message(Message("TAGMSG", (target,), tags={"+typing": state}))


def composing(core: ClientCore, buffer: str, text: str, now: float) -> None:
    """The composer of `buffer` now holds `text` (after a keystroke, a paste, a clear)."""
    out = core.typing_out
    buf = core.model.buf(buffer)
    is_text = bool(text.strip()) and (not text.startswith("/") or text.startswith("//"))
    if out is not None and (buf is None or not core.model.same(out.target, buf.name)):
        stop(core)  # another tab now: that one is done
        out = None
    if (
        buf is None
        or buf.kind in ("status", "search")
        or buf.online is False
        or not core.registered
    ):
        return  # (a peer MONITOR says is offline would answer each with "no such nick")
    if not is_text:
        if out is not None:
            stop(core)
        return
    if not tag_allowed(core, "+typing"):
        return
    if out is None or out.state != "active" or now - out.sent_at >= ACTIVE_EVERY:
        _send(core, buf.name, "active")
        core.typing_out = Outgoing(buf.name, "active", now, now)
    else:
        out.typed_at = now


def stop(core: ClientCore) -> None:
    """Say ``done`` to the target we last said ``active``/``paused`` to."""
    out, core.typing_out = core.typing_out, None
    if out is not None and core.registered and tag_allowed(core, "+typing"):
        _send(core, out.target, "done")


def message_sent(core: ClientCore, target: str) -> None:
    """A message went to `target`: it ends the typing there (no ``done`` needed)."""
    out = core.typing_out
    if out is not None and core.model.same(out.target, target):
        core.typing_out = None


def tick(core: ClientCore, now: float) -> None:
    """``paused`` once the person stopped typing; expire what others said."""
    out = core.typing_out
    if (
        out is not None
        and out.state == "active"
        and now - out.typed_at >= PAUSE_AFTER
        and core.registered
        and tag_allowed(core, "+typing")
    ):
        _send(core, out.target, "paused")
        out.state, out.sent_at = "paused", now
    expire(core, now)


def expire(core: ClientCore, now: float) -> None:
    for buf in core.model.buffers.values():
        stale = [
            folded
            for folded, (_, state, since) in buf.typing.items()
            if now - since >= (ACTIVE_EXPIRES if state == "active" else PAUSED_EXPIRES)
        ]
        if stale:
            for folded in stale:
                del buf.typing[folded]
            emit(core, buf)


def received(core: ClientCore, buf: Buffer, nick: str, value: str, now: float) -> None:
    """`nick` says ``+typing=value`` in `buf`."""
    folded = core.model.fold(nick)
    if value in ("active", "paused"):
        old = buf.typing.get(folded)
        buf.typing[folded] = (nick, value, now)
        if old is None or old[1] != value:
            emit(core, buf)
    elif buf.typing.pop(folded, None) is not None:
        emit(core, buf)


def spoke(core: ClientCore, buf: Buffer, nick: str) -> None:
    """A message from `nick` in `buf`: they are no longer typing there."""
    if buf.typing.pop(core.model.fold(nick), None) is not None:
        emit(core, buf)


def emit(core: ClientCore, buf: Buffer) -> None:
    active = tuple(nick for nick, state, _ in buf.typing.values() if state == "active")
    paused = tuple(nick for nick, state, _ in buf.typing.values() if state == "paused")
    core.emit(TypingChanged(buf.name, active, paused))
