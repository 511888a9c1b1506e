"""Replayed history (IRCv3 draft/chathistory): on join, and scroll-back on request.

On every join the core asks for the latest lines (``CHATHISTORY LATEST <channel> * <n>``, or
``msgid=<last seen>`` on a rejoin, to fill the gap). Scroll-back (`load_older`: the view reached
the top of a buffer, or ``/history [n]``) asks for ``CHATHISTORY BEFORE <target> msgid=<oldest
known> <n>`` (``timestamp=`` when no line has a msgid), one request at a time per buffer.

History lines arrive in a ``chathistory`` batch. They are collected (`collect`) until the batch
ends (`batch_ended`) and then placed where they belong, without the ones already shown (same
msgid): join history just before that join's "You joined" line, so it reads before everything
that happened since (`BufferReset`), scroll-back at the top (`HistoryInserted`). An answer
with fewer items than asked for means the start of the history: a marker line says so and no
more requests are made. Items are counted as the server counts them against the limit, events
too (with draft/event-playback, requested for the reactions among them: replayed joins, parts
and modes are not shown, they must not change who is in a channel now). Without
draft/chathistory and batch, an info line says there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.client.events import BufferReset, ChatLine, HistoryInserted, JumpTo, tr
from socketchat.client.helpers import local_time
from socketchat.client.state import Buffer, HistoryRequest
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_datetime

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["Batch", "batch_ended", "collect", "load_older", "request_on_join", "supported"]

START_MARKER = "Start of the history"


@dataclass(slots=True)
class Batch:
    """An open BATCH: its type, first parameter (the target) and, for history, its lines."""

    type: str
    target: str = ""
    lines: list[ChatLine] = field(default_factory=list)
    received: int = 0  # items in it (events too, with draft/event-playback), shown or not

    @property
    def is_history(self) -> bool:
        return self.type.endswith("chathistory")


def supported(core: ClientCore) -> bool:
    return "draft/chathistory" in core.caps and "batch" in core.caps


def request_on_join(core: ClientCore, buf: Buffer, anchor: ChatLine) -> None:
    """Ask for the latest history of a channel just joined; it goes before `anchor`."""
    if not supported(core) or core.config.history_lines <= 0:
        return
    last = next((line.msgid for line in reversed(buf.lines) if line.msgid), None)
    ref = f"msgid={last}" if last else "*"
    limit = core.config.history_lines if not last else max(core.config.history_lines, 100)
    buf.history_requests.append(HistoryRequest("join", limit, anchor))
    core.send("CHATHISTORY", "LATEST", buf.name, ref, str(limit))


def load_older(
    core: ClientCore, buffer: str, now: float, limit: int | None = None, *, verbose: bool = False
) -> None:
    """Ask for the lines before the oldest one of `buffer` (at most one request at a time)."""
    buf = core.model.buf(buffer)
    if buf is None or buf.kind in ("status", "search"):
        if verbose:
            said = tr("The status tab has no history: use /history in a chat")
            core.info(buffer, said, now, "error")
        return
    if not core.registered:
        if verbose:
            core.require_connection(buf.name, now)
        return
    if not supported(core):
        if verbose or not buf.said_no_history:
            buf.said_no_history = True
            core.info(buf.name, tr("This server keeps no history (no draft/chathistory)"), now)
        return
    if buf.history_done:
        if verbose:
            core.info(buf.name, tr("No more history in {channel}", channel=buf.name), now)
        return
    if any(r.kind == "before" for r in buf.history_requests):
        return
    oldest = next((line for line in buf.lines if line.msgid), None)
    if oldest is not None:
        ref = f"msgid={oldest.msgid}"
    else:
        first = buf.lines[0].time if buf.lines else local_time(now)
        ref = "timestamp=" + format_datetime(first)
    count = limit or core.config.history_lines or 50
    buf.history_requests.append(HistoryRequest("before", count, verbose=verbose))
    core.send("CHATHISTORY", "BEFORE", buf.name, ref, str(count))


def collect(core: ClientCore, msg: Message, line: ChatLine) -> bool:
    """Keep `line` for the end of its history batch; False if `msg` is not in one."""
    batch = core.batches.get(msg.tags.get("batch", ""))
    if batch is None or not batch.is_history:
        return False
    batch.lines.append(line)
    return True


def batch_ended(core: ClientCore, batch: Batch, now: float) -> None:
    """A history batch is complete: place its lines where they belong."""
    model = core.model
    buf = model.buf(batch.target) or (model.buf(batch.lines[0].buffer) if batch.lines else None)
    if buf is None:
        return
    request = buf.history_requests.popleft() if buf.history_requests else None
    known = {line.msgid for line in buf.lines if line.msgid}
    new: list[ChatLine] = []
    for line in batch.lines:
        if line.buffer != buf.name or (line.msgid and line.msgid in known):
            continue
        if line.msgid:
            known.add(line.msgid)
        new.append(line)
    if request is None:  # history nobody asked for: shown as it came
        for line in new:
            model.add_line(buf.name, line)
        return
    if request.kind == "before":
        received = max(len(batch.lines), batch.received)
        _insert_at_top(core, buf, request, new, received, now)
    elif request.kind == "around":
        _merge_by_time(buf, new)
        core.emit(BufferReset(buf.name, tuple(buf.lines)))
        if any(line.msgid == request.msgid for line in buf.lines):
            core.emit(JumpTo(buf.name, request.msgid))
        else:
            core.info(buf.name, tr("That line is no longer in the history"), now, "error")
    elif new:
        _insert_before(buf, request.anchor, new)
        core.emit(BufferReset(buf.name, tuple(buf.lines)))


def fail(core: ClientCore, msg: Message, now: float) -> None:
    """``FAIL CHATHISTORY <code> <subcommand> [<target>] :<description>``: the request is over."""
    target = msg.param(3) if len(msg.params) > 4 else ""
    buf = core.model.buf(target) if target else None
    buffers = [buf] if buf is not None else list(core.model.buffers.values())
    for b in buffers:
        if b.history_requests:
            request = b.history_requests.popleft()
            if request.verbose:
                core.info(b.name, tr("No history: {reason}", reason=msg.params[-1]), now, "error")


def _merge_by_time(buf: Buffer, lines: list[ChatLine]) -> None:
    """Put `lines` (a search result's context) among the buffer's lines by time. One with the
    same time (server-time has milliseconds: a burst shares them) as a line shown goes *before*
    it: the context is what the tab does not show, and the tab shows the latest lines, so where
    the two meet the context is the older side. The buffer grows to keep them all."""
    context = {id(line) for line in lines}
    # stable: ties within each side keep their order
    merged = sorted([*buf.lines, *lines], key=lambda line: (line.time, id(line) not in context))
    buf.limit = max(buf.limit, len(merged))
    buf.lines.clear()
    buf.lines.extend(merged)


def _insert_before(buf: Buffer, anchor: ChatLine | None, lines: list[ChatLine]) -> None:
    index = next((i for i, line in enumerate(buf.lines) if line is anchor), 0)
    for offset, line in enumerate(lines):
        buf.lines.insert(index + offset, line)
    buf.trim()


def _insert_at_top(
    core: ClientCore,
    buf: Buffer,
    request: HistoryRequest,
    lines: list[ChatLine],
    received: int,
    now: float,
) -> None:
    complete = received < request.limit
    shown = list(lines)
    if complete:
        buf.history_done = True
        when = lines[0].time if lines else (buf.lines[0].time if buf.lines else local_time(now))
        said = tr("Start of the history of {channel}", channel=buf.name)
        marker = ChatLine(buf.name, when, "", said.fill(), "info", history=True, said=said)
        shown.insert(0, marker)
    buf.lines.extendleft(reversed(shown))
    buf.limit = min(max(buf.limit, len(buf.lines)), core.model.max_scrollback)
    buf.trim()
    core.emit(HistoryInserted(buf.name, tuple(shown), complete))
    if request.verbose:
        if not lines:
            said = tr("No more history in {channel}", channel=buf.name)
        elif complete:
            said = tr(
                "{count} older line(s) in {channel} (the start of the history)",
                count=len(lines),
                channel=buf.name,
            )
        else:
            said = tr(
                "{count} older line(s) in {channel}; scroll up to read them",
                count=len(lines),
                channel=buf.name,
            )
        core.info(buf.name, said, now)
