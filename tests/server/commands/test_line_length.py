"""Relayed lines stay within 512 bytes without tags: the text of a PRIVMSG/NOTICE that only fits
without the sender's prefix is cut where it enters, at a character boundary, and history keeps
what was delivered. Replies that echo client input keep their parameters well formed."""

from __future__ import annotations

from pathlib import Path

import pytest

from socketchat.irc.message import MAX_BODY
from tests.server.commands.helpers import joined, only
from tests.server.harness import Client, Net
from tests.storage.helpers import stored_net


def _raw_lines(c: Client) -> list[bytes]:
    data = bytes(c.link.sent[c._read :])  # what `received()` would parse, as bytes
    c.received()
    return [line + b"\r\n" for line in data.split(b"\r\n") if line]


def _body(line: bytes) -> bytes:
    return line.split(b" ", 1)[1] if line.startswith(b"@") else line


@pytest.mark.parametrize("unit", ["a", "é", "€", "😀", "a é"])
@pytest.mark.parametrize("command", ["PRIVMSG", "NOTICE"])
def test_a_full_length_message_is_relayed_within_512_bytes(
    tmp_path: Path, command: str, unit: str
) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice" + "x" * 20, "echo-message server-time message-tags")
    bob = net.client("bob", "server-time message-tags")
    joined(net, "#c", alice, bob)
    head = f"{command} #c :"
    room = MAX_BODY - 2 - len(head)
    text = (unit * room).encode()[:room].decode("utf-8", "ignore")
    line = head + text
    assert len(line.encode()) + 2 <= MAX_BODY  # the client sent a legal line
    alice.send(line)
    for who in (bob, alice):  # alice: the echo
        (relayed,) = [raw for raw in _raw_lines(who) if f" {command} ".encode() in raw]
        assert len(_body(relayed)) <= MAX_BODY
        got = relayed.decode("utf-8").split(" :", 2)[-1].rstrip("\r\n")
        assert text.startswith(got) and len(got) < len(text)
    alice.send("CHATHISTORY LATEST #c * 1")
    stored = only(alice.received(), command)
    assert [m.params[1] for m in stored] == [got]


def test_a_short_message_is_untouched_and_its_text_is_trailing() -> None:
    net = Net()
    alice, bob = net.client("alice"), net.client("bob")
    joined(net, "#c", alice, bob)
    alice.send("PRIVMSG #c hi", "PRIVMSG bob :x")
    prefix = alice.session.prefix.encode()
    assert _raw_lines(bob) == [
        b":" + prefix + b" PRIVMSG #c :hi\r\n",
        b":" + prefix + b" PRIVMSG bob :x\r\n",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("WHOIS :x y", ":irc.local 401 alice * :No such nick/channel"),
        ("MODE ::x", ":irc.local 401 alice * :No such nick/channel"),
        ("MODE ::x +i", ":irc.local 401 alice * :No such nick/channel"),
    ],
)
def test_replies_never_carry_a_bad_middle_parameter(line: str, expected: str) -> None:
    net = Net()
    alice = net.client("alice")
    alice.send(line)
    first = _raw_lines(alice)[0].decode().rstrip("\r\n")
    assert first == expected.replace("irc.local", net.server.name)


def test_a_ban_mask_starting_with_a_colon_is_refused() -> None:
    net = Net()
    op = net.client("op")
    op.send("JOIN #c")
    op.received()
    op.send("MODE #c +b ::x")
    (err,) = op.received()
    assert err.command == "696"
    assert not net.server.state.find_channel("#c").bans  # type: ignore[union-attr]


def test_whois_channel_lists_are_packed_by_bytes() -> None:
    """20 channels per 319 line made lines of up to 20 x 50 bytes."""
    net = Net(flood_rate=0.0)
    alice, bob = net.client("alice"), net.client("bob")
    names = [f"#{'é' * 20}{i:03d}" for i in range(30)]  # 44 bytes each
    for name in names:
        bob.send(f"JOIN {name}")
    bob.received()
    alice.send("WHOIS bob")
    raw = [line for line in _raw_lines(alice) if b" 319 " in line]
    assert len(raw) > 1 and all(len(line) <= MAX_BODY for line in raw)
    listed = " ".join(line.decode().split(" :", 1)[1].strip() for line in raw)
    assert sorted(entry.lstrip("@") for entry in listed.split()) == sorted(names)


def test_ison_reply_fits_one_line() -> None:
    net = Net(flood_rate=0.0, max_clients_per_ip=0)
    nicks = [f"n{'x' * 25}{i:02d}" for i in range(20)]
    for nick in nicks:
        net.client(nick)
    asker = net.client("a")
    asker.send("ISON " + " ".join(nicks[:17]))
    (line,) = _raw_lines(asker)
    assert len(line) <= MAX_BODY
    assert set(line.decode().split(" :", 1)[1].split()) <= set(nicks)
