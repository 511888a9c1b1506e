"""The storage interface the server core calls. SQLite is the default implementation.

The core appends to history while handling a command and calls `commit()` once per event-loop
turn, *before* any relayed message is written to a socket (see `Server.flush`): a message that any
client received is durable, and many messages share one transaction (group commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session
    from socketchat.server.state import Channel


class Storage(Protocol):
    def capabilities(self) -> dict[str, str]:
        """Extra IRCv3 capabilities this storage enables (e.g. draft/chathistory, sasl)."""

    def isupport(self) -> list[str]:
        """Extra ISUPPORT tokens (e.g. CHATHISTORY=100)."""

    def store_message(
        self, msg: Message, target: str, sender: Session, recipient: Session | None
    ) -> None:
        """Append a PRIVMSG/NOTICE (with its msgid and time tags) to history, durable at commit.

        `target` is the channel name or the recipient's nick; `recipient` is None for channels.
        """

    def joined(self, server: Server, session: Session, channel: Channel) -> None:
        """`session` has just joined `channel` (e.g. replay recent history to it)."""

    def commit(self) -> None:
        """Make everything appended so far durable. Called once per loop turn; cheap when idle."""

    def close(self) -> None: ...
