"""Messages of several lines (IRCv3 ``draft/multiline``), both ways.

Sending. Typed (or pasted) text with line breaks whose first line is not a ``/command`` is one
message: a pasted code block stays together, and a line in it that starts with ``/`` is text.
With ``draft/multiline`` (and ``batch``) it goes out as one batch::

    BATCH +<ref> draft/multiline <target>        (a reply's +draft/reply rides here)
    @batch=<ref> PRIVMSG <target> :<line>         (a line too long for one IRC line goes on in
    @batch=<ref>;draft/multiline-concat PRIVMSG…   the next, joined without a line break)
    BATCH -<ref>

within the server's ``max-bytes`` and ``max-lines`` (the capability's value; a longer message
becomes several batches, cut between lines). Without the capability each line is its own
PRIVMSG, blank ones left out: what other clients show anyway. Leading and trailing blank lines
are dropped; blank lines inside are kept.

Receiving. The lines of a ``draft/multiline`` batch are gathered and, at its end, handled as
one PRIVMSG (or NOTICE) with the opening line's source and tags (msgid, time, reply, and the
chathistory batch it is part of): one `ChatLine` whose text holds the line breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = [
    "BATCH_TYPE",
    "CAP",
    "CONCAT",
    "Gathering",
    "batches_for",
    "collect",
    "limits",
    "normalize",
]

CAP = "draft/multiline"
BATCH_TYPE = "draft/multiline"
CONCAT = "draft/multiline-concat"
DEFAULT_MAX_BYTES = 4096
DEFAULT_MAX_LINES = 24
MAX_GATHERED = 1000  # lines kept of one received batch (a server bounds it far lower)


@dataclass(slots=True)
class Gathering:
    """A received multiline batch until its end."""

    opening: Message
    lines: list[tuple[str, bool]] = field(default_factory=list)  # (text, concat)
    command: str = "PRIVMSG"


def normalize(text: str) -> list[str]:
    """The lines of `text`: CRLF/CR as LF, trailing spaces and blank first/last lines gone."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def supported(core: ClientCore) -> bool:
    return CAP in core.caps and "batch" in core.caps


def limits(core: ClientCore) -> tuple[int, int]:
    """(max-bytes, max-lines) from the capability's value."""
    values = dict(
        item.partition("=")[::2] for item in core.negotiation.offered.get(CAP, "").split(",")
    )
    max_bytes = values.get("max-bytes", "")
    max_lines = values.get("max-lines", "")
    return (
        int(max_bytes) if max_bytes.isdigit() and int(max_bytes) > 0 else DEFAULT_MAX_BYTES,
        int(max_lines) if max_lines.isdigit() and int(max_lines) > 0 else DEFAULT_MAX_LINES,
    )


def batches_for(
    lines: list[str], max_bytes: int, max_lines: int, piece_bytes: int
) -> list[list[tuple[str, bool]]]:
    """`lines` as batches of (piece, concat) within the limits; a line longer than
    `piece_bytes` is cut into concat pieces (at spaces when it can be)."""
    batches: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    size = 0
    for line in lines:
        pieces = _pieces(line, max(piece_bytes, 60))
        cost = sum(len(p.encode()) for p, _ in pieces) + (1 if current else 0)
        if current and (len(current) + len(pieces) > max_lines or size + cost > max_bytes):
            batches.append(current)
            current, size = [], 0
            cost -= 1
        current.extend(pieces)
        size += cost
    if current:
        batches.append(current)
    return batches


def _pieces(line: str, limit: int) -> list[tuple[str, bool]]:
    if not line:
        return [("", False)]
    out: list[tuple[str, bool]] = []
    rest = line
    while len(rest.encode()) > limit:
        cut = len(rest.encode()[:limit].decode("utf-8", "ignore"))
        space = rest.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space + 1  # the space stays with the first piece: concat adds nothing
        out.append((rest[:cut], bool(out)))
        rest = rest[cut:]
    out.append((rest, bool(out)))
    return out


def send(
    core: ClientCore,
    target: str,
    pieces: list[tuple[str, bool]],
    tags: Mapping[str, str],
) -> None:
    """One multiline batch to `target` (`tags`: client tags for the opening line)."""
    core.multiline_refs += 1
    ref = f"ml{core.multiline_refs}"
    core.send_message(Message("BATCH", (f"+{ref}", BATCH_TYPE, target), tags=dict(tags)))
    for text, concat in pieces:
        line_tags = {"batch": ref, CONCAT: ""} if concat else {"batch": ref}
        core.send_message(Message("PRIVMSG", (target, text), tags=line_tags))
    core.send_message(Message("BATCH", (f"-{ref}",)))


def combined(pieces: list[tuple[str, bool]]) -> str:
    """The text of a batch: lines joined by line breaks, concat pieces joined directly."""
    text = ""
    for i, (piece, concat) in enumerate(pieces):
        text += piece if (concat or i == 0) else "\n" + piece
    return text


def opened(core: ClientCore, ref: str, msg: Message) -> None:
    core.multiline_in[ref] = Gathering(msg)


def collect(core: ClientCore, msg: Message) -> bool:
    """A PRIVMSG/NOTICE of an open multiline batch: kept for its end (True), else False."""
    gathering = core.multiline_in.get(msg.tags.get("batch", ""))
    if gathering is None:
        return False
    if len(gathering.lines) < MAX_GATHERED:
        gathering.lines.append((msg.param(1), CONCAT in msg.tags))
        gathering.command = msg.command
    return True


def closed(core: ClientCore, ref: str) -> Message | None:
    """The batch `ref` ended: the one message it makes (for the PRIVMSG handler)."""
    gathering = core.multiline_in.pop(ref, None)
    if gathering is None or not gathering.lines:
        return None
    opening = gathering.opening
    target = opening.param(2)
    return Message(
        gathering.command, (target, combined(gathering.lines)), opening.source, opening.tags
    )
