"""PRIVMSG, NOTICE, TAGMSG: delivery, errors, STATUSMSG, +n and bans."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


def test_private_message_and_notice() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("PRIVMSG b :hi there", "NOTICE b :psst")
    got = b.received()
    assert [(m.command, m.params) for m in got] == [
        ("PRIVMSG", ("b", "hi there")),
        ("NOTICE", ("b", "psst")),
    ]
    assert got[0].source == "a!~a@127.0.0.1"


def test_privmsg_errors_and_notice_stays_quiet() -> None:
    net = Net()
    a = net.client("a")
    a.send("PRIVMSG ghost :x", "PRIVMSG #none :x", "PRIVMSG", "PRIVMSG a")
    assert [m.command for m in a.received()] == ["401", "403", "411", "412"]
    a.send("NOTICE ghost :x", "NOTICE #none :x")
    assert a.received() == []


def test_no_external_messages_and_bans() -> None:
    net = Net()
    op, b, out = net.client("op"), net.client("b"), net.client("out")
    joined(net, "#c", op, b)
    out.send("PRIVMSG #c :hello from outside")
    assert only(out.received(), "404")
    op.send("MODE #c +b b!*@*")
    op.received()
    b.received()
    b.send("PRIVMSG #c :banned")
    assert only(b.received(), "404")
    assert op.received() == []


def test_statusmsg_reaches_only_ops() -> None:
    net = Net()
    op, b, c = net.client("op"), net.client("b"), net.client("c")
    joined(net, "#c", op, b, c)
    b.send("PRIVMSG @#c :for ops")
    assert only(op.received(), "PRIVMSG")[0].params == ("@#c", "for ops")
    assert c.received() == []


def test_too_many_targets() -> None:
    net = Net()
    a = net.client("a")
    for n in "bcdef":
        net.client(n)
    a.send("PRIVMSG b,c,d,e,f :x")
    assert only(a.received(), "407")
