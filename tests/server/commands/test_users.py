"""AWAY (with away-notify and 301), SETNAME (setname cap), host changes (chghost)."""

from socketchat.server.commands.users import change_host
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


def test_away_and_back_with_numerics_and_away_notify() -> None:
    net = Net()
    a = net.client("a")
    watcher = net.client("w", caps="away-notify")
    plain = net.client("p")
    joined(net, "#c", a, watcher, plain)
    a.send("AWAY :out to lunch")
    assert only(a.received(), "306")
    (away,) = only(watcher.received(), "AWAY")
    assert away.params == ("out to lunch",) and away.nick == "a"
    assert only(plain.received(), "AWAY") == []
    a.send("AWAY")
    assert only(a.received(), "305")
    assert only(watcher.received(), "AWAY")[0].params == ()
    a.send("AWAY")  # not away: no second notification
    assert only(watcher.received(), "AWAY") == []


def test_privmsg_to_away_user_gets_301_and_away_is_truncated() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    b.send("AWAY :" + "z" * 500)
    a.send("PRIVMSG b :hi")
    (rpl,) = only(a.received(), "301")
    assert rpl.params[1] == "b" and len(rpl.params[2]) == net.server.config.awaylen


def test_joining_while_away_tells_away_notify_peers() -> None:
    net = Net()
    w = net.client("w", caps="away-notify")
    joined(net, "#c", w)
    a = net.client("a")
    a.send("AWAY :brb", "JOIN #c")
    got = w.received()
    assert [m.command for m in got] == ["JOIN", "AWAY"]


def test_setname_broadcast_to_cap_holders_and_fail_when_too_long() -> None:
    net = Net()
    a = net.client("a", caps="setname")
    w = net.client("w", caps="setname")
    p = net.client("p")
    joined(net, "#c", a, w, p)
    a.send("SETNAME :New Name")
    assert only(a.received(), "SETNAME")[0].params == ("New Name",)
    assert only(w.received(), "SETNAME")[0].nick == "a"
    assert only(p.received(), "SETNAME") == []
    assert a.session.realname == "New Name"
    a.send("SETNAME :" + "x" * 200)
    (fail,) = only(a.received(), "FAIL")
    assert fail.params[:2] == ("SETNAME", "INVALID_REALNAME")
    a.send("SETNAME")
    assert only(a.received(), "461")


def test_chghost_to_cap_holders_and_quit_join_fallback_for_others() -> None:
    net = Net()
    a = net.client("a", caps="chghost")
    w = net.client("w", caps="chghost")
    p = net.client("p", caps="extended-join")
    joined(net, "#c", a, w, p)
    change_host(net.server, a.session, host="staff.example")
    net.server.flush()
    (own,) = only(a.received(), "CHGHOST")
    assert own.params == ("~a", "staff.example") and own.source == "a!~a@127.0.0.1"
    assert only(w.received(), "CHGHOST")[0].params == ("~a", "staff.example")
    got = p.received()
    assert [m.command for m in got] == ["QUIT", "JOIN", "MODE"]
    assert got[1].source == "a!~a@staff.example" and got[1].params[0] == "#c"
    assert got[1].params[1:] == ("*", "a real")  # extended-join form
    assert got[2].params == ("#c", "+o", "a")
    change_host(net.server, a.session, host="staff.example")  # no change, no message
    net.server.flush()
    assert a.received() == [] and p.received() == []
