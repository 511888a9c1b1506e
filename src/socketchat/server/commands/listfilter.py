"""LIST's argument, sans-I/O: `LIST >3,C<60,#py*,!*-old` parsed into one filter (ISUPPORT
`ELIST=CMNTU`).

Comma-separated conditions, all of which must hold:

- `>n` / `<n` (U): more / fewer than n users;
- `C>n` / `C<n` (C): created more / less than n minutes ago;
- `T>n` / `T<n` (T): topic set more / less than n minutes ago (a channel without a topic
  passes no T condition);
- a mask with `*` or `?` (M), or a plain channel name: the channel's name matches one of them;
- `!mask` (N): the channel's name matches none of them.

C and T follow modern.ircdocs.horse (ircdocs/modern-irc#171) and InspIRCd/Solanum: "less than n
minutes ago" — UnrealIRCd and Hybrid read C the other way round. Conditions that do not parse
are ignored, as ircds do. Names and masks are matched by `masks.match_mask` (so case-folded);
a mask over the bounds of `masks.mask_problem` matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from socketchat.irc.numbers import parse_number
from socketchat.server.masks import mask_problem, match_mask

if TYPE_CHECKING:
    from socketchat.server.state import Channel

ELIST = "CMNTU"


@dataclass(frozen=True, slots=True)
class ListFilter:
    min_users: int = 0
    max_users: int | None = None
    # ages in seconds: the channel's (C) or its topic's (T), bounds exclusive
    min_age: float | None = None
    max_age: float | None = None
    min_topic_age: float | None = None
    max_topic_age: float | None = None
    masks: tuple[str, ...] = ()
    not_masks: tuple[str, ...] = ()

    @property
    def names_only(self) -> tuple[str, ...] | None:
        """Plain channel names and nothing else (`LIST #a,#b`): looked up, not scanned."""
        if self != ListFilter(masks=self.masks) or not self.masks:
            return None
        if any("*" in m or "?" in m for m in self.masks):
            return None
        return self.masks

    def accepts(self, channel: Channel, now: float) -> bool:
        users = len(channel.members)
        if users < self.min_users or (self.max_users is not None and users > self.max_users):
            return False
        age = now - channel.created
        if self.min_age is not None and not age > self.min_age:
            return False
        if self.max_age is not None and not age < self.max_age:
            return False
        if self.min_topic_age is not None or self.max_topic_age is not None:
            if not channel.topic:
                return False
            topic_age = now - channel.topic_time
            if self.min_topic_age is not None and not topic_age > self.min_topic_age:
                return False
            if self.max_topic_age is not None and not topic_age < self.max_topic_age:
                return False
        if self.masks and not any(_matches(m, channel.name) for m in self.masks):
            return False
        return not any(_matches(m, channel.name) for m in self.not_masks)


def _matches(mask: str, name: str) -> bool:
    return mask_problem(mask) is None and match_mask(mask, name)


def parse_list_filter(arg: str) -> ListFilter:
    min_users, max_users = 0, None
    bounds: dict[tuple[str, str], float] = {}  # ("C" or "T", "<" or ">") -> seconds
    masks: list[str] = []
    not_masks: list[str] = []
    for cond in arg.split(","):
        if not cond:
            continue
        kind = cond[0].upper() if cond[0] in "CcTt" and cond[1:2] in ("<", ">") else ""
        rest = cond[1:] if kind else cond
        if rest[:1] in ("<", ">"):
            number = parse_number(rest[1:])
            if number is None:
                continue  # e.g. `>x`: not a condition we know, ignored
            if kind:
                bounds[kind, rest[0]] = number * 60.0
            elif rest[0] == ">":
                min_users = number + 1
            else:
                max_users = number - 1
        elif cond[0] == "!":
            if cond[1:]:
                not_masks.append(cond[1:])
        else:
            masks.append(cond)
    return ListFilter(
        min_users=min_users,
        max_users=max_users,
        min_age=bounds.get(("C", ">")),
        max_age=bounds.get(("C", "<")),
        min_topic_age=bounds.get(("T", ">")),
        max_topic_age=bounds.get(("T", "<")),
        masks=tuple(masks),
        not_masks=tuple(not_masks),
    )
