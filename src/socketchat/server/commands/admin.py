"""Server administration by operators: REHASH (reload the config file without a restart)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session

RPL_REHASHING = "382"


def handle_rehash(server: Server, s: Session, m: Message) -> None:
    """REHASH: 382 when the file was taken; a NOTICE with the reason when it was refused (the
    old configuration stays). The runner logs both, with who asked."""
    hook = server.rehash_hook
    if hook is None:
        s.notice("REHASH: this server has no configuration it can reload")
        return
    result = hook(f"{s.nick}!{s.user}@{s.ip}")
    if result.error is not None:
        s.notice(f"REHASH refused, the old configuration stays: {result.error}")
        return
    s.numeric(RPL_REHASHING, result.source or "(no file)", "Rehashing")
    if result.kept:
        s.notice("REHASH: these settings need a restart and were kept: " + ", ".join(result.kept))
