"""MODE +e (ban exceptions, 348/349) and +I (invite exceptions, 346/347), and extbans (a:, m:)
applied to JOIN and to speaking; ISUPPORT CHANMODES, EXCEPTS, INVEX, EXTBAN, ACCOUNTEXTBAN."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


def test_isupport_names_the_lists_and_extbans() -> None:
    net = Net()
    c = net.client()
    c.send("NICK a", "USER a 0 * :a")
    tokens = [p for m in only(c.received(), "005") for p in m.params[1:-1]]
    for token in ("CHANMODES=beI,k,l,Cimnst", "EXCEPTS=e", "INVEX=I", "EXTBAN=,am"):
        assert token in tokens
    assert "ACCOUNTEXTBAN=a" in tokens


def test_exception_list_and_invite_exception_list_numerics() -> None:
    net = Net()
    op = net.client("op")
    joined(net, "#c", op)
    op.send("MODE #c +eI bar a:bob")
    (mode,) = only(op.received(), "MODE")
    assert mode.params == ("#c", "+eI", "bar!*@*", "a:bob")
    op.send("MODE #c e", "MODE #c +I")
    got = op.received()
    assert [m.command for m in got] == ["348", "349", "346", "347"]
    assert got[0].params[1:4] == ("#c", "bar!*@*", "op!~op@127.0.0.1")
    assert got[2].params[2] == "a:bob"
    op.send("MODE #c -e BAR!*@*")
    assert only(op.received(), "MODE")[0].params == ("#c", "-e", "bar!*@*")
    op.send("MODE #c +I m:bar")
    (err,) = only(op.received(), "696")
    assert err.params[2] == "I"


def test_ban_exception_lets_a_banned_user_join() -> None:
    net = Net()
    op, bar = net.client("op"), net.client("bar")
    joined(net, "#c", op)
    op.send("MODE #c +b *!*@*")
    bar.send("JOIN #c")
    assert bar.commands() == ["474"]
    op.send("MODE #c +e bar")
    bar.send("JOIN #c")
    assert "JOIN" in bar.commands()


def test_invite_exception_lets_a_matching_user_into_an_invite_only_channel() -> None:
    net = Net()
    op, bar, baz = net.client("op"), net.client("Bar"), net.client("baz")
    joined(net, "#c", op)
    op.send("MODE #c +i", "MODE #c +I bar!*@*")
    bar.send("JOIN #c")
    baz.send("JOIN #c")
    assert "JOIN" in bar.commands()
    assert baz.commands() == ["473"]
    op.send("MODE #c -I bar!*@*")
    bar.send("PART #c", "JOIN #c")
    assert bar.commands()[-1] == "473"


def test_account_extban_keeps_out_the_account_and_not_the_nick() -> None:
    net = Net()
    op, bob = net.client("op"), net.client("bob")
    joined(net, "#c", op)
    op.send("MODE #c +b a:bob")
    bob.send("JOIN #c")
    assert "JOIN" in bob.commands()  # not logged in: the nick alone is not banned
    bob.send("PART #c")
    bob.received()
    bob.session.user.account = "bob"
    bob.send("JOIN #c")
    assert bob.commands() == ["474"]
    op.send("MODE #c +e a:bob")
    bob.send("JOIN #c")
    assert "JOIN" in bob.commands()


def test_account_invite_exception() -> None:
    net = Net()
    op, bob = net.client("op"), net.client("bob")
    bob.session.user.account = "bob"
    joined(net, "#c", op)
    op.send("MODE #c +i", "MODE #c +I a:bob")
    bob.send("JOIN #c")
    assert "JOIN" in bob.commands()


def test_mute_extban_silences_without_keeping_out_and_voice_or_exception_lifts_it() -> None:
    net = Net()
    op, qux = net.client("op"), net.client("qux")
    joined(net, "#c", op)
    op.send("MODE #c +b m:QUX!*@*")
    qux.send("JOIN #c")
    assert "JOIN" in qux.commands()
    op.received()
    qux.send("PRIVMSG #c :hi")
    assert qux.commands() == ["404"]
    assert op.received() == []
    qux.send("MODE #c b")
    assert only(qux.received(), "367")[0].params[2] == "m:QUX!*@*"
    op.send("MODE #c +e m:*!~qux@*")
    op.received()
    qux.received()
    qux.send("PRIVMSG #c :thanks")
    assert op.commands() == ["PRIVMSG"]
    op.send("MODE #c -e m:*!~qux@*", "MODE #c +v qux")
    op.received()
    qux.send("PRIVMSG #c :voiced")
    assert op.commands() == ["PRIVMSG"]
    op.send("MODE #c -v qux", "MODE #c -b m:qux!*@*")
    op.received()
    qux.send("PRIVMSG #c :free")
    assert op.commands() == ["PRIVMSG"]


def test_a_plain_ban_still_silences_a_member_who_joined_before_it() -> None:
    net = Net()
    op, bar = net.client("op"), net.client("bar")
    joined(net, "#c", op, bar)
    op.send("MODE #c +b bar")
    bar.received()
    bar.send("PRIVMSG #c :hi")
    assert bar.commands() == ["404"]
    op.send("MODE #c +e bar")
    bar.received()
    bar.send("PRIVMSG #c :hi")
    assert "404" not in bar.commands()
