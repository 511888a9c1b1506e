"""bans.py: which entries are valid in which list, and what each kind of entry matches."""

import pytest

from socketchat.server.bans import is_banned, is_invex, is_muted, matches, normalize
from socketchat.server.state import Ban, Channel
from tests.server.harness import Net


@pytest.mark.parametrize(
    ("raw", "mode", "entry"),
    [
        ("bob", "b", "bob!*@*"),
        ("*@host", "e", "*!*@host"),
        ("a:Bob", "b", "a:Bob"),
        ("a:team-*", "I", "a:team-*"),
        ("m:bob", "b", "m:bob!*@*"),
        ("M:*!*evan@*", "e", "m:*!*evan@*"),
        ("m:a:bob", "b", "m:a:bob"),
    ],
)
def test_valid_entries_are_normalised(raw: str, mode: str, entry: str) -> None:
    assert normalize(raw, mode) == (entry, None)


@pytest.mark.parametrize(
    ("raw", "mode", "why"),
    [
        ("m:bob", "I", "+b or +e"),
        ("m:m:bob", "b", "mute of a mute"),
        ("a:", "b", "account name"),
        ("x:thing", "b", "Unknown extban"),
        ("a:" + "*" * 40, "b", "wildcards"),
        ("", "b", "Invalid"),
    ],
)
def test_invalid_entries_say_why(raw: str, mode: str, why: str) -> None:
    entry, problem = normalize(raw, mode)
    assert entry is None and problem is not None and why in problem


def test_account_extbans_match_accounts_never_nicks() -> None:
    net = Net()
    bob = net.client("bob").session
    assert not matches("a:bob", bob)  # not logged in: the nick does not count
    bob.user.account = "Bob"
    assert matches("a:bob", bob) and matches("a:b*", bob) and not matches("a:alice", bob)
    assert matches("bob!*@*", bob) and matches("*!*@127.0.0.1", bob)


def _channel(**lists: list[str]) -> Channel:
    channel = Channel("#c", 0.0)
    for mode, masks in lists.items():
        channel.mask_list(mode).extend(Ban(m, "op", 0.0) for m in masks)
    return channel


def test_bans_exceptions_and_mutes_combine() -> None:
    net = Net()
    qux = net.client("qux").session
    assert not is_banned(_channel(), qux) and not is_muted(_channel(), qux)
    banned = _channel(b=["*!*@*"])
    assert is_banned(banned, qux) and is_muted(banned, qux)
    excepted = _channel(b=["*!*@*"], e=["qux!*@*"])
    assert not is_banned(excepted, qux) and not is_muted(excepted, qux)
    muted = _channel(b=["m:qux!*@*"])
    assert not is_banned(muted, qux) and is_muted(muted, qux)
    assert not is_muted(_channel(b=["m:qux!*@*"], e=["m:*!~qux@*"]), qux)
    assert not is_muted(_channel(b=["m:qux!*@*"], e=["qux!*@*"]), qux)
    # an exception from mutes does not lift a ban
    assert is_banned(_channel(b=["*!*@*"], e=["m:qux!*@*"]), qux)
    assert is_invex(_channel(I=["q*!*@*"]), qux) and not is_invex(_channel(I=["x!*@*"]), qux)
