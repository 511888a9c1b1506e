"""TARGMAX: several comma-separated targets for PRIVMSG, NOTICE, TAGMSG, KICK, NAMES and
WHOIS, each target checked on its own, and the limits advertised in ISUPPORT."""

import re

from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


def _targmax(net: Net) -> dict[str, str]:
    c = net.client()
    c.send("NICK probe", "USER p 0 * :p")
    tokens = [p for m in only(c.received(), "005") for p in m.params[1:-1]]
    (token,) = [t for t in tokens if t.startswith("TARGMAX=")]
    parts = token.removeprefix("TARGMAX=").split(",")
    assert all(re.fullmatch("[A-Z]+:[0-9]*", p) for p in parts), parts
    return dict(p.split(":") for p in parts)


def test_isupport_follows_the_configured_limit() -> None:
    limited = _targmax(Net(max_targets=4))
    assert {k: limited[k] for k in ("PRIVMSG", "NOTICE", "TAGMSG", "KICK", "NAMES")} == {
        "PRIVMSG": "4",
        "NOTICE": "4",
        "TAGMSG": "4",
        "KICK": "4",
        "NAMES": "4",
    }
    assert limited["JOIN"] == "" and limited["WHOIS"] == "4" and limited["MONITOR"] == "100"
    unlimited = _targmax(Net(max_targets=0))
    assert unlimited["PRIVMSG"] == "" and unlimited["KICK"] == "" and unlimited["WHOIS"] == "1"


def test_privmsg_to_several_targets_checks_each() -> None:
    net = Net()
    a, b, c = net.client("a"), net.client("b"), net.client("c")
    joined(net, "#c", c)
    a.send("PRIVMSG b,nobody,#c,#nochan :hi")
    assert sorted(a.commands()) == ["401", "403", "404"]  # #c is +n: a is not in it
    assert only(b.received(), "PRIVMSG")[0].params == ("b", "hi")
    joined(net, "#c", a)
    a.send("NOTICE b,#c :hey")
    assert only(b.received(), "NOTICE")[0].params == ("b", "hey")
    assert only(c.received(), "NOTICE")[0].params == ("#c", "hey")


def test_too_many_targets_is_407() -> None:
    net = Net(max_targets=2)
    a = net.client("a")
    a.send("PRIVMSG x,y,z :hi", "NAMES #a,#b,#c", "KICK #c x,y,z")
    assert a.commands() == ["407", "407", "407"]


def test_kick_several_nicks_from_one_or_several_channels() -> None:
    net = Net()
    op, bar, baz, qux = (net.client(n) for n in ("op", "bar", "baz", "qux"))
    joined(net, "#c", op, bar, baz, qux)
    op.send("KICK #c bar,nobody,baz :bye")
    got = op.received()
    assert [m.params[1] for m in only(got, "KICK")] == ["bar", "baz"]
    assert only(got, "401")[0].params[1] == "nobody"
    assert [m.params[1] for m in only(qux.received(), "KICK")] == ["bar", "baz"]
    joined(net, "#d", op, qux)
    op.send("KICK #c,#d qux,qux :bye")
    assert [m.params[0] for m in only(op.received(), "KICK")] == ["#c", "#d"]


def test_names_of_several_channels_ends_once() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("JOIN #chan1", "JOIN #chan2", "JOIN #hidden", "MODE #hidden +s")
    a.received()
    a.send("NAMES #chan1,#chan2")
    got = a.received()
    assert [(m.command, m.params[1:3]) for m in got] == [
        ("353", ("=", "#chan1")),
        ("353", ("=", "#chan2")),
        ("366", ("#chan1,#chan2", "End of /NAMES list")),
    ]
    b.send("NAMES #chan1,#hidden,#nope")
    got = b.received()
    assert [m.command for m in got] == ["353", "366"]
    assert got[1].params[1] == "#chan1,#hidden,#nope"
    b.send("NAMES #nope")
    assert [(m.command, m.params[1]) for m in b.received()] == [("366", "#nope")]
