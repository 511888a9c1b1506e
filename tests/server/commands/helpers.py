"""Small helpers shared by the command tests."""

from __future__ import annotations

from socketchat.irc.message import Message
from tests.server.harness import Client, Net


def only(msgs: list[Message], command: str) -> list[Message]:
    return [m for m in msgs if m.command == command]


def joined(net: Net, channel: str, *clients: Client) -> None:
    """Each client joins `channel` (the first one becomes op); everyone's backlog is dropped."""
    for c in clients:
        c.send(f"JOIN {channel}")
    for c in clients:
        c.received()
