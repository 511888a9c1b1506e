"""draft/multiline beyond the basics: one FAIL per batch (a failed batch's lines are never
relayed one by one), the spec's error codes, and history keeping the message as one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from socketchat.irc.message import Message
from socketchat.server.commands.multiline import CAP_VALUE, compose, decompose
from socketchat.server.config import Limits, ServerConfig
from socketchat.server.core import BASE_CAPS
from tests.server.harness import Client, Net
from tests.storage.helpers import stored_net


def free_net() -> Net:
    """Flood control off: a batch's lines arrive at once on the fake clock."""
    return Net(dataclasses.replace(ServerConfig(), limits=Limits().disabled()))


BASE = "message-tags batch echo-message server-time labeled-response"
ML = BASE + " draft/multiline"


def three(net: Net) -> tuple[Client, Client, Client]:
    alice, bob, carol = net.client("alice", ML), net.client("bob", ML), net.client("carol", BASE)
    for c in (alice, bob, carol):
        c.send("JOIN #test")
    for c in (alice, bob, carol):
        c.received()
    return alice, bob, carol


def send_batch(c: Client, *lines: str, open_tags: str = "@label=xyz ") -> None:
    c.send(f"{open_tags}BATCH +123 draft/multiline #test")
    c.send(*(f"@batch=123{line}" for line in lines))
    c.send("BATCH -123")


def test_limits_are_advertised() -> None:
    assert BASE_CAPS["draft/multiline"] == CAP_VALUE == "max-bytes=4096,max-lines=32"


def test_batch_to_those_with_the_cap_lines_to_the_others() -> None:
    net = free_net()
    alice, bob, carol = three(net)
    send_batch(
        alice,
        " PRIVMSG #test hello",
        " PRIVMSG #test :",
        " PRIVMSG #test :how is ",
        ";draft/multiline-concat PRIVMSG #test :everyone?",
        open_tags="@label=xyz;+draft/reply=abc ",
    )
    echo = alice.received()
    assert echo[0].command == "BATCH" and echo[0].tags["label"] == "xyz"
    msgid, time = echo[0].tags["msgid"], echo[0].tags["time"]
    relay = bob.received()
    start, body, end = relay[0], relay[1:-1], relay[-1]
    assert start.params == (start.params[0], "draft/multiline", "#test")
    assert start.tags["msgid"] == msgid and start.tags["+draft/reply"] == "abc"
    assert end.params == ("-" + start.params[0][1:],)
    assert [m.param(1) for m in body] == ["hello", "", "how is ", "everyone?"]
    assert ["draft/multiline-concat" in m.tags for m in body] == [False, False, False, True]
    assert all("msgid" not in m.tags and m.source.startswith("alice!") for m in body)
    plain = carol.received()
    assert [m.param(1) for m in plain] == ["hello", "how is ", "everyone?"]  # no blank line
    assert [m.tags.get("msgid") for m in plain] == [msgid, None, None]
    assert all(m.tags["time"] == time and m.tags["+draft/reply"] == "abc" for m in plain)


def test_errors_and_limits() -> None:
    net = free_net()
    alice, bob, _ = three(net)

    def fail_of(*lines: str) -> tuple[str, ...]:
        alice.send("BATCH +1 draft/multiline #test", *lines)
        got = [m for m in alice.received() if m.command == "FAIL"]
        alice.send("BATCH -1")
        got += [m for m in alice.received() if m.command == "FAIL"]
        assert len(got) == 1, got
        return got[0].params[:-1]

    assert fail_of("@batch=2 PRIVMSG #test :hi") == ("BATCH", "MULTILINE_INVALID")
    assert fail_of(
        "@batch=1 PRIVMSG #test :hi", "@batch=1;draft/multiline-concat PRIVMSG #test :"
    ) == (
        "BATCH",
        "MULTILINE_INVALID",
    )
    assert fail_of("@batch=1 PRIVMSG #other :hi") == (
        "BATCH",
        "MULTILINE_INVALID_TARGET",
        "#test",
        "#other",
    )
    assert fail_of(*["@batch=1 PRIVMSG #test :hi"] * 33) == ("BATCH", "MULTILINE_MAX_LINES", "32")
    assert fail_of(*["@batch=1 PRIVMSG #test :" + "x" * 400] * 11) == (
        "BATCH",
        "MULTILINE_MAX_BYTES",
        "4096",
    )
    assert fail_of("@batch=1 PRIVMSG #test :") == ("BATCH", "MULTILINE_INVALID")  # all blank
    assert bob.received() == []  # nothing of any of them was relayed
    alice.send("BATCH -9")
    assert [m.params[1] for m in alice.received()] == ["MULTILINE_INVALID"]


def test_composition_round_trips() -> None:
    lines = [("hello", False), ("", False), ("how is ", False), ("everyone?", True), ("x", False)]
    combined, marker = compose(lines)
    assert combined == "hello\n\nhow is everyone?\nx"
    assert decompose(combined, marker) == lines


def test_stored_and_replayed_as_one_message(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    caps = ML + " draft/chathistory"
    alice, carol = net.client("alice", caps), net.client("carol", BASE + " draft/chathistory")
    for c in (alice, carol):
        c.send("JOIN #test")
    for c in (alice, carol):
        c.received()
    send_batch(
        alice,
        " PRIVMSG #test :one ",
        ";draft/multiline-concat PRIVMSG #test :two",
        " PRIVMSG #test :three",
    )
    msgid = alice.received()[0].tags["msgid"]
    carol.received()
    alice.send("CHATHISTORY LATEST #test * 10")
    got = alice.received()
    outer = got[0].params[0][1:]
    inner = [m for m in got if m.command == "BATCH" and m.param(1) == "draft/multiline"]
    assert len(inner) == 1 and inner[0].tags["batch"] == outer and inner[0].tags["msgid"] == msgid
    assert "socketchat/lines" not in inner[0].tags
    ref = inner[0].params[0][1:]
    body = [m for m in got if m.tags.get("batch") == ref]
    assert [(m.param(1), "draft/multiline-concat" in m.tags) for m in body] == [
        ("one ", False),
        ("two", True),
        ("three", False),
    ]
    carol.send("CHATHISTORY LATEST #test * 10")
    lines = [m for m in carol.received() if m.command == "PRIVMSG"]
    assert [m.param(1) for m in lines] == ["one ", "two", "three"]
    assert [m.tags.get("msgid") for m in lines] == [msgid, None, None]
    assert all("socketchat/lines" not in m.tags for m in lines)
    alice.send(f"CHATHISTORY AROUND #test msgid={msgid} 1")  # one message, however many lines
    assert [m.param(1) for m in alice.received() if m.command == "PRIVMSG"] == [
        "one ",
        "two",
        "three",
    ]


def test_private_and_without_echo_an_ack() -> None:
    net = free_net()
    alice = net.client("alice", "message-tags batch labeled-response draft/multiline")
    bob = net.client("bob", ML)
    alice.send(
        "@label=q BATCH +a draft/multiline bob",
        "@batch=a PRIVMSG bob :x",
        "@batch=a PRIVMSG bob :y",
    )
    alice.send("BATCH -a")
    assert alice.received() == [Message("ACK", (), "socketchat.local", {"label": "q"})]
    got = bob.received()
    assert [m.command for m in got] == ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"]
    assert got[1].params == ("bob", "x")


def test_a_failed_batch_leaks_no_line_and_other_commands_still_run() -> None:
    net = free_net()
    alice, bob, _ = three(net)
    lines = [f"@batch=7 PRIVMSG #test :{i}" for i in range(40)]
    alice.send("BATCH +7 draft/multiline #test", *lines, "BATCH -7")
    assert [m.params[1] for m in alice.received() if m.command == "FAIL"] == ["MULTILINE_MAX_LINES"]
    assert bob.received() == []  # lines 33..40 were not relayed as single messages
    alice.send("BATCH +8 draft/multiline #test", "@batch=8 PRIVMSG #test :a", "PING x")
    got = alice.received()
    assert [m.params[1] for m in got if m.command == "FAIL"] == ["MULTILINE_INVALID"]
    assert any(m.command == "PONG" for m in got)  # the other command ran
    alice.send("@batch=8 PRIVMSG #test :b", "BATCH -8", "PRIVMSG #test :after")
    assert [m.param(1) for m in bob.received()] == ["after"]
    alice.send("@batch=9 PRIVMSG #test :stray")  # no batch open: refused, not relayed
    assert [m.params[1] for m in alice.received() if m.command == "FAIL"] == ["MULTILINE_INVALID"]
    assert bob.received() == []
