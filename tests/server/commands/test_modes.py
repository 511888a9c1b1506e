"""MODE: user modes, channel flags and parameters, bans, op/voice, errors and permissions."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Client, Net


def setup_channel(net: Net, *nicks: str, channel: str = "#c") -> list[Client]:
    clients = [net.client(n) for n in nicks]
    joined(net, channel, *clients)
    return clients


def test_mode_query_shows_modes_key_to_members_and_creation_time() -> None:
    net = Net()
    op, outsider = setup_channel(net, "op"), net.client("out")
    op = op[0]
    op.send("MODE #c +kl sekrit 5")
    op.received()
    op.send("MODE #c")
    got = op.received()
    (is_, created) = only(got, "324"), only(got, "329")
    assert is_[0].params[1:] == ("#c", "+nt" + "kl", "sekrit", "5")
    assert created[0].params[2] == str(int(net.clock.now))
    outsider.send("MODE #c")
    assert only(outsider.received(), "324")[0].params[1:] == ("#c", "+ntkl", "*", "5")


def test_several_changes_broadcast_once_normalised() -> None:
    net = Net()
    op, bob, carol = setup_channel(net, "op", "bob", "carol")
    op.send("MODE #c +ovm-t bob carol")
    for c in (op, bob, carol):
        (mode,) = only(c.received(), "MODE")
        assert mode.params == ("#c", "+ovm-t", "bob", "carol")
        assert mode.source is not None and mode.source.startswith("op!")
    # no-ops are not broadcast
    op.send("MODE #c +o bob")
    assert only(bob.received(), "MODE") == []


def test_non_op_gets_482_and_nothing_changes() -> None:
    net = Net()
    op, bob = setup_channel(net, "op", "bob")
    bob.send("MODE #c +m")
    assert only(bob.received(), "482")
    assert only(op.received(), "MODE") == []
    out = net.client("out")
    out.send("MODE #c +m")
    assert only(out.received(), "442")


def test_prefix_mode_errors_401_and_441() -> None:
    net = Net()
    (op,) = setup_channel(net, "op")
    net.client("elsewhere")
    op.send("MODE #c +o ghost", "MODE #c +v elsewhere")
    got = op.received()
    assert only(got, "401")[0].params[1] == "ghost"
    assert only(got, "441")[0].params[1:3] == ("elsewhere", "#c")
    assert only(got, "MODE") == []


def test_unknown_mode_472_and_missing_param_696() -> None:
    net = Net()
    (op,) = setup_channel(net, "op")
    op.send("MODE #c +zo")
    got = op.received()
    assert only(got, "472")[0].params[1] == "z"
    assert only(got, "696")[0].params[1:3] == ("#c", "o")


def test_bad_key_525_and_bad_limit_696() -> None:
    net = Net()
    (op,) = setup_channel(net, "op")
    op.send("MODE #c +k a,b", "MODE #c +l many", "MODE #c +l 0")
    got = op.received()
    assert len(only(got, "525")) == 1
    assert [m.params[2:4] for m in only(got, "696")] == [("l", "many"), ("l", "0")]
    assert only(got, "MODE") == []


def test_key_and_limit_enforced_on_join() -> None:
    net = Net()
    (op,) = setup_channel(net, "op")
    op.send("MODE #c +k pw")
    op.received()
    bob = net.client("bob")
    bob.send("JOIN #c")
    assert only(bob.received(), "475")
    bob.send("JOIN #c pw")
    assert only(bob.received(), "366")
    op.received()
    op.send("MODE #c -k+l * 2")
    assert only(op.received(), "MODE")[0].params == ("#c", "-k+l", "*", "2")
    carol = net.client("carol")
    carol.send("JOIN #c")
    assert only(carol.received(), "471")


def test_ban_list_set_query_and_enforced() -> None:
    net = Net()
    (op,) = setup_channel(net, "op")
    op.send("MODE #c +b bad")
    assert only(op.received(), "MODE")[0].params == ("#c", "+b", "bad!*@*")
    op.send("MODE #c +b bad")  # already there: no change
    assert only(op.received(), "MODE") == []
    bad = net.client("bad")
    bad.send("JOIN #c")
    assert only(bad.received(), "474")
    bad.send("MODE #c b")
    got = bad.received()
    assert [m.params[1:3] for m in only(got, "367")] == [("#c", "bad!*@*")]
    assert only(got, "368")
    op.send("MODE #c -b BAD!*@*")
    assert only(op.received(), "MODE")[0].params == ("#c", "-b", "bad!*@*")
    bad.send("JOIN #c")
    assert only(bad.received(), "JOIN")


def test_moderated_channel_needs_voice() -> None:
    net = Net()
    op, bob = setup_channel(net, "op", "bob")
    op.send("MODE #c +m")
    bob.send("PRIVMSG #c :hi")
    assert only(bob.received(), "404")
    op.send("MODE #c +v bob")
    bob.received()
    op.received()
    bob.send("PRIVMSG #c :hi")
    assert only(op.received(), "PRIVMSG")


def test_mode_on_missing_channel_403() -> None:
    net = Net()
    c = net.client("a")
    c.send("MODE #none +m")
    assert only(c.received(), "403")


def test_user_modes_query_set_and_restrictions() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("MODE a")
    assert only(a.received(), "221")[0].params[1] == "+"
    a.send("MODE a +i")
    assert only(a.received(), "MODE")[0].params == ("a", "+i")
    a.send("MODE a +o")  # only OPER gives +o
    assert only(a.received(), "MODE") == []
    a.send("MODE a +x")
    assert only(a.received(), "501")
    a.send("MODE b +i")
    assert only(a.received(), "502")
    a.send("MODE ghost")
    assert only(a.received(), "401")
    a.send("MODE a")
    assert only(a.received(), "221")[0].params[1] == "+i"
    assert only(b.received(), "MODE") == []


def test_mode_needs_a_parameter() -> None:
    net = Net()
    a = net.client("a")
    a.send("MODE")
    assert only(a.received(), "461")


def test_limit_in_other_digits_is_696() -> None:
    net = Net()
    op = net.client("op")
    op.send("JOIN #c")
    op.received()
    for text in ("۵", "²", "+5", "9" * 30):
        op.send(f"MODE #c +l {text}")
        assert [m.command for m in op.received()] == ["696"]
    assert net.server.state.find_channel("#c").limit == 0  # type: ignore[union-attr]
