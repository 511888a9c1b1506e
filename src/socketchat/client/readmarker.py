"""draft/read-marker in the client core: unread counts follow what the person has read on any
of its devices.

The server tells every connection of an account how far a buffer is read (`MARKREAD <target>
timestamp=<time>`, also after each JOIN); the buffer's unread count becomes the number of lines
newer than that (`ChatModel.mark_read`), so reading on the phone clears the laptop's count.
When the user looks at a buffer (`ClientCore.set_current`), the core says how far it is read:
up to its newest line (only when that moves the marker forward). Lines arriving while a buffer
is shown do not send MARKREAD each: the next time the user comes back to it does.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from socketchat.client.helpers import parse_server_time
from socketchat.irc.message import Message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

CAP = "draft/read-marker"
_READ_KINDS = frozenset({"message", "action", "notice"})


def on_markread(core: ClientCore, msg: Message, now: float) -> None:
    value = msg.param(1)
    buf = core.model.buf(msg.param(0))
    if buf is None or not value.startswith("timestamp="):
        return  # "*": nothing read yet, nothing to change
    when = parse_server_time(value.removeprefix("timestamp="))
    if when is not None:
        core.model.mark_read(buf.name, when)


def looked_at(core: ClientCore, buffer: str) -> None:
    """The user looks at `buffer`: the server (and so the other devices) learn it is read."""
    if CAP not in core.caps:
        return
    buf = core.model.buf(buffer)
    if buf is None or buf.kind in ("status", "search"):
        return
    newest = next((line for line in reversed(buf.lines) if line.kind in _READ_KINDS), None)
    if newest is None or (buf.read_at is not None and newest.time <= buf.read_at):
        return
    buf.read_at = newest.time
    utc = newest.time.astimezone(UTC)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    core.send("MARKREAD", buf.name, "timestamp=" + stamp)
