"""Numbers in client input: one parser for every count, limit and token a client sends.

`str.isdigit()` is true for `²` and Persian `۵`; `int()` then raises on the first and accepts the
second, and also takes `+5`, ` 5`, `1_000` and numbers of any length. None of those is an IRC
number. `parse_number` accepts only ASCII digits, at most `max_digits` of them (so a
thousand-digit "limit" is not turned into a thousand-digit int), and returns None for anything
else, so that every caller answers bad input with its own error reply instead of an exception.
"""

from __future__ import annotations

_DIGITS = frozenset("0123456789")
MAX_DIGITS = 9  # below 2**31: every count a client may give fits a C int on other servers


def parse_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """A non-negative decimal integer written in 1..max_digits ASCII digits, or None."""
    if not text or len(text) > max_digits or not _DIGITS.issuperset(text):
        return None
    return int(text)
