"""MARKREAD (draft/read-marker): get, set (forward only, clamped to the clock), on JOIN, shared by
the connections of an account and by nobody else."""

from __future__ import annotations

import base64
from pathlib import Path

from socketchat.irc.servertime import format_ms
from tests.server.commands.helpers import only
from tests.server.harness import Net
from tests.storage.helpers import stored_net

CAP = "draft/read-marker"
TS = "2019-01-04T14:33:26.123Z"


def test_get_set_and_forward_only() -> None:
    net = Net()
    c = net.client("alice", caps=CAP)
    c.send("MARKREAD #nosuchtarget")
    assert [m.params for m in only(c.received(), "MARKREAD")] == [("#nosuchtarget", "*")]
    c.send(f"MARKREAD #test timestamp={TS}")
    assert [m.params for m in only(c.received(), "MARKREAD")] == [("#test", f"timestamp={TS}")]
    c.send("MARKREAD #TEST")  # case-folded
    assert [m.params[1] for m in only(c.received(), "MARKREAD")] == [f"timestamp={TS}"]
    c.send("MARKREAD #test timestamp=2018-01-01T00:00:00.000Z")  # older: the stored one comes back
    assert [m.params[1] for m in only(c.received(), "MARKREAD")] == [f"timestamp={TS}"]
    c.send("MARKREAD bob timestamp=2019-02-01T00:00:00.000Z", "MARKREAD bob")
    assert [m.params for m in only(c.received(), "MARKREAD")] == [
        ("bob", "timestamp=2019-02-01T00:00:00.000Z")
    ] * 2


def test_a_marker_never_passes_the_servers_clock() -> None:
    net = Net()
    c = net.client("alice", caps=CAP)
    c.send("MARKREAD #x timestamp=2200-01-01T00:00:00.000Z")
    (reply,) = only(c.received(), "MARKREAD")
    assert reply.params[1] == "timestamp=" + format_ms(int(net.clock.now * 1000))


def test_bad_markread_lines_are_standard_replies() -> None:
    net = Net()
    c = net.client("alice", caps=CAP)
    c.send("MARKREAD", "MARKREAD #test timestamp=not-a-timestamp", "MARKREAD #test *")
    fails = [m.params[:2] for m in c.received() if m.command == "FAIL"]
    assert fails == [
        ("MARKREAD", "NEED_MORE_PARAMS"),
        ("MARKREAD", "INVALID_PARAMS"),
        ("MARKREAD", "INVALID_PARAMS"),
    ]


def test_join_sends_the_marker_before_the_end_of_names() -> None:
    net = Net()
    c = net.client("alice", caps=CAP)
    c.send("JOIN #test")
    got = c.received()
    commands = [m.command for m in got]
    assert commands.index("JOIN") < commands.index("MARKREAD") < commands.index("366")
    assert only(got, "MARKREAD")[0].params == ("#test", "*")
    c.send(f"MARKREAD #test timestamp={TS}", "PART #test", "JOIN #test")
    got = c.received()
    after_join = got[[m.command for m in got].index("JOIN") :]
    assert only(after_join, "MARKREAD")[0].params == ("#test", f"timestamp={TS}")
    plain = net.client("plain")
    plain.send("JOIN #test")
    assert only(plain.received(), "MARKREAD") == []  # only with the capability


def test_markers_follow_the_account_and_stay_private(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * alice-password", "QUIT")
    sessions = []
    for nick in ("alice", "alice2"):
        s = net.client()
        s.send("CAP LS 302", f"CAP REQ :sasl {CAP}", f"NICK {nick}", "USER u 0 * :r")
        s.send("AUTHENTICATE PLAIN")
        payload = base64.b64encode(b"alice\0alice\0alice-password").decode()
        s.send(f"AUTHENTICATE {payload}", "CAP END")
        s.received()
        sessions.append(s)
    other = net.client("eve", caps=CAP)
    s1, s2 = sessions
    s1.send(f"MARKREAD #test timestamp={TS}")
    assert only(s1.received(), "MARKREAD")[0].params == ("#test", f"timestamp={TS}")
    assert only(s2.received(), "MARKREAD")[0].params == ("#test", f"timestamp={TS}")
    assert other.received() == []
    other.send("MARKREAD #test")
    assert only(other.received(), "MARKREAD")[0].params == ("#test", "*")
    s1.send("QUIT")
    again = net.client()
    again.send("CAP LS 302", f"CAP REQ :sasl {CAP}", "NICK alice", "USER u 0 * :r")
    again.send("AUTHENTICATE PLAIN")
    again.send("AUTHENTICATE " + base64.b64encode(b"alice\0alice\0alice-password").decode())
    again.send("CAP END", "JOIN #test")
    assert only(again.received(), "MARKREAD")[0].params == ("#test", f"timestamp={TS}")


def test_a_connection_without_an_account_takes_its_markers_along() -> None:
    net = Net()
    c = net.client("anon", caps=CAP)
    c.send(f"MARKREAD #test timestamp={TS}", "QUIT")
    assert net.server.state.read_marker(f"c:{c.session.id}", "#test") is None
