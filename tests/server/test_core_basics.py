"""The sans-I/O core: registration, channels and messages, by feeding bytes to fake links."""

from tests.server.harness import Net


def test_registration_burst_has_welcome_isupport_and_motd() -> None:
    net = Net()
    c = net.client()
    c.send("NICK alice", "USER alice 0 * :Alice A")
    got = c.received()
    codes = [m.command for m in got]
    for code in ("001", "002", "003", "004", "005", "251", "375", "372", "376"):
        assert code in codes
    isupport = " ".join(" ".join(m.params) for m in got if m.command == "005")
    assert "CASEMAPPING=ascii" in isupport and "PREFIX=(ov)@+" in isupport
    assert got[0].params[0] == "alice"


def test_channel_message_reaches_everyone_else_once() -> None:
    net = Net()
    a, b, c = net.client("a"), net.client("b"), net.client("c")
    for x in (a, b, c):
        x.send("JOIN #lobby")
        x.received()
    a.received(), b.received()
    a.send("PRIVMSG #lobby :hello all")
    assert [m.params for m in b.received() if m.command == "PRIVMSG"] == [("#lobby", "hello all")]
    assert [m.params for m in c.received() if m.command == "PRIVMSG"] == [("#lobby", "hello all")]
    assert [m for m in a.received() if m.command == "PRIVMSG"] == []


def test_tags_are_encoded_per_capability_profile() -> None:
    net = Net()
    plain = net.client("plain")
    timed = net.client("timed", caps="server-time")
    tagged = net.client("tagged", caps="server-time message-tags")
    sender = net.client("sender")
    for x in (plain, timed, tagged, sender):
        x.send("JOIN #t")
    for x in (plain, timed, tagged):
        x.received()
    sender.send("@+typing=active PRIVMSG #t :hi")
    (p,) = [m for m in plain.received() if m.command == "PRIVMSG"]
    (t,) = [m for m in timed.received() if m.command == "PRIVMSG"]
    (g,) = [m for m in tagged.received() if m.command == "PRIVMSG"]
    assert dict(p.tags) == {}
    assert set(t.tags) == {"time"}
    assert set(g.tags) == {"time", "msgid", "+typing"}
    assert t.tags["time"].endswith("Z")


def test_invalid_utf8_is_refused_and_not_relayed() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("JOIN #x")
    b.send("JOIN #x")
    b.received()
    a.send_raw(b"PRIVMSG #x :\xff\xfe bad\r\n")
    assert any(m.command == "FAIL" and "INVALID_UTF8" in m.params for m in a.received())
    assert [m for m in b.received() if m.command == "PRIVMSG"] == []


def test_quit_is_seen_by_channel_peers_and_link_closes() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("JOIN #x")
    b.send("JOIN #x")
    b.received()
    a.send("QUIT :bye")
    assert ("Quit: bye",) in [m.params for m in b.received() if m.command == "QUIT"]
    assert a.link.closed
    assert "ERROR" in a.commands()
