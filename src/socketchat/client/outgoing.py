"""Sending what the user typed: target checks, splitting long text, and the offline queue.

`say` is the one way typed text leaves the client. While not registered (or while a channel is
being rejoined) it waits in `ClientCore.queue`, bounded by ``max_queued`` and shown as
"queued"; `flush_queue` sends it once the server (or the channel) is back, `drop_queue` says
which lines were not sent when a channel cannot be rejoined.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from socketchat.client import multiline, typing
from socketchat.client.accounts import mask_secret
from socketchat.client.events import ChatLine, Reply, tr
from socketchat.client.helpers import local_time
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.client.state import Buffer

__all__ = ["Queued", "drop_queue", "flush_queue", "quote", "say", "split_utf8"]


@dataclass(frozen=True, slots=True)
class Queued:
    target: str
    text: str
    action: bool
    reply: str | None = None  # +draft/reply: the msgid answered


def say(
    core: ClientCore,
    target: str,
    text: str,
    now: float,
    *,
    action: bool,
    focus: bool = False,
    origin: str | None = None,
    reply: str | None = None,
) -> None:
    """Send `text` (or a /me `action`) to `target`, opening its buffer; queue it when offline.
    `reply`: the msgid of the line it answers (``+draft/reply``)."""
    model = core.model
    buf = model.buf(target)
    if buf is not None and buf.kind == "status":
        core.info(
            target,
            tr("This is the status tab: /join #channel or /pm <nick> <message>; /help lists all"),
            now,
            "error",
        )
        return
    if buf is not None and buf.kind == "search":
        core.info(
            target,
            tr("This tab shows search results: /search <words> searches again"),
            now,
            "error",
        )
        return
    if buf is None and model.fold(target) in core.wanted:
        buf = model.open(target, "channel", focus=focus)  # joining: queue for it
    if buf is None:
        if model.is_channel(target):
            core.info(
                origin or core.current,
                tr("You are not in {channel}: /join it first", channel=target),
                now,
                "error",
            )
            return
        buf = model.open(target, "query", focus=focus)
    elif focus:
        model.focus(buf.name)
    target = buf.name
    if not core.registered or (buf.kind == "channel" and not buf.joined):
        if len(core.queue) >= core.config.max_queued:
            core.info(
                target,
                tr("Not connected and the queue is full; NOT sent: {text}", text=text),
                now,
                "error",
            )
            return
        core.queue.append(Queued(target, text, action, reply))
        core.info(target, tr("(queued until reconnected) {text}", text=text), now)
        core.emit_status()
        return
    send_text(core, target, text, now, action, reply)


def send_text(
    core: ClientCore, target: str, text: str, now: float, action: bool, reply: str | None = None
) -> None:
    """PRIVMSGs for `text`, split to fit the server's 512-byte lines as others will see them;
    each piece of a reply carries the ``+draft/reply`` tag."""
    typing.message_sent(core, target)
    tags = {"+draft/reply": reply} if reply and "message-tags" in core.caps else {}
    overhead = len(f":{core.nick}!{'x' * 10}@{'x' * 63} PRIVMSG {target} :".encode())
    overhead = max(overhead, core.me_prefix_len + len(f" PRIVMSG {target} :".encode()))
    budget = 510 - overhead - (9 if action else 0)
    if "\n" in text and not action:
        _send_lines(core, target, multiline.normalize(text), now, reply, tags, budget)
        return
    for chunk in split_utf8(text, max(budget, 60)):
        body = f"\x01ACTION {chunk}\x01" if action else chunk
        core.send_message(Message("PRIVMSG", (target, body), tags=tags))
        if "echo-message" not in core.caps:
            core.model.add_line(
                target,
                ChatLine(
                    target,
                    local_time(now),
                    core.nick,
                    mask_secret(target, chunk),
                    "action" if action else "message",
                    self_msg=True,
                    reply=quote(core.model.buf(target), reply) if tags and reply else None,
                ),
            )


def quote(buf: Buffer | None, msgid: str) -> Reply:
    """The `Reply` of a line answering `msgid` in `buf`: quoted when that line is there."""
    line = next((x for x in reversed(buf.lines) if x.msgid == msgid), None) if buf else None
    return Reply(msgid, line.nick, line.text) if line and not line.redacted else Reply(msgid)


def _send_lines(
    core: ClientCore,
    target: str,
    lines: list[str],
    now: float,
    reply: str | None,
    tags: dict[str, str],
    budget: int,
) -> None:
    """Several lines as one message (draft/multiline), else as one PRIVMSG each."""
    if not multiline.supported(core):
        for i, line in enumerate(x for x in lines if x.strip()):
            send_text(core, target, line, now, False, reply if i == 0 else None)
        return
    max_bytes, max_lines = multiline.limits(core)
    for pieces in multiline.batches_for(lines, max_bytes, max_lines, budget):
        multiline.send(core, target, pieces, tags)
        if "echo-message" not in core.caps:
            core.model.add_line(
                target,
                ChatLine(
                    target,
                    local_time(now),
                    core.nick,
                    multiline.combined(pieces),
                    "message",
                    self_msg=True,
                    reply=quote(core.model.buf(target), reply) if tags and reply else None,
                ),
            )


def flush_queue(core: ClientCore, now: float, channel: str | None = None) -> None:
    """Send queued messages for `channel`, or (None) for every non-channel target."""
    if not core.queue:
        return
    model = core.model
    keep: deque[Queued] = deque()
    for item in core.queue:
        is_chan = model.is_channel(item.target)
        ready = (
            model.same(item.target, channel)
            if channel is not None
            else not is_chan or model.fold(item.target) not in core.wanted
        )
        if ready and model.buf(item.target) is not None:
            send_text(core, item.target, item.text, now, item.action, item.reply)
        elif ready:
            continue
        else:
            keep.append(item)
    if len(keep) != len(core.queue):
        core.queue = keep
        core.emit_status()


def drop_queue(core: ClientCore, channel: str, now: float) -> None:
    """Forget what was queued for `channel` (it cannot be rejoined), saying so."""
    dropped = [q for q in core.queue if core.model.same(q.target, channel)]
    if dropped:
        core.queue = deque(q for q in core.queue if q not in dropped)
        for q in dropped:
            core.info(
                q.target, tr("NOT sent (could not rejoin): {text}", text=q.text), now, "error"
            )
        core.emit_status()


def split_utf8(text: str, limit: int) -> Iterable[str]:
    """Split text into pieces of at most `limit` UTF-8 bytes, preferring spaces."""
    while len(text.encode("utf-8")) > limit:
        cut = len(text.encode("utf-8")[:limit].decode("utf-8", "ignore"))
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        yield text[:cut]
        text = text[cut:].lstrip(" ")
    if text:
        yield text
