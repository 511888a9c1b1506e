"""``/list``: the server's channels as a list a view can browse, sort and filter.

``/list [mask]`` sends ``LIST [mask]``; the answers (321 start, one 322 per channel: name,
users, ``[+modes] topic`` on socketchat and many others, 323 end) are gathered and, at 323, given
to the view in one `ChannelList` event (and a line saying how many came, in the tab it was typed
in). A LIST sent otherwise (``/quote LIST``) is gathered the same way. At most `MAX_ENTRIES`
are kept: a network with more is better searched with a mask.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from socketchat.client.events import ChannelEntry, ChannelList, tr

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore
    from socketchat.irc.message import Message

__all__ = ["MAX_ENTRIES", "command", "on_list_numeric"]

MAX_ENTRIES = 10_000
_MODES = re.compile(r"^\[(\+[^\]\s]*)\]\s?")


def command(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/list [mask]."""
    if not core.require_connection(buffer, now):
        return
    mask = args.split()[0] if args.split() else ""
    core.list_buffer, core.list_mask = buffer, mask
    core.listing = []
    core.send("LIST", *([mask] if mask else []))


def on_list_numeric(core: ClientCore, msg: Message, now: float) -> None:
    if msg.command == "321":
        core.listing = []
    elif msg.command == "322":
        if core.listing is None:
            core.listing = []
        if len(core.listing) >= MAX_ENTRIES:
            return
        count = msg.param(2)
        topic = msg.param(3)
        modes = ""
        m = _MODES.match(topic)
        if m:
            modes, topic = m.group(1), topic[m.end() :]
        users = int(count) if count.isascii() and count.isdigit() and len(count) < 10 else 0
        core.listing.append(ChannelEntry(msg.param(1), users, topic, modes))
    elif msg.command == "323":
        entries = tuple(core.listing or ())
        core.channels_listed = entries
        core.listing = None
        core.emit(ChannelList(entries, core.list_mask))
        where = core.list_buffer or core.current
        said = (
            tr("1 channel listed (/join one)")
            if len(entries) == 1
            else tr("{count} channels listed (/join one)", count=len(entries))
        )
        core.info(where, said, now)
        core.list_buffer, core.list_mask = None, ""
