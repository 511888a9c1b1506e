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

Private conversations have no JOIN to ask on. A server keeps what was said to an account while
none of its devices was connected, but replays it only to clients that do not fetch history
themselves; so, logged in, the core asks which conversations had lines in the last week
(``CHATHISTORY TARGETS``, `request_private`), and opens, unfocused and with their latest lines,
those with lines newer than the account's read marker for them (``MARKREAD <nick>``, asked
for each; without draft/read-marker, every one). A conversation already open (kept from the
last run) just gets its latest lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from socketchat.client.events import BufferReset, ChatLine, HistoryInserted, JumpTo, tr
from socketchat.client.helpers import local_time, parse_server_time
from socketchat.client.state import Buffer, HistoryRequest
from socketchat.irc.message import Message
from socketchat.irc.servertime import format_datetime

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = [
    "Batch",
    "batch_ended",
    "collect",
    "load_older",
    "on_markread",
    "on_target",
    "request_on_join",
    "request_private",
    "supported",
]

START_MARKER = "Start of the history"
TARGETS_WINDOW = 7 * 86400.0  # private conversations looked at when logging in: the last week's
TARGETS_LIMIT = 50
READ_MARKER_CAP = "draft/read-marker"


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


def request_private(core: ClientCore, now: float) -> None:
    """Logged in, just welcomed: which private conversations had lines lately (see above)."""
    if not supported(core) or not core.account or core.config.history_lines <= 0:
        return
    since = datetime.fromtimestamp(now - TARGETS_WINDOW, UTC)
    until = datetime.fromtimestamp(now + 60, UTC)  # bounds are exclusive; clocks differ a bit
    start, end = "timestamp=" + format_datetime(since), "timestamp=" + format_datetime(until)
    core.send("CHATHISTORY", "TARGETS", start, end, str(TARGETS_LIMIT))


def on_target(core: ClientCore, msg: Message, now: float) -> None:
    """``CHATHISTORY TARGETS <target> <time of its latest line>``: one answer to
    `request_private`."""
    if msg.param(0).upper() != "TARGETS":
        return
    target, latest = msg.param(1), parse_server_time(msg.param(2))
    model = core.model
    if not target or model.is_channel(target) or latest is None:
        return  # channels: their history comes with the JOIN
    if model.same(target, core.nick):
        return
    buf = model.buf(target)
    if buf is not None:
        _request_latest(core, buf)
    elif READ_MARKER_CAP in core.caps:
        core.missed[model.fold(target)] = latest
        core.send("MARKREAD", target)
    else:
        _request_latest(core, model.open(target, "query", focus=False))


def on_markread(core: ClientCore, msg: Message, now: float) -> None:
    """The read marker of a conversation `on_target` asked about: opened if it has unread
    lines. (The marker itself is then applied as any other, `readmarker.on_markread`.)"""
    latest = core.missed.pop(core.model.fold(msg.param(0)), None)
    if latest is None:
        return
    value = msg.param(1)
    read = parse_server_time(value.removeprefix("timestamp=")) if value != "*" else None
    if read is None or read < latest:
        _request_latest(core, core.model.open(msg.param(0), "query", focus=False))


def _request_latest(core: ClientCore, buf: Buffer) -> None:
    """The latest lines of a private conversation, at the top of its buffer (before anything
    said since: the ones already shown are left out by msgid)."""
    if any(r.kind == "join" for r in buf.history_requests):
        return
    limit = core.config.history_lines
    buf.history_requests.append(HistoryRequest("join", limit, None))
    core.send("CHATHISTORY", "LATEST", buf.name, "*", str(limit))


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
