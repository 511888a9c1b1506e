"""The shape of one row of the command table, and what a command costs in flood credit.

Every command a connection sends costs flood credit (PING, PONG, CAP and QUIT included: each one
makes the server work and, unread, fills memory). A command whose work grows with its arguments
or its answer costs in proportion, declared here per command and charged once, by the
dispatcher, after the command ran (`Cost.charge`): so ten connections flooding `PING` or one
sending `JOIN` of fifty channels spend their own budget, not the bystanders' CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socketchat.irc.message import Message
    from socketchat.server.core import Server
    from socketchat.server.session import Session

Handler = Callable[["Server", "Session", "Message"], None]


@dataclass(frozen=True, slots=True)
class Cost:
    """Flood credit a command costs, in units of one plain command (1/flood_rate seconds).

    base: what every use costs (never 0: nothing is free).
    per_target: each comma-separated item of the first parameter after the first
        (PRIVMSG a,b,c; WHOIS a,b; NAMES #a,#b).
    per_channel: each channel the command made the client join or leave (JOIN #a,...,#z;
        JOIN 0 and PART of many count every channel left): the JOIN/PART fan-out and the
        names and topic that come with each.
    lines_per_unit: one more unit per this many lines the command sent back to its own client
        (WHO, LIST, NAMES, CHATHISTORY, the history replayed on JOIN); 0: not counted.
    """

    base: int = 1
    per_target: int = 0
    per_channel: int = 0
    lines_per_unit: int = 0

    def charge(self, msg: Message, channels_changed: int, lines: int) -> int:
        cost = self.base
        if self.per_target and msg.params:
            cost += self.per_target * msg.params[0].count(",")
        if self.per_channel:
            cost += self.per_channel * channels_changed
        if self.lines_per_unit:
            cost += lines // self.lines_per_unit
        return cost


PLAIN = Cost()


@dataclass(frozen=True, slots=True)
class Command:
    handler: Handler
    min_params: int = 0
    before_registration: bool = False  # allowed before the welcome burst
    oper_only: bool = False
    cost: Cost = PLAIN
    # Derived from `cost`, once (the dispatcher reads them for every line): whether the
    # command's effect must be measured to charge it, and whether the cost depends only on the
    # line (-1) or is this fixed number of units.
    measured: bool = field(init=False)
    fixed: int = field(init=False)

    def __post_init__(self) -> None:
        cost = self.cost
        if cost.base < 1:
            raise ValueError("every command costs at least one unit of flood credit")
        object.__setattr__(self, "measured", bool(cost.per_channel or cost.lines_per_unit))
        plain = not (self.measured or cost.per_target)
        object.__setattr__(self, "fixed", cost.base if plain else -1)
