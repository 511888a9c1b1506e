"""The shape of one row of the command table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session

Handler = Callable[["Server", "Session", "Message"], None]


@dataclass(frozen=True, slots=True)
class Command:
    handler: Handler
    min_params: int = 0
    before_registration: bool = False  # allowed before the welcome burst
    oper_only: bool = False
    flood_cost: int = 1  # 0: never delayed or counted by flood control (PING, PONG)
