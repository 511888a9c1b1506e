"""Hostmask matching (`nick!user@host` against masks with `*` and `?`) for bans and WHO.

(Which list entries keep whom out of a channel, with exceptions and extbans, is `bans.py`.)

Matching is linear, never backtracking. A regex that turns each `*` into `.*` backtracks: a
mask of many `*`s against a long value that does not match costs exponential time in the
number of `*`s (26 of them froze the server for minutes). Here a mask is cut at its `*`s into
segments that hold only literal characters and `?`; the first segment must match at the start
of the value, the last at its end, and each middle one is found at its leftmost place after the
one before. Leftmost placement is always right for globs: whatever a later segment could match
after a later placement it can also match after the leftmost one, so no choice is ever revisited
and the cost is at most (value length x segment length) per segment, done in C by `str.find`
for literal segments.

Both sides are folded with the advertised casemapping. Masks that users supply are also bounded
(`MAX_MASK_LENGTH`, `MAX_MASK_WILDCARDS`, see `mask_problem`), so even the worst case stays
small; callers refuse masks over the bounds with a reply that says why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from socketchat.irc.casemap import casefold

# Bounds on masks that users supply (ban masks, WHO masks, server masks of VERSION/MOTD/TIME).
# nick!user@host is at most ~30+10+63 characters; real masks have a handful of wildcards.
MAX_MASK_LENGTH = 200
MAX_MASK_WILDCARDS = 16

_Segment = tuple[str, bool]  # (folded text, holds '?')


def mask_problem(mask: str) -> str | None:
    """Why a user-supplied mask is refused (a sentence for the reply), or None if it is fine."""
    if len(mask) > MAX_MASK_LENGTH:
        return f"Mask too long (at most {MAX_MASK_LENGTH} characters)"
    if mask.count("*") + mask.count("?") > MAX_MASK_WILDCARDS:
        return f"Mask has too many wildcards (at most {MAX_MASK_WILDCARDS})"
    return None


def _segment_at(seg: _Segment, value: str, pos: int) -> bool:
    """Does `seg` match `value` exactly at `pos` (the caller checked the length)?"""
    text, wild = seg
    if not wild:
        return value.startswith(text, pos)
    return all(c in ("?", value[pos + i]) for i, c in enumerate(text))


def _find(seg: _Segment, value: str, start: int, end: int) -> int:
    """The leftmost place in value[start:end] where `seg` matches, or -1."""
    text, wild = seg
    if not wild:
        return value.find(text, start, end)
    # anchor on the longest literal run of the segment, check the rest around it
    runs = text.split("?")
    longest = max(range(len(runs)), key=lambda i: len(runs[i]))
    run = runs[longest]
    offset = sum(len(r) + 1 for r in runs[:longest])
    n = len(text)
    if not run:  # only '?'s: any place with room will do
        return start if end - start >= n else -1
    pos = start + offset
    last = end - n + offset  # the run may start no later than this
    while pos <= last:
        pos = value.find(run, pos, last + len(run))
        if pos == -1:
            return -1
        if _segment_at(seg, value, pos - offset):
            return pos - offset
        pos += 1
    return -1


@lru_cache(maxsize=4096)
def _compile(mask: str) -> Callable[[str], bool]:
    """A matcher for one mask; the mask is folded and split once, then cached."""
    folded = casefold(mask)
    parts = folded.split("*")
    segs: list[_Segment] = [(p, "?" in p) for p in parts]
    if len(segs) == 1:  # no '*': same length, each character matches
        only = segs[0]
        size = len(only[0])
        return lambda value: len(value) == size and _segment_at(only, value, 0)
    head, middle, tail = segs[0], [s for s in segs[1:-1] if s[0]], segs[-1]
    head_len, tail_len = len(head[0]), len(tail[0])
    fixed = head_len + tail_len + sum(len(s[0]) for s in middle)

    def match(value: str) -> bool:
        n = len(value)
        if n < fixed:
            return False
        if not _segment_at(head, value, 0) or not _segment_at(tail, value, n - tail_len):
            return False
        pos, end = head_len, n - tail_len
        for seg in middle:
            found = _find(seg, value, pos, end)
            if found == -1:
                return False
            pos = found + len(seg[0])
        return True

    return match


def match_mask(mask: str, value: str) -> bool:
    """Does `value` match `mask` (`*`: any run, `?`: any one character), case-folded?"""
    return _compile(mask)(casefold(value))


def normalize_mask(mask: str) -> str:
    """'nick' -> 'nick!*@*', 'user@host' -> '*!user@host', as ircds do for +b."""
    if "!" not in mask and "@" not in mask:
        return mask + "!*@*"
    if "!" not in mask:
        return "*!" + mask
    if "@" not in mask:
        return mask + "@*"
    return mask
