"""NICK, JOIN, PART, TOPIC, NAMES, QUIT: the commands every client uses."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Net


def test_nick_change_seen_by_peers_and_self_once() -> None:
    net = Net()
    a, b, stranger = net.client("a"), net.client("b"), net.client("stranger")
    joined(net, "#c", a, b)
    joined(net, "#d", a, b)
    a.send("NICK alpha")
    assert [m.params for m in only(a.received(), "NICK")] == [("alpha",)]
    (seen,) = only(b.received(), "NICK")
    assert seen.source == "a!~a@127.0.0.1"
    assert stranger.received() == []
    a.send("NICK Alpha")  # case change of one's own nick is allowed
    assert only(a.received(), "NICK")


def test_nick_errors() -> None:
    net = Net()
    a, _ = net.client("a"), net.client("b")
    a.send("NICK b", "NICK B", "NICK 1bad", "NICK")
    assert [m.command for m in a.received()] == ["433", "433", "432", "431"]


def test_join_several_with_keys_and_join_zero() -> None:
    net = Net()
    op = net.client("op")
    joined(net, "#k", op)
    op.send("MODE #k +k pw")
    b = net.client("b")
    b.send("JOIN #x,#k,#y ,pw")
    got = b.received()
    assert [m.params[0] for m in only(got, "JOIN")] == ["#x", "#k", "#y"]
    assert len(only(got, "366")) == 3
    assert set(b.session.channels) == {"#x", "#k", "#y"}
    b.send("JOIN 0")
    assert sorted(m.params[0] for m in only(b.received(), "PART")) == ["#k", "#x", "#y"]
    assert b.session.channels == {}
    b.send("JOIN bad")
    assert only(b.received(), "403")


def test_join_burst_has_topic_and_names() -> None:
    net = Net()
    op = net.client("op")
    joined(net, "#c", op)
    op.send("TOPIC #c :the topic")
    b = net.client("b")
    b.send("JOIN #c")
    assert [m.command for m in b.received()] == ["JOIN", "332", "333", "353", "366"]


def test_part_with_reason_and_errors() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    joined(net, "#c", a, b)
    a.send("PART #c :gone fishing")
    assert only(b.received(), "PART")[0].params == ("#c", "gone fishing")
    assert only(a.received(), "PART")
    a.send("PART #c", "PART #none")
    assert [m.command for m in a.received()] == ["442", "403"]
    b.send("PART #c")
    assert net.server.state.find_channel("#c") is None  # empty channels vanish


def test_topic_query_set_and_permissions() -> None:
    net = Net()
    op, b, out = net.client("op"), net.client("b"), net.client("out")
    joined(net, "#c", op, b)
    b.send("TOPIC #c")
    assert only(b.received(), "331")
    b.send("TOPIC #c :nope")
    assert only(b.received(), "482")
    op.send("TOPIC #c :hello world")
    assert only(b.received(), "TOPIC")[0].params == ("#c", "hello world")
    out.send("TOPIC #c")
    got = out.received()
    assert only(got, "332")[0].params[2] == "hello world"
    assert only(got, "333")[0].params[2].startswith("op!")
    out.send("TOPIC #c :x")
    assert only(out.received(), "442")
    op.send("MODE #c -t")
    b.send("TOPIC #c :now anyone")
    assert only(op.received(), "TOPIC")


def test_names_hides_invisible_from_outsiders_and_secret_channels() -> None:
    net = Net()
    a, inv, out = net.client("a"), net.client("inv"), net.client("out")
    inv.send("MODE inv +i")
    joined(net, "#c", a, inv)
    out.send("NAMES #c")
    assert only(out.received(), "353")[0].params[-1].split() == ["@a"]
    a.send("MODE #c +s")
    out.send("NAMES #c")
    got = out.received()
    assert only(got, "353") == [] and only(got, "366")


def test_quit_reason_and_whowas() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    joined(net, "#c", a, b)
    a.send("QUIT")
    assert only(b.received(), "QUIT")[0].params == ("Quit",)
    b.send("WHOWAS a")
    assert only(b.received(), "314")


def test_unknown_command_and_unregistered() -> None:
    net = Net()
    a = net.client("a")
    a.send("FROBNICATE x")
    assert only(a.received(), "421")
    u = net.client()
    u.send("WHO *", "MODE x")
    assert [m.command for m in u.received()] == ["451", "451"]
