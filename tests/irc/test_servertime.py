"""server-time written and read in one place (irc/servertime.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from socketchat.irc.servertime import (
    format_datetime,
    format_ms,
    format_time,
    parse_datetime,
    parse_ms,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "ms", [0, 5, 1_000, 1_700_000_000_123, 1_700_000_000_500, 253_402_300_799_250]
)
def test_the_three_writers_agree_and_read_back(ms: int) -> None:
    text = format_ms(ms)
    assert text.endswith("Z") and len(text) == 24
    assert format_time(ms / 1000) == text
    assert format_datetime(EPOCH + timedelta(milliseconds=ms)) == text
    assert parse_ms(text) == ms


def test_known_value() -> None:
    assert format_ms(1_704_164_645_678) == "2024-01-02T03:04:05.678Z"
    assert parse_ms("2024-01-02T03:04:05.678Z") == 1_704_164_645_678


def test_other_zones_and_no_zone() -> None:
    assert parse_ms("2024-01-02T06:34:05.678+03:30") == 1_704_164_645_678
    assert parse_ms("2024-01-02T03:04:05.678") == 1_704_164_645_678  # no zone: UTC
    tehran = timezone(timedelta(hours=3, minutes=30))
    assert format_datetime(datetime(2024, 1, 2, 6, 34, 5, 678_000, tehran)) == (
        "2024-01-02T03:04:05.678Z"
    )
    parsed = parse_datetime("2024-01-02T06:34:05+03:30")
    assert parsed is not None and parsed.tzinfo is UTC and parsed.hour == 3


@pytest.mark.parametrize(
    "bad", ["", "*", "yesterday", "2024-13-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "²"]
)
def test_garbage_is_none_never_an_exception(bad: str) -> None:
    assert parse_ms(bad) is None
