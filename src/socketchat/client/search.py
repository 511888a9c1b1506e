"""``/search``: server-side search of history (soju.im/search), its results tab, and jumping
from a result to its place in its conversation.

``/search <words> [in:#channel] [from:nick]`` sends ``SEARCH text=...;in=...;from=...`` (the
attributes are written like tag values: a space is ``\\s``). It needs the server's
``soju.im/search`` and ``batch`` capabilities; without them it says so.

The answer is one ``soju.im/search`` batch. Its PRIVMSG/NOTICE lines are gathered (`collect`),
never shown as if said now, never opening a tab nor counting as unread; at the end of the batch
(`ended`) they become the results: the core keeps them (`ClientCore.search_results`, each a
`ChatLine` of its own conversation, as CHATHISTORY would show it), a `SearchResults` event
carries them to the views, and the results tab (`SEARCH_BUFFER`, kind ``search``) is filled
again with one line per result, numbered, its conversation first (``1. [#room] text``), and
focused, so the terminal and desktop views show it like any tab. A ``FAIL SEARCH`` is said
where /search was typed.

`jump` (a view's click on a result) goes to the result's conversation: it is focused (a private
conversation's tab is opened if needed), and when the line is not in its scrollback the lines
around it are asked for (``CHATHISTORY AROUND <target> msgid=<id> <n>``) and merged in by time
(`history.batch_ended`); then a `JumpTo` event tells the view which line to show. ``/jump <n>``
does the same for result `n` (`jump_command`: the terminal and desktop views have no click).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from socketchat.client.events import (
    SEARCH_BUFFER,
    BufferReset,
    ChatLine,
    JumpTo,
    LineKind,
    SearchResults,
    tr,
)
from socketchat.client.helpers import local_time, parse_server_time
from socketchat.client.state import HistoryRequest
from socketchat.irc.message import escape_tag_value

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.client.history import Batch
    from socketchat.irc.message import Message

__all__ = [
    "BATCH_TYPE",
    "CAP",
    "CONTEXT_LINES",
    "collect",
    "command",
    "ended",
    "fail",
    "jump",
    "jump_command",
]

CAP = "soju.im/search"
BATCH_TYPE = "soju.im/search"
CONTEXT_LINES = 40  # lines asked for around a result that is not in its conversation's scrollback
USAGE = tr("Usage: /search <words> [in:#channel] [from:nick]")


def supported(core: ClientCore) -> bool:
    return CAP in core.caps and "batch" in core.caps


def parse(args: str) -> tuple[str, dict[str, str]]:
    """The words to search for, and the ``in``/``from`` attributes (``in:#chan``, ``from:nick``
    anywhere among the words)."""
    words: list[str] = []
    attributes: dict[str, str] = {}
    for word in args.split():
        name, colon, value = word.partition(":")
        if colon and value and name.lower() in ("in", "from"):
            attributes[name.lower()] = value
        else:
            words.append(word)
    return " ".join(words), attributes


def command(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/search <words> [in:#channel] [from:nick]."""
    text, attributes = parse(args)
    if not text and not attributes:
        core.info(buffer, USAGE, now, "error")
        return
    if not core.require_connection(buffer, now):
        return
    if not supported(core):
        core.info(buffer, tr("This server does not offer search (soju.im/search)"), now, "error")
        return
    core.search_buffer, core.search_query = buffer, " ".join(args.split())
    pairs = [("text", text), *attributes.items()]
    core.send("SEARCH", ";".join(f"{k}={escape_tag_value(v)}" for k, v in pairs if v))


def collect(core: ClientCore, msg: Message, now: float) -> bool:
    """Keep `msg` as a result if it is in a search batch (True: it is handled)."""
    batch = core.batches.get(msg.tags.get("batch", ""))
    if batch is None or batch.type != BATCH_TYPE:
        return False
    line = _result(core, msg, now)
    if line is not None:
        batch.lines.append(line)
    return True


def _result(core: ClientCore, msg: Message, now: float) -> ChatLine | None:
    """A result as the line its conversation shows: the channel, or the other party."""
    model = core.model
    target, text, sender = msg.param(0), msg.param(1), msg.nick
    kind: LineKind = "message" if msg.command == "PRIVMSG" else "notice"
    if text.startswith("\x01ACTION"):
        text, kind = text[len("\x01ACTION") :].strip(" \x01"), "action"
    elif text.startswith("\x01"):
        return None  # a CTCP request is not a message
    channel = target.lstrip(model.prefix_chars)
    is_self = core.is_me(sender)
    if model.is_channel(channel):
        known = model.buf(channel)
        buffer = known.name if known else channel
    else:
        other = target if is_self else sender
        known = model.buf(other)
        buffer = known.name if known else other
    value = msg.tags.get("time")
    when = (parse_server_time(value) if value else None) or local_time(now)
    return ChatLine(
        buffer,
        when,
        sender,
        text,
        kind,
        self_msg=is_self,
        history=True,
        msgid=msg.tags.get("msgid"),
    )


def ended(core: ClientCore, batch: Batch, now: float) -> None:
    """The search batch is complete: the results, to the core, the views and the tab."""
    hits = tuple(batch.lines)
    core.search_hits = hits
    query = core.search_query
    model = core.model
    buf = model.open(SEARCH_BUFFER, "search", focus=False)
    buf.lines.clear()
    count = len(hits)
    if query:
        said = tr("1 result for “{query}”", query=query) if count == 1 else None
        said = said or tr("{count} results for “{query}”", count=count, query=query)
    else:
        said = tr("1 result") if count == 1 else tr("{count} results", count=count)
    heading = said.fill()
    line = ChatLine(SEARCH_BUFFER, local_time(now), "", heading, "info", said=said)
    buf.lines.append(line)
    today = local_time(now).date()
    for number, hit in enumerate(hits, 1):
        # the stamp column has the time only: a line of another day says which
        where = hit.buffer if hit.time.date() == today else f"{hit.buffer}, {hit.time.date()}"
        text = f"{number}. [{where}] {hit.text}"  # /jump <number> shows it in its place
        buf.lines.append(dataclasses.replace(hit, buffer=SEARCH_BUFFER, text=text))
    core.emit(BufferReset(SEARCH_BUFFER, tuple(buf.lines)))
    core.emit(SearchResults(query, hits))
    where = core.search_buffer or core.current
    if where != SEARCH_BUFFER and model.buf(where) is not None:
        core.info(where, said, now)  # the results tab is opened and shown
    model.focus(SEARCH_BUFFER)


def jump_command(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/jump <n>: show result `n` of the last search in its conversation (the terminal's and
    the desktop's way to do what a click does in the browser)."""
    hits = core.search_hits
    word = args.split()[0] if args.split() else ""
    number = int(word) if word.isascii() and word.isdigit() and len(word) < 6 else 0
    if not 1 <= number <= len(hits):
        core.info(
            buffer,
            tr("Usage: /jump <result number> (1 to {count})", count=len(hits))
            if hits
            else tr("Usage: /jump <result number> (none: /search first)"),
            now,
            "error",
        )
        return
    hit = hits[number - 1]
    if not hit.msgid:
        core.info(buffer, tr("That result has no message id to find it by"), now, "error")
        return
    jump(core, hit.buffer, hit.msgid, now)


def fail(core: ClientCore, msg: Message, now: float) -> None:
    """``FAIL SEARCH <code> [<context>...] :<description>``."""
    where = core.search_buffer or core.current
    core.info(where, tr("Search failed: {reason}", reason=msg.params[-1]), now, "error")


def jump(core: ClientCore, buffer: str, msgid: str, now: float) -> None:
    """Show the line `msgid` in its conversation `buffer` (a click on a result)."""
    model = core.model
    buf = model.buf(buffer)
    if buf is None:
        if model.is_channel(buffer):
            core.info(
                core.current,
                tr("You are not in {channel} (/join {channel})", channel=buffer),
                now,
                "error",
            )
            return
        buf = model.open(buffer, "query", focus=False)
    model.focus(buf.name)
    if any(line.msgid == msgid for line in buf.lines):
        core.emit(JumpTo(buf.name, msgid))
        return
    if not core.registered or "draft/chathistory" not in core.caps:
        core.info(buf.name, tr("That line is no longer in this tab's scrollback"), now, "error")
        return
    buf.history_requests.append(HistoryRequest("around", CONTEXT_LINES, msgid=msgid))
    core.send("CHATHISTORY", "AROUND", buf.name, f"msgid={msgid}", str(CONTEXT_LINES))
