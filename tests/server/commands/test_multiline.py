"""draft/multiline: a client batch goes out as one batch to clients with the capability and as
its non-blank lines to the others; malformed batches fail whole."""

from __future__ import annotations

from socketchat.irc.message import Message
from tests.server.commands.helpers import joined
from tests.server.harness import Client, Net

BASE = "message-tags batch echo-message server-time labeled-response"
ML = BASE + " draft/multiline"


def send_batch(c: Client, *lines: str, opening: str = "@label=xyz BATCH +123") -> None:
    c.send(f"{opening} draft/multiline #test", *lines, "BATCH -123")


def test_a_batch_to_capable_clients_and_its_fallback_to_the_others() -> None:
    net = Net()
    alice, bob, charlie = net.client("alice", ML), net.client("bob", ML), net.client("c", BASE)
    joined(net, "#test", alice, bob, charlie)
    send_batch(
        alice,
        "@batch=123 PRIVMSG #test hello",
        "@batch=123 PRIVMSG #test :#how is ",
        "@batch=123;draft/multiline-concat PRIVMSG #test :everyone?",
    )
    echo = alice.received()
    start, end = echo[0], echo[-1]
    assert start.command == "BATCH" and start.params[1:] == ("draft/multiline", "#test")
    assert start.tags["label"] == "xyz" and start.tags["msgid"] and start.tags["time"]
    assert end.params == ("-" + start.params[0][1:],)
    assert [m.params[1] for m in echo[1:-1]] == ["hello", "#how is ", "everyone?"]
    assert "draft/multiline-concat" in echo[3].tags
    assert all("msgid" not in m.tags for m in echo[1:-1])
    relay = bob.received()
    assert relay[0].tags["msgid"] == start.tags["msgid"] and "label" not in relay[0].tags
    ref = relay[0].params[0][1:]
    assert all(m.tags["batch"] == ref for m in relay[1:-1])
    fallback = charlie.received()
    assert [m.params for m in fallback] == [
        ("#test", "hello"),
        ("#test", "#how is "),
        ("#test", "everyone?"),
    ]
    assert [m.tags.get("msgid") for m in fallback] == [start.tags["msgid"], None, None]
    assert all(m.tags["time"] == start.tags["time"] for m in fallback)


def test_blank_lines_are_kept_in_the_batch_and_left_out_of_the_fallback() -> None:
    net = Net()
    alice, bob, charlie = net.client("alice", ML), net.client("bob", ML), net.client("c", BASE)
    joined(net, "#test", alice, bob, charlie)
    send_batch(
        alice,
        "@batch=123 PRIVMSG #test :",
        "@batch=123 PRIVMSG #test :#how is ",
        opening="@label=xyz;+client-only-tag BATCH +123",
    )
    relay = bob.received()
    assert [m.params[1] for m in relay[1:-1]] == ["", "#how is "]
    assert "+client-only-tag" in relay[0].tags
    fallback = charlie.received()
    assert [m.params[1] for m in fallback] == ["#how is "]
    assert "+client-only-tag" in fallback[0].tags


def test_malformed_batches_fail_whole() -> None:
    net = Net(flood_burst=0)  # no fake lag: the 33 lines all arrive now
    alice, bob = net.client("alice", ML), net.client("bob", ML)
    joined(net, "#test", alice, bob)

    def fails(*lines: str) -> list[tuple[str, ...]]:
        alice.send(*lines)
        got = alice.received()
        assert bob.received() == []
        return [m.params[:2] for m in got if m.command == "FAIL"]

    invalid = [("BATCH", "MULTILINE_INVALID")]
    assert (
        fails(
            "BATCH +1 draft/multiline #test",
            "@batch=1 PRIVMSG #test :hi",
            "@batch=1;draft/multiline-concat PRIVMSG #test :",
        )
        == invalid
    )
    assert fails("BATCH -1") == []  # the failed batch's end: already answered, swallowed
    assert fails("BATCH +2 draft/multiline #test", "@batch=3 PRIVMSG #test :hi") == invalid
    lines = [f"@batch=4 PRIVMSG #test :{i}" for i in range(33)]
    assert fails("BATCH +4 draft/multiline #test", *lines) == [("BATCH", "MULTILINE_MAX_LINES")]
    big = ["@batch=5 PRIVMSG #test :" + "x" * 400] * 11
    assert fails("BATCH +5 draft/multiline #test", *big) == [("BATCH", "MULTILINE_MAX_BYTES")]
    plain = net.client("plain", BASE)
    plain.send("BATCH +6 draft/multiline #test")
    assert [m.params[1] for m in plain.received() if m.command == "FAIL"] == ["MULTILINE_INVALID"]
    alice.send("PRIVMSG #test :still fine")
    assert [m.params[1] for m in bob.received() if isinstance(m, Message)] == ["still fine"]
