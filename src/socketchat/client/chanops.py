"""Channel operator commands and the client-side ignore list: /mode /kick /ban /unban /op
/deop /voice /devoice /invite /ignore /unignore /clear.

They are typed in a channel tab (or name the channel first) and turn into MODE, KICK and INVITE
lines; /ban of a nick bans its host (``*!*@host``) when the client knows it, else ``nick!*@*``.
Mode changes for several nicks go out in lines of at most ISUPPORT ``MODES`` (default 3)
changes. /ignore hides messages and notices from a nick in this client only (the server is not
told); /clear empties the shown tab. The browser's core has the same commands
(web/static/commands.js) and both run tests/fixtures/client/commands.json.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from socketchat.client.events import BufferReset, tr

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["ban_mask", "is_ignored", "prefix_modes", "set_bans"]

Handler = Callable[["ClientCore", str, str, float], None]


def _channel_and_rest(core: ClientCore, args: str, buffer: str) -> tuple[str | None, list[str]]:
    """The channel (named first, else the tab it was typed in) and the other words."""
    words = args.split()
    if words and core.model.is_channel(words[0]):
        return words[0], words[1:]
    buf = core.model.buf(buffer)
    if buf is not None and buf.kind == "channel":
        return buf.name, words
    return None, words


def _need_channel(core: ClientCore, name: str, buffer: str, now: float) -> None:
    command = core.command_table[name]
    core.info(
        buffer,
        tr("Usage: {usage} — {help} (in a channel)", usage=command.usage, help=command.help),
        now,
        "error",
    )


def mode(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/mode [#channel|nick] [changes [args]]: show or change modes."""
    words = args.split()
    if words and not core.model.is_channel(words[0]) and words[0][0] not in "+-":
        target, rest = words[0], words[1:]  # a user's own modes
    else:
        channel, rest = _channel_and_rest(core, args, buffer)
        if channel is None:
            _need_channel(core, "mode", buffer, now)
            return
        target = channel
    if core.require_connection(buffer, now):
        core.send("MODE", target, *rest)


def prefix_modes(name: str, sign: str, letter: str) -> Handler:
    """/op, /deop, /voice, /devoice: ``MODE <channel> +oo a b`` for the nicks given."""

    def handler(core: ClientCore, args: str, buffer: str, now: float) -> None:
        channel, nicks = _channel_and_rest(core, args, buffer)
        if channel is None or not nicks:
            _need_channel(core, name, buffer, now)
            return
        if not core.require_connection(buffer, now):
            return
        per_line = _modes_per_line(core)
        for i in range(0, len(nicks), per_line):
            chunk = nicks[i : i + per_line]
            core.send("MODE", channel, sign + letter * len(chunk), *chunk)

    return handler


def _modes_per_line(core: ClientCore) -> int:
    value = core.isupport.get("MODES", "3")
    return int(value) if value.isdigit() and int(value) > 0 else 3


def kick(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/kick [#channel] <nick> [reason]."""
    channel, words = _channel_and_rest(core, args, buffer)
    if channel is None or not words:
        _need_channel(core, "kick", buffer, now)
        return
    if core.require_connection(buffer, now):
        core.send("KICK", channel, words[0], *([" ".join(words[1:])] if words[1:] else []))


def ban_mask(core: ClientCore, who: str) -> str:
    """A mask as typed (it has ``!``, ``@`` or ``*``), else the nick's host, else ``nick!*@*``."""
    if any(c in who for c in "!@*"):
        return who
    user = core.model.users.get(core.model.fold(who))
    return f"*!*@{user.host}" if user is not None and user.host else f"{who}!*@*"


def set_bans(sign: str, name: str) -> Handler:
    """/ban and /unban: ``MODE <channel> +b <mask>`` for each nick or mask given."""

    def handler(core: ClientCore, args: str, buffer: str, now: float) -> None:
        channel, words = _channel_and_rest(core, args, buffer)
        if channel is None or not words:
            _need_channel(core, name, buffer, now)
            return
        if core.require_connection(buffer, now):
            masks = [ban_mask(core, w) for w in words]
            core.send("MODE", channel, sign + "b" * len(masks), *masks)

    return handler


def invite(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/invite <nick> [#channel]."""
    words = args.split()
    buf = core.model.buf(buffer)
    if len(words) >= 2 and core.model.is_channel(words[1]):
        nick, channel = words[0], words[1]
    elif len(words) == 1 and buf is not None and buf.kind == "channel":
        nick, channel = words[0], buf.name
    else:
        _need_channel(core, "invite", buffer, now)
        return
    if core.require_connection(buffer, now):
        core.send("INVITE", nick, channel)


def is_ignored(core: ClientCore, nick: str) -> bool:
    return core.model.fold(nick) in core.ignored


def ignore(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/ignore [nick]: hide a nick's messages here; without a nick, list who is ignored."""
    words = args.split()
    if not words:
        names = ", ".join(sorted(core.ignored.values())) or "nobody"
        core.info(buffer, tr("Ignored: {names}", names=names), now)
        return
    for nick in words:
        core.ignored[core.model.fold(nick)] = nick
    core.info(buffer, tr("Ignoring {names} (/unignore to stop)", names=", ".join(words)), now)


def unignore(core: ClientCore, args: str, buffer: str, now: float) -> None:
    words = args.split()
    for nick in words:
        core.ignored.pop(core.model.fold(nick), None)
    core.info(
        buffer,
        tr("No longer ignoring {names}", names=", ".join(words))
        if words
        else tr("No longer ignoring anyone new"),
        now,
    )


def clear(core: ClientCore, args: str, buffer: str, now: float) -> None:
    """/clear: empty the tab (here only: the server's history is untouched)."""
    buf = core.model.buf(buffer)
    if buf is None:
        return
    buf.lines.clear()
    core.emit(BufferReset(buf.name, ()))
