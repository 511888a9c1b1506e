"""Hostmask matching: correct on every shape of mask, and linear where a regex backtracked."""

from __future__ import annotations

import fnmatch
import random
import time

import pytest

from socketchat.server.masks import (
    MAX_MASK_LENGTH,
    MAX_MASK_WILDCARDS,
    mask_problem,
    match_mask,
)

CASES = [
    ("*", "", True),
    ("*", "anything", True),
    ("", "", True),
    ("", "a", False),
    ("?", "", False),
    ("?", "a", True),
    ("a*", "a", True),
    ("*a", "ba", True),
    ("*a", "ab", False),
    ("a*b", "ab", True),
    ("a*b", "aXb", True),
    ("a*b", "aXbY", False),
    ("a*a", "a", False),  # head and tail must not overlap
    ("*ab*ab*", "abab", True),
    ("*ab*ab*", "aba", False),
    ("*a?c*", "xxabcxx", True),
    ("*a?c*", "xxacxx", False),
    ("*?a", "a", False),
    ("*?a", "ba", True),
    ("??*??", "abc", False),
    ("??*??", "abcd", True),
    ("Nick!*@*", "nick!u@host", True),  # casemapping folds both sides
    ("*!*@HOST.example", "n!u@host.EXAMPLE", True),
    ("*!*@*.example", "n!u@example", False),
    ("n?ck!*@*", "nÄck!u@h", True),  # '?' is one character, not one byte
    ("[a]*", "[a]x", True),  # brackets are literal, unlike fnmatch
    ("a.b", "aXb", False),  # dots are literal, unlike a regex
    ("*" * 30 + "x", "a" * 5000, False),
    ("*a" * 15 + "x", "a" * 5000, False),
    ("*a" * 15, "a" * 5000, True),
    ("*?" * 15 + "b", "a" * 5000 + "b", True),
]


@pytest.mark.parametrize(("mask", "value", "expected"), CASES)
def test_cases(mask: str, value: str, expected: bool) -> None:
    assert match_mask(mask, value) is expected


def _reference(mask: str, value: str) -> bool:
    """fnmatch on the ASCII-folded strings (the random alphabet has no '[' for it to read)."""
    return fnmatch.fnmatchcase(value.lower(), mask.lower())


def test_random_masks_agree_with_fnmatch() -> None:
    rng = random.Random(10)
    alphabet = "aAbB!@.*?"
    for _ in range(20_000):
        mask = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        value = "".join(rng.choice("aAbB!@.") for _ in range(rng.randint(0, 10)))
        assert match_mask(mask, value) is _reference(mask, value), (mask, value)


def test_many_stars_against_a_long_value_do_not_backtrack() -> None:
    """The regex version took minutes here (each '*' a '.*'); now it is one pass per segment."""
    value = "a" * 10_000 + "!user@" + "b" * 400
    masks = [
        "*" * 30 + "c*b",  # the tail matches, the middle segment is nowhere
        "*a" * 29 + "*c*b",
        "a*" * 29 + "a?c*b",
        "*a?" * 20 + "*c?*b",
    ]
    started = time.perf_counter()
    for mask in masks:
        assert match_mask(mask, value) is False
    elapsed = time.perf_counter() - started
    print(f"4 masks of 30 wildcards against {len(value)} characters: {elapsed * 1000:.1f} ms")


def test_mask_problem_bounds_length_and_wildcards() -> None:
    assert mask_problem("*!*@*.example") is None
    assert mask_problem("a" * MAX_MASK_LENGTH) is None
    assert "too long" in (mask_problem("a" * (MAX_MASK_LENGTH + 1)) or "")
    assert mask_problem("*" * MAX_MASK_WILDCARDS) is None
    assert "wildcards" in (mask_problem("*?" * MAX_MASK_WILDCARDS) or "")
