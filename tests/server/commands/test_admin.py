"""KLINE/DLINE in the core (fake clock: expiry), STATS k/d/u, and who may use them."""

from __future__ import annotations

from socketchat.server.klines import normalize_dline, normalize_kline, parse_duration
from tests.server.harness import Client, Net


def oper(net: Net, nick: str = "op") -> Client:
    c = net.client(nick)
    net.server.state.set_user_mode(c.session.user, "o", True)
    return c


def notices(c: Client) -> list[str]:
    return [m.params[-1] for m in c.received() if m.command == "NOTICE"]


def test_parsing() -> None:
    assert parse_duration("30") == 1800
    assert parse_duration("90s") == 90
    assert parse_duration("2h") == 7200
    assert parse_duration("1w") == 604800
    assert parse_duration("*@host") is None
    assert normalize_kline("bad@Example.COM") == ("bad@example.com", None)
    assert normalize_kline("nick!bad@host") == ("bad@host", None)
    assert normalize_kline("10.0.0.1") == ("*@10.0.0.1", None)
    assert normalize_kline("$a:Troll") == ("$a:Troll", None)
    assert normalize_kline("*@*")[0] is None
    assert normalize_dline("10.1.2.3/8") == ("10.0.0.0/8", None)
    assert normalize_dline("10.1.2.3") == ("10.1.2.3", None)
    assert normalize_dline("0.0.0.0/0")[0] is None
    assert normalize_dline("not-an-ip")[0] is None


def test_only_operators() -> None:
    net = Net()
    a = net.client("a")
    a.send("KLINE *@10.0.0.1 :x", "DLINE 10.0.0.1", "STATS k")
    assert [m.command for m in a.received()] == ["481", "481", "481", "219"]


def test_kline_drops_now_refuses_later_and_expires() -> None:
    net = Net()
    op = oper(net)
    victim = net.client("victim", ip="10.0.0.7")
    bystander = net.client("bystander", ip="10.0.0.8")
    op.send("KLINE 10m *@10.0.0.7 :spamming")
    assert notices(op) == [
        "Added K-line for *@10.0.0.7 (10 minutes): spamming; 1 client(s) disconnected"
    ]
    assert victim.session.closed and victim.session.close_reason == "K-lined: spamming"
    assert not bystander.session.closed
    again = Client(net, ip="10.0.0.7")
    again.send("NICK back", "USER back 0 * :b")
    got = again.received()
    assert "001" not in [m.command for m in got]
    assert got[-1].command == "ERROR" and "K-lined: spamming" in got[-1].params[0]
    op.send("STATS k")
    stats = op.received()
    assert [m.command for m in stats] == ["216", "219"]
    assert stats[0].params[1:5] == ("K", "*@10.0.0.7", "600", "op!~op@127.0.0.1")
    assert stats[0].params[-1] == "spamming"
    net.clock.advance(601)  # the injected clock: the K-line is over
    later = net.client("later", ip="10.0.0.7")
    assert not later.session.closed
    op.send("STATS k")
    assert [m.command for m in op.received()] == ["219"]


def test_dline_cidr_refuses_at_connect_and_unline() -> None:
    net = Net()
    op = oper(net)
    inside = net.client("inside", ip="192.0.2.9")
    op.send("DLINE 192.0.2.0/24 :go away")
    assert "1 client(s) disconnected" in notices(op)[0]
    assert inside.session.closed
    refused = Client(net, ip="192.0.2.200")  # before it sends anything
    assert refused.session.closed and refused.session.close_reason == "D-lined: go away"
    assert not net.client("outside", ip="192.0.3.1").session.closed
    op.send("STATS d")
    stats = op.received()
    assert stats[0].command == "225" and stats[0].params[2] == "192.0.2.0/24"
    assert stats[0].params[3] == "0"  # permanent
    op.send("UNDLINE 192.0.2.5/24")  # the same network, written otherwise
    assert notices(op) == ["Removed D-line for 192.0.2.0/24"]
    assert not Client(net, ip="192.0.2.200").session.closed
    op.send("UNDLINE 192.0.2.0/24")
    assert [m.params[1] for m in op.received()] == ["NO_SUCH_BAN"]


def test_account_kline_applies_when_the_account_is_identified() -> None:
    net = Net()
    op = oper(net)
    troll = net.client("troll")
    op.send("KLINE $a:troll* :no")
    assert not troll.session.closed  # not logged in: an account ban does not match
    troll.session.user.account = "trollface"
    net.server.account_changed(troll.session)
    assert troll.session.closed and troll.session.close_reason == "K-lined: no"
