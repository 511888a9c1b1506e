"""The one parser for numbers in client input: ASCII digits only, bounded length."""

from __future__ import annotations

import pytest

from socketchat.irc.numbers import MAX_DIGITS, parse_number


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("5", 5), ("007", 7), ("999999999", 999999999)]
)
def test_ascii_digits(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "²", "۵", "٣", "5²", "١٠", "５", "+5", "-5", " 5", "5 ", "1_000", "0x10", "1e3", "1.0"],
)
def test_anything_else_is_refused(text: str) -> None:
    assert parse_number(text) is None


def test_the_digits_that_fool_isdigit() -> None:
    for text in ("²", "۵", "٣", "５"):
        assert text.isdigit()
        assert parse_number(text) is None


def test_length_is_bounded() -> None:
    assert parse_number("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)
    assert parse_number("9" * (MAX_DIGITS + 1)) is None
    assert parse_number("1" * 5000) is None
    assert parse_number("123", max_digits=2) is None
