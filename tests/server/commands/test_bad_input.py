"""Odd parameters to every command get a reply (or nothing), never an internal error."""

import itertools
import random
from pathlib import Path

import pytest

from socketchat.irc import message
from socketchat.irc.message import MAX_BODY, parse_message, serialize
from socketchat.server.commands.table import COMMANDS
from tests.server.commands.helpers import joined
from tests.server.harness import Client, Net
from tests.storage.helpers import stored_net

ODD = [
    "",
    "*",
    "0",
    "#",
    "#c",
    "²",
    "٣",
    "-1",
    "99999999999999999999",
    ":",
    "+",
    "-",
    "%",
    "a,b,,",
    ">²",
    "<-5",
    "%tcuihsnfdlaor,²",
    "+lkbov",
    "-kb",
    "+" + "b" * 20,
    "x" * 300,
    "!@",
    "*!*@*",
]
SKIP = {"QUIT", "KILL", "CAP", "USER", "PASS", "AUTHENTICATE", "REGISTER", "VERIFY", "OPER"}


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - SKIP))
def test_no_internal_errors(command: str, caplog: pytest.LogCaptureFixture) -> None:
    net = Net(flood_rate=0.0)
    a, b = net.client("a"), net.client("b")
    joined(net, "#c", a, b)
    net.server.state.set_user_mode(a.session.user, "o", True)  # reach the operator-only paths too
    for x, y in itertools.product(ODD, repeat=2):
        a.send(f"{command} {x} {y} :{y}" if x else f"{command} :{y}")
        a.send(f"{command} #c {x} {y}")
    got = a.received()
    assert not [m for m in got if m.command == "FAIL" and "INTERNAL_ERROR" in m.params]
    assert not a.session.closed
    assert "Traceback" not in caplog.text


# -- valid subcommands with random arguments, every reply re-parsed ---------------------------
# Each command with the first words that reach its real work; random arguments follow.
SUBCOMMANDS: dict[str, list[str]] = {
    "CAP": ["LS", "LS 302", "LIST", "REQ", "REQ :", "END", "ACK", "NEW", "DEL"],
    "CHATHISTORY": [
        "LATEST #c *",
        "LATEST #c",
        "LATEST bob",
        "BEFORE #c",
        "AFTER #c",
        "AROUND #c",
        "BETWEEN #c",
        "TARGETS",
        "TARGETS timestamp=2000-01-01T00:00:00.000Z",
    ],
    "MODE": ["#c", "#c +b", "#c -b", "#c +l", "#c +k", "#c +o", "#c +v", "a", "a +i", "#c +beI"],
    "WHO": ["", "#c", "*", "a", "* o", "#c %"],
    "AUTHENTICATE": ["PLAIN", "*", "+"],
    "REGISTER": ["*", "a", "b"],
    "NICKSERV": ["IDENTIFY", "REGISTER", "INFO", "HELP", "GHOST"],
    "PRIVMSG": ["#c", "b", "NickServ", "@#c", "#c,b"],
    "NOTICE": ["#c", "b"],
    "TAGMSG": ["#c", "b"],
    "JOIN": ["", "#c", "#d", "0"],
    "PART": ["#c", "#d"],
    "TOPIC": ["#c"],
    "KICK": ["#c", "#c b"],
    "INVITE": ["b", "b #c"],
    "WHOIS": ["", "a", "b"],
    "WHOWAS": ["a", "b"],
    "LIST": ["", "#c"],
    "NAMES": ["", "#c"],
    "AWAY": [""],
    "SETNAME": [""],
    "MONITOR": ["+", "-", "L", "S", "C"],
}
PRE_REGISTRATION = ["CAP", "AUTHENTICATE", "AUTHENTICATE", "PASS", "NICK", "USER", "PING"]
WORDS = [
    *ODD,
    "#c",
    "#d",
    "#c,#d,#e",
    "a",
    "b",
    "NickServ",
    "*",
    "1",
    "10",
    "100",
    "5000",
    "msgid=x",
    "msgid=",
    "timestamp=2026-01-01T00:00:00.000Z",
    "timestamp=0001-01-01T00:00:00+05:00",
    "timestamp=9999-12-31T23:59:59-05:00",
    "timestamp=x",
    "+b",
    "-b",
    "+o",
    "+l",
    "+k",
    "+bbb",
    "a:x",
    "m:*!*@*",
    "LS",
    "302",
    "REQ",
    "END",
    "PLAIN",
    "sasl",
    "-sasl",
    "=",
    "é" * 120,
    "ä" * 250,
    "x" * 450,
    "%tcuihsnfdlaor,123",
    "A" * 400,
    "AGEAYgBj",
]
TRAILING = ["", "x y", ":x", "::", " ", "a b c", ":x y", "é é", "y" * 480]


def _random_line(rng: random.Random, command: str) -> str:
    words = [command]
    if SUBCOMMANDS.get(command) and rng.random() < 0.8:
        words.append(rng.choice(SUBCOMMANDS[command]))
    words += [rng.choice(WORDS) or "x" for _ in range(rng.randint(0, 4))]
    line = " ".join(w for w in words if w)
    if rng.random() < 0.5:
        line += " :" + rng.choice(TRAILING)
    return line


def _check_replies(c: Client, sent: str, substituted: list[str]) -> None:
    data = bytes(c.link.sent[c._read :])
    c.received()
    for raw in data.split(b"\r\n"):
        if not raw:
            continue
        body = raw.split(b" ", 1)[1] if raw.startswith(b"@") else raw
        assert len(body) + 2 <= MAX_BODY, (sent, raw)
        reply = parse_message(raw.decode("utf-8"))
        assert "INTERNAL_ERROR" not in reply.params, (sent, raw)
        again = serialize(reply.command, reply.params, reply.source, reply.tags)
        assert again == raw.decode(), (sent, raw)
        for p in reply.params[:-1]:
            assert p and p[0] != ":" and " " not in p, (sent, raw)
    for p in substituted:
        assert not p or p[0] == ":" or " " in p, (sent, p)
    substituted.clear()


def test_valid_subcommands_with_random_arguments(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded random lines (a real subcommand, random words, a random trailing part) from an
    operator in a channel with history and accounts. Every reply line, to the sender and to a
    bystander, is re-parsed: no INTERNAL_ERROR, at most 512 bytes without tags, serialising the
    parsed message gives the same line back. Handlers echo names as they got them: a name sent
    as `:x y` reaches a reply's middle position, where the serialiser sends it as `*` (counted
    here: the sweep must reach that path too)."""
    substituted: list[str] = []
    real_word = message._word

    replaced = 0

    def recording_word(param: str) -> str:
        nonlocal replaced
        out = real_word(param)
        if out != param:
            substituted.append(param)
            replaced += 1
        return out

    monkeypatch.setattr(message, "_word", recording_word)
    rng = random.Random(20261201)
    net = stored_net(tmp_path)
    commands = sorted((set(COMMANDS) | set(SUBCOMMANDS)) - {"QUIT", "KILL"})
    a = b = None
    sent_lines = 0
    for round_ in range(6):
        a, b = net.client("a"), net.client("b")
        joined(net, "#c", a, b)
        b.send("PRIVMSG #c :hello", "PRIVMSG a :hi")
        net.server.state.set_user_mode(a.session.user, "o", True)
        a.received()
        b.received()
        for _ in range(400):
            line = _random_line(rng, rng.choice(commands))
            if line.startswith(("REGISTER", "NICKSERV")) and rng.random() < 0.8:
                continue  # password hashing is slow; a few of them are enough
            a.send(line)
            sent_lines += 1
            _check_replies(a, line, substituted)
            _check_replies(b, line, substituted)
            if a.session.closed:
                break
        # before registration: CAP and SASL negotiation, NICK/USER/PASS, REGISTER
        fresh = net.client()
        fresh.send("CAP LS 302", "CAP REQ :sasl")
        fresh.received()
        for _ in range(80):
            line = _random_line(rng, rng.choice(PRE_REGISTRATION))
            fresh.send(line)
            sent_lines += 1
            _check_replies(fresh, line, substituted)
            if fresh.session.closed:
                break
        for c in (a, b, fresh):
            if not c.session.closed:
                c.send("QUIT")
        net.clock.advance(3600)  # past throttles
        del round_
    print(f"{sent_lines} lines sent, {replaced} middle parameters sent as *")
    assert sent_lines > 1500
    assert replaced > 10  # odd names did reach middle positions, and went out as '*'
    assert "Traceback" not in caplog.text
