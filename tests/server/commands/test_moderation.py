"""KICK and INVITE: permissions, errors, invite-notify, invites letting people into +i."""

import dataclasses
from pathlib import Path

from socketchat.server.config import ServerConfig
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net
from tests.storage.helpers import stored_net


def test_kick_several_nicks_broadcast_and_removed() -> None:
    net = Net()
    op, b, c, d = net.client("op"), net.client("b"), net.client("c"), net.client("d")
    joined(net, "#c", op, b, c, d)
    op.send("KICK #c b,c :behave")
    kicks = only(d.received(), "KICK")
    assert [k.params for k in kicks] == [("#c", "b", "behave"), ("#c", "c", "behave")]
    assert only(b.received(), "KICK")  # the kicked one sees it too
    d.send("NAMES #c")
    names = only(d.received(), "353")[0].params[-1].split()
    assert sorted(names) == ["@op", "d"]
    b.send("PRIVMSG #c :still here?")
    assert only(b.received(), "404")


def test_kick_default_reason_and_kicklen() -> None:
    net = Net(dataclasses.replace(ServerConfig(), kicklen=50))
    op, b = net.client("op"), net.client("b")
    joined(net, "#c", op, b)
    op.send("KICK #c b")
    assert only(b.received(), "KICK")[0].params[2] == "op"
    b.send("JOIN #c")
    op.received()
    op.send("KICK #c b :" + "r" * 100)
    assert only(b.received(), "KICK")[0].params[2] == "r" * 50


def test_kick_errors_482_441_401_442_403() -> None:
    net = Net()
    op, b, out = net.client("op"), net.client("b"), net.client("out")
    joined(net, "#c", op, b)
    b.send("KICK #c op")
    assert only(b.received(), "482")
    op.send("KICK #c out", "KICK #c ghost", "KICK #none b")
    got = op.received()
    assert only(got, "441")[0].params[1:3] == ("out", "#c")
    assert only(got, "401") and only(got, "403")
    out.send("KICK #c b")
    assert only(out.received(), "442")
    op.send("KICK #c")
    assert only(op.received(), "461")


def test_invite_lets_user_into_invite_only_channel() -> None:
    net = Net()
    op, guest = net.client("op"), net.client("guest")
    joined(net, "#vip", op)
    op.send("MODE #vip +i")
    guest.send("JOIN #vip")
    assert only(guest.received(), "473")
    op.received()
    op.send("INVITE guest #vip")
    assert only(op.received(), "341")[0].params[1:] == ("guest", "#vip")
    (inv,) = only(guest.received(), "INVITE")
    assert inv.params == ("guest", "#vip") and inv.nick == "op"
    guest.send("JOIN #vip")
    assert only(guest.received(), "JOIN")


def test_invite_notify_goes_to_ops_with_the_cap_only() -> None:
    net = Net()
    op = net.client("op")
    op2 = net.client("op2", caps="invite-notify")
    member = net.client("member", caps="invite-notify")
    net.client("guest")
    joined(net, "#c", op, op2, member)
    op.send("MODE #c +o op2")
    op2.received(), member.received()
    op.send("INVITE guest #c")
    assert only(op2.received(), "INVITE")[0].params == ("guest", "#c")
    assert only(member.received(), "INVITE") == []


def test_invite_errors() -> None:
    net = Net()
    op, b, out = net.client("op"), net.client("b"), net.client("out")
    joined(net, "#c", op, b)
    op.send("INVITE b #c", "INVITE ghost #c", "INVITE out #none")
    got = op.received()
    assert only(got, "443")[0].params[1:3] == ("b", "#c")
    assert only(got, "401") and only(got, "403")
    out.send("INVITE out #c")
    assert only(out.received(), "442")
    op.send("MODE #c +i")
    b.received()
    b.send("INVITE out #c")  # not an op on a +i channel
    assert only(b.received(), "482")
    op.send("MODE #c -i")
    b.received()
    b.send("INVITE out #c")  # any member may invite when not +i
    assert only(b.received(), "341")


def test_invite_reports_away_target() -> None:
    net = Net()
    op, guest = net.client("op"), net.client("guest")
    joined(net, "#c", op)
    guest.send("AWAY :zzz")
    op.send("INVITE guest #c")
    assert only(op.received(), "301")[0].params[2] == "zzz"


def test_an_invite_to_an_account_holds_on_its_next_connection(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    op, bob = net.client("op"), net.client("bob")
    bob.send("PRIVMSG NickServ :REGISTER bob-password")
    joined(net, "#c", op)
    op.send("MODE #c +i", "INVITE bob #c")
    bob.send("QUIT :moving to the laptop")
    impostor = net.client("bob")  # the nick, not the person: stays out
    impostor.send("JOIN #c")
    assert only(impostor.received(), "473")
    impostor.send("QUIT")
    laptop = net.client("bob2")
    laptop.send("PRIVMSG NickServ :IDENTIFY bob bob-password", "JOIN #c")
    assert only(laptop.received(), "JOIN")
