"""Behaviour irctest checks, tested here without it: LUSERS counts, USER's realname, unknown
commands, messages to oneself under labeled-response, and the protocol's tag length for clients."""

from __future__ import annotations

import dataclasses

from socketchat.irc.message import Message
from socketchat.server.config import Limits, ServerConfig
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net

# -- LUSERS -----------------------------------------------------------------------------------


def test_lusers_counts_only_registered_users_and_remembers_the_maximum() -> None:
    net = Net()
    bar = net.client("bar")

    def lusers() -> dict[str, tuple[str, ...]]:
        bar.send("LUSERS")
        msgs = bar.received()
        got = {m.command: m.params for m in msgs}
        assert len(got) == len(msgs), "a numeric came twice"
        return got

    first = lusers()
    assert "253" not in first
    assert first["255"][1].startswith("I have 1 clients")
    assert first["265"][1:3] == ("1", "1") and first["266"][1:3] == ("1", "1")

    qux, bat = net.client(), net.client()
    qux.send("NICK qux")  # holds a nick, but is not registered: unknown, not a user
    bat.send("NICK bat")
    got = lusers()
    assert got["253"][1] == "2"
    assert "There are 1 users" in got["251"][1]
    assert got["265"][1:3] == ("1", "1") and got["266"][1:3] == ("1", "1")

    qux.send("USER u s e :r")
    got = lusers()
    assert got["253"][1] == "1"
    assert got["265"][1:3] == ("2", "2")

    bat.send("QUIT")
    qux.send("QUIT")
    got = lusers()
    assert "253" not in got
    assert got["255"][1].startswith("I have 1 clients")
    assert got["265"][1:3] == ("1", "2") and got["266"][1:3] == ("1", "2")  # the max stays


# -- USER -------------------------------------------------------------------------------------


def test_user_with_an_empty_realname_is_461_and_does_not_register() -> None:
    net = Net()
    c = net.client()
    c.send("NICK foo", "USER username * * :")
    got = c.received()
    assert [(m.command, m.params[1]) for m in got] == [("461", "USER")]
    c.send("USER username * * :Real")
    assert "001" in c.commands()


# -- unknown commands -------------------------------------------------------------------------


def test_unknown_commands_even_with_underscores_are_421_and_labeled() -> None:
    net = Net()
    c = net.client("bar", caps="batch labeled-response")
    c.send("@label=deadbeef NONEXISTENT_COMMAND", "FOO/BAR x")
    got = c.received()
    assert [(m.command, m.params[1], m.tags.get("label")) for m in got] == [
        ("421", "NONEXISTENT_COMMAND", "deadbeef"),
        ("421", "FOO/BAR", None),
    ]


# -- messages to oneself ----------------------------------------------------------------------


def test_a_message_to_oneself_arrives_and_only_the_echo_carries_the_label() -> None:
    net = Net()
    c = net.client("foo", caps="echo-message batch labeled-response message-tags")
    for line in ("@label=1 PRIVMSG foo :hi", "@label=2 NOTICE foo :hi", "@label=3 TAGMSG foo"):
        c.send(line)
        got = c.received()
        command = line.split()[1]
        assert [m.command for m in got] == [command, command], got
        assert [m.tags.get("label") for m in got].count(line[7]) == 1
        assert "BATCH" not in [m.command for m in got]


def test_a_message_to_oneself_without_echo_message_arrives_once() -> None:
    net = Net()
    c = net.client("foo", caps="batch labeled-response")
    c.send("PRIVMSG foo :hi")
    got = c.received()
    assert [(m.command, m.params) for m in got] == [("PRIVMSG", ("foo", "hi"))]
    c.send("@label=x PRIVMSG foo :again")
    got = c.received()
    assert [m.command for m in got] == ["PRIVMSG", "ACK"]
    assert "label" not in got[0].tags and got[1].tags["label"] == "x"


# -- tag length -------------------------------------------------------------------------------


def test_clients_may_send_4096_bytes_of_tags_and_get_417_beyond_even_without_limits() -> None:
    config = dataclasses.replace(ServerConfig(), limits=Limits().disabled())
    net = Net(config)
    alice = net.client("alice", caps="message-tags echo-message")
    bob = net.client("bob", caps="message-tags")
    joined(net, "#test", alice, bob)
    at_limit = "@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4081)
    assert at_limit.index("TAGMSG") == 4096
    alice.send(at_limit)
    (echo,) = alice.received()
    (relay,) = bob.received()
    assert echo.tags["+baz"] == relay.tags["+baz"] == "a" * 4081
    alice.send("@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4082))
    assert [m.command for m in alice.received()] == ["417"]
    assert bob.received() == []
    alice.send("@+x=%s PRIVMSG #test hi!" % ("a" * 4096))
    assert only(alice.received(), "417") and bob.received() == []


def test_switching_limits_off_keeps_the_protocol_line_lengths() -> None:
    off = Limits().disabled()
    assert (off.max_line_bytes, off.max_tag_bytes) == (512, 4096)
    assert off.flood_rate == 0 and off.sendq == 0


# -- 696 --------------------------------------------------------------------------------------


def test_696_for_a_bad_limit_has_all_its_parameters_even_for_an_empty_one() -> None:
    net = Net()
    op = net.client("chanop")
    joined(net, "#chan", op)
    for value, shown in (("0", "0"), ("-1", "-1"), ("abc", "abc"), ("", "*")):
        op.send(f"MODE #chan +l :{value}")
        (reply,) = op.received()
        assert (reply.command, reply.params[:4]) == ("696", ("chanop", "#chan", "l", shown))
        assert len(reply.params) == 5
    assert net.server.state.find_channel("#chan").limit == 0  # type: ignore[union-attr]


# -- draft/no-implicit-names, draft/extended-isupport, draft/pre-away ---------------------------


def test_no_implicit_names_leaves_names_out_of_join_but_not_out_of_names() -> None:
    net = Net()
    quiet = net.client("quiet", caps="draft/no-implicit-names")
    usual = net.client("usual")
    quiet.send("JOIN #c")
    assert [m.command for m in quiet.received()] == ["JOIN"]
    usual.send("JOIN #c")
    assert {"353", "366"} <= {m.command for m in usual.received()}
    quiet.received()
    quiet.send("NAMES #c")
    assert [m.command for m in quiet.received()] == ["353", "366"]


def test_extended_isupport_answers_isupport_before_registration_in_a_batch() -> None:
    net = Net()
    c = net.client()
    c.send("ISUPPORT")
    assert [m.command for m in c.received()] == ["451"]  # not without the cap
    c.send("CAP LS 302", "CAP REQ :batch draft/extended-isupport")
    c.received()
    c.send("ISUPPORT")
    got = c.received()
    assert got[0].command == "BATCH" and got[0].params[1] == "draft/isupport"
    ref = got[0].params[0][1:]
    assert got[-1].params == ("-" + ref,)
    body = got[1:-1]
    assert body and all(m.command == "005" and m.tags["batch"] == ref for m in body)
    assert all(m.params[0] == "*" for m in body)
    c.send("NICK emersion", "USER e 0 * :Simon", "CAP END")
    got = c.received()
    loose = [m for m in got if m.command == "005" and "batch" not in m.tags]
    assert loose == [] and any(m.command == "005" for m in got)  # the welcome's 005s: batched
    plain = net.client("plain")
    plain.send("ISUPPORT")
    assert {m.command for m in plain.received()} == {"005"}


def test_pre_away_marks_a_connection_away_before_it_registers() -> None:
    net = Net()
    watcher = net.client("watcher", caps="away-notify")
    c = net.client()
    c.send("AWAY :early")
    assert [m.command for m in c.received()] == ["451"]
    assert c.session.away is None
    c.send("CAP LS 302", "CAP REQ :draft/pre-away", "AWAY *")
    assert [m.command for m in c.received()][-1] == "306"
    c.send("NICK bouncer", "USER b 0 * :b", "CAP END")
    assert "001" in [m.command for m in c.received()]
    watcher.send("WHOIS bouncer")
    assert [m.params[2] for m in watcher.received() if m.command == "301"] == ["*"]
    assert c.session.away == "*"


# -- +C (no CTCP) and INVITE without parameters -----------------------------------------------


def test_plus_c_refuses_ctcp_but_not_action() -> None:
    net = Net()
    op, user = net.client("chanop"), net.client("user")
    joined(net, "#chan", op, user)
    assert "CHANMODES=beI,k,l,Cimnst" in " ".join(" ".join(m.params) for m in _isupport(net))
    user.send("PRIVMSG #chan :\x01PING 1\x01")
    assert [m.params[1] for m in op.received()] == ["\x01PING 1\x01"]
    op.send("MODE #chan +C")
    op.received(), user.received()
    user.send("PRIVMSG #chan :\x01ACTION is testing\x01", "PRIVMSG #chan :\x01PING 2\x01")
    assert [(m.command, m.params[1]) for m in user.received()] == [("404", "#chan")]
    assert [m.params[1] for m in op.received()] == ["\x01ACTION is testing\x01"]
    user.send("NOTICE #chan :\x01VERSION x\x01")  # a NOTICE is dropped silently
    assert user.received() == [] and op.received() == []


def _isupport(net: Net) -> list[Message]:
    c = net.client()
    c.send("NICK probe", "USER p 0 * :p")
    return only(c.received(), "005")


def test_invite_alone_lists_ones_invites() -> None:
    net = Net()
    foo, bar = net.client("foo"), net.client("bar")
    joined(net, "#chan", foo)
    bar.send("INVITE")
    assert [m.command for m in bar.received()] == ["337"]
    foo.send("INVITE bar #chan")
    bar.received()
    bar.send("INVITE", "INVITE bar")
    assert [(m.command, m.params[1]) for m in bar.received()] == [
        ("336", "#chan"),
        ("337", "End of /INVITE list"),
        ("461", "INVITE"),
    ]


# -- draft/channel-rename ---------------------------------------------------------------------


def test_rename_keeps_the_channel_and_falls_back_to_part_and_join() -> None:
    net = Net()
    bar = net.client("bar", caps="draft/channel-rename")
    baz = net.client("baz")
    joined(net, "#bar", bar, baz)
    bar.send("MODE #bar +k beer", "TOPIC #bar :the topic")
    bar.received(), baz.received()
    baz.send("RENAME #bar #qux")
    assert [m.command for m in baz.received()] == ["482"]
    bar.send("RENAME #bar #qux :no reason")
    assert [m.params for m in bar.received()] == [("#bar", "#qux", "no reason")]
    got = baz.received()
    assert [(m.command, m.params[0]) for m in got][:2] == [("PART", "#bar"), ("JOIN", "#qux")]
    assert only(got, "332")[0].params[2] == "the topic"
    assert net.server.state.find_channel("#bar") is None
    channel = net.server.state.find_channel("#qux")
    assert channel is not None and channel.key == "beer" and channel.is_op(bar.session.user)
    assert "#qux" in baz.session.channels and "#bar" not in baz.session.channels
    other = net.client("other")
    joined(net, "#taken", other)
    bar.send("RENAME #qux #taken", "RENAME #qux bad")
    assert [m.params[1] for m in bar.received()] == ["CHANNEL_NAME_IN_USE", "CANNOT_RENAME"]
    baz.send("JOIN #bar")  # the old name is free again: a new channel, baz its operator
    baz.received()
    baz.send("MODE #bar +k beer")
    assert "482" not in [m.command for m in baz.received()]
