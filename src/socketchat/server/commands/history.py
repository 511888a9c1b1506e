"""CHATHISTORY (IRCv3 draft/chathistory) and sending stored history to a client.

    CHATHISTORY LATEST  <target> <* | msgid=x | timestamp=x> <limit>
    CHATHISTORY BEFORE  <target> <msgid=x | timestamp=x> <limit>
    CHATHISTORY AFTER   <target> <msgid=x | timestamp=x> <limit>
    CHATHISTORY AROUND  <target> <msgid=x | timestamp=x> <limit>
    CHATHISTORY BETWEEN <target> <msgid=x | timestamp=x> <msgid=x | timestamp=x> <limit>
    CHATHISTORY TARGETS <timestamp=x> <timestamp=x> <limit>

Results come oldest first, in a `chathistory` batch (a `draft/chathistory-targets` batch for
TARGETS) when the client has the batch capability. Bounds are exclusive. Who may read what is
decided in `server/persistence.py`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from socketchat.irc.message import Message
from socketchat.irc.numbers import parse_number
from socketchat.irc.servertime import format_ms, parse_ms
from socketchat.server.commands import multiline
from socketchat.server.persistence import (
    CHATHISTORY_MAX,
    PARAMS_TAG,
    persistence_of,
)
from socketchat.storage.base import MAX_SEQ, Position, StoredMessage

if TYPE_CHECKING:
    from socketchat.server.core import Server
    from socketchat.server.persistence import HistoryView, Persistence
    from socketchat.server.session import Session

HISTORY_START = "--- history ---"
HISTORY_END = "--- end of history ---"
_FOREVER_MS = 2**62  # later than any message: "the latest message at all"
# A history that may lack lines is not answered (docs/cluster.md): the client may ask again.
BEHIND = "History is still being written by another server of the network; try again"
_SUBCOMMANDS = {"LATEST": 4, "BEFORE": 4, "AFTER": 4, "AROUND": 4, "BETWEEN": 5, "TARGETS": 4}


class _BadParams(Exception):
    pass


def handle_chathistory(server: Server, s: Session, m: Message) -> None:
    sub = m.params[0].upper()
    p = persistence_of(server)
    if sub not in _SUBCOMMANDS:
        s.fail("CHATHISTORY", "INVALID_PARAMS", "Unknown subcommand", sub)
        return
    if len(m.params) < _SUBCOMMANDS[sub]:
        s.fail("CHATHISTORY", "NEED_MORE_PARAMS", "Missing parameters", sub)
        return
    try:
        limit = _limit(m.params[-1])
        if sub == "TARGETS":
            _targets(server, s, m, limit)
            return
        target = m.params[1]
        view = p.history_view(server, s, target) if p is not None else None
        if p is None or view is None:
            s.fail("CHATHISTORY", "INVALID_TARGET", "Messages could not be retrieved", sub, target)
            return
        rows = _query(p, view, sub, m.params[2:-1], limit)
    except _BadParams as exc:
        s.fail("CHATHISTORY", "INVALID_PARAMS", str(exc), sub)
        return
    if p.history_behind():  # (a cluster node gave up waiting for another's writes)
        s.fail("CHATHISTORY", "MESSAGE_ERROR", BEHIND, sub, target)
        return
    if rows is None:
        s.fail("CHATHISTORY", "MESSAGE_ERROR", "No such message", sub, target)
        return
    send_history(server, s, target, rows)


def _limit(text: str) -> int:
    limit = parse_number(text)
    if limit is None or limit < 1:
        raise _BadParams("The limit must be a positive number")
    return min(limit, CHATHISTORY_MAX)


def _bounds(p: Persistence, view: HistoryView, ref: str) -> tuple[Position, Position] | None:
    """A selector as (just-before, just-after) positions; None for an unknown msgid."""
    kind, _, value = ref.partition("=")
    if kind == "msgid" and value:
        pos = p.backend.find(view.key, value, eras=view.eras, events=view.events)
        return (pos, pos) if pos is not None else None
    if kind == "timestamp":
        ms = parse_ms(value)
        if ms is not None:
            return (ms, 0), (ms, MAX_SEQ)
    raise _BadParams(f"Invalid message reference {ref!r}")


def _query(
    p: Persistence, view: HistoryView, sub: str, refs: Sequence[str], limit: int
) -> list[StoredMessage] | None:
    history, key, eras, events = p.backend, view.key, view.eras, view.events
    if sub == "LATEST":
        if refs[0] == "*":
            return history.before(key, None, limit, eras=eras, events=events)
        since = _bounds(p, view, refs[0])
        if since is None:
            return None
        return history.before(key, None, limit, stop=since[1], eras=eras, events=events)
    ref = _bounds(p, view, refs[0])
    if ref is None:
        return None
    if sub == "BEFORE":
        return history.before(key, ref[0], limit, eras=eras, events=events)
    if sub == "AFTER":
        return history.after(key, ref[1], limit, eras=eras, events=events)
    if sub == "AROUND":
        older = history.before(key, ref[0], limit // 2, eras=eras, events=events)
        start = (ref[0][0], ref[0][1] - 1)  # the referenced message itself is included
        return older + history.after(key, start, limit - len(older), eras=eras, events=events)
    # BETWEEN: exclusive at both ends, walking from the first reference toward the second
    end = _bounds(p, view, refs[1])
    if end is None:
        return None
    if ref[1] < end[0]:
        return history.after(key, ref[1], limit, stop=end[0], eras=eras, events=events)
    return history.before(key, ref[0], limit, stop=end[1], eras=eras, events=events)


def _targets(server: Server, s: Session, m: Message, limit: int) -> None:
    p = persistence_of(server)
    if p is None:
        return
    start, end = parse_ms(_timestamp(m.params[1])), parse_ms(_timestamp(m.params[2]))
    if start is None or end is None:
        raise _BadParams("TARGETS takes two timestamp= references")
    low, high = min(start, end), max(start, end)
    # A target is listed when its latest message falls in the window: one with a newer message
    # has moved on, and a client catching up by TARGETS windows must not see it twice.
    # One query for every channel and conversation (not one each: 0.8 s at 50,000).
    # each channel with the era whose closed lines `s` may read (`channel_view` decides; "-"
    # matches no era: eras are hex)
    channels = {
        c.folded: ((view.eras or ("-",))[0], c.name)
        for c in s.channels.values()
        if (view := p.channel_view(s, c)) is not None
    }
    found = p.backend.latest_times(channels, p.identity(s.user), low, high, limit)
    if p.history_behind():
        s.fail("CHATHISTORY", "MESSAGE_ERROR", BEHIND, "TARGETS", "*")
        return
    lines = [
        Message("CHATHISTORY", ("TARGETS", name, format_ms(ms)), server.name) for ms, name in found
    ]
    s.send_batch("draft/chathistory-targets", (), lines)


def _timestamp(ref: str) -> str:
    kind, _, value = ref.partition("=")
    return value if kind == "timestamp" else ""


def send_history(
    server: Server,
    s: Session,
    target: str,
    rows: Sequence[StoredMessage],
    *,
    replay: bool = False,
) -> None:
    """Send stored messages with their original tags, in a chathistory batch when possible.

    `replay` (history on join for clients that did not ask for it): a client without batch
    gets the lines between two NOTICEs (`HISTORY_START`, `HISTORY_END`), and one that sees
    neither batches nor server-time gets each line prefixed with its time, so it reads as
    history.
    """
    plain = replay and "batch" not in s.caps and "server-time" not in s.caps
    lines = history_lines(server, s, rows, plain=plain)
    framed = replay and "batch" not in s.caps  # else the batch says it is history
    if framed:
        s.send(Message("NOTICE", (target, HISTORY_START), server.name))
    s.send_batch("chathistory", (target,), lines)  # (a nested multiline batch keeps its own)
    if framed:
        s.send(Message("NOTICE", (target, HISTORY_END), server.name))


def history_lines(
    server: Server, s: Session, rows: Sequence[StoredMessage], *, plain: bool = False
) -> list[Message]:
    """Stored messages as the lines that send them to `s`, as they were relayed (their msgid,
    time, account and client tags; a multiline message as its nested batch): CHATHISTORY,
    replay and SEARCH results alike. `plain`: each text prefixed with its time."""
    lines: list[Message] = []
    for row in rows:
        single = _to_message(row, plain)
        lines.extend(multiline.expand(server, s, row, single) or (single,))
    return lines


_NAMES_CHANNEL = frozenset({"JOIN", "PART", "KICK", "MODE", "TOPIC"})  # events: channel first


def _to_message(row: StoredMessage, plain: bool) -> Message:
    text = row.text
    if plain:
        when = datetime.datetime.fromtimestamp(row.time_ms / 1000, datetime.UTC)
        stamp = when.strftime("[%H:%M UTC] ")
        if text.startswith("\x01ACTION "):
            text = "\x01ACTION " + stamp + text[len("\x01ACTION ") :]
        else:
            text = stamp + text
    tags = row.tags
    params: tuple[str, ...] = (row.target, text)
    if row.command == "TAGMSG":
        params = (row.target,)
    elif PARAMS_TAG in tags:  # an event (draft/event-playback): its parameters as relayed
        params = tuple(json.loads(tags[PARAMS_TAG]))
        if params and row.command in _NAMES_CHANNEL:  # as the channel is called now (RENAME)
            params = (row.target, *params[1:])
    if multiline.LINES_TAG in tags or PARAMS_TAG in tags:  # server-only tags
        tags = {k: v for k, v in tags.items() if k not in (multiline.LINES_TAG, PARAMS_TAG)}
    return Message(row.command, params, row.source, tags)
