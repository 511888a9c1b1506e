"""INFO, LINKS, ADMIN, HELP/HELPOP, USERS, SUMMON, WALLOPS and NAMES without a channel."""

from __future__ import annotations

import dataclasses

from socketchat.server.commands.helptext import HELP
from socketchat.server.commands.table import COMMANDS
from socketchat.server.config import Operator, ServerConfig
from socketchat.server.passwords import hash_password
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net

# -- HELP -------------------------------------------------------------------------------------


def test_every_command_in_the_table_has_help_text_and_nothing_else_does() -> None:
    assert sorted(HELP) == sorted(COMMANDS)
    for name, lines in HELP.items():
        assert lines and lines[0].split()[0] == name, name  # the first line is the syntax


def test_help_without_a_subject_lists_every_command() -> None:
    net = Net()
    c = net.client("nick")
    for command in ("HELP", "HELPOP"):
        c.send(command)
        got = c.received()
        assert [m.command for m in got] == ["704"] + ["705"] * (len(got) - 2) + ["706"]
        assert all(m.params[:2] == ("nick", "*") for m in got)
        listed = " ".join(m.params[2] for m in got[1:-1]).split()
        assert sorted(listed) == sorted(COMMANDS)


def test_help_on_a_command_and_on_an_unknown_subject() -> None:
    net = Net()
    c = net.client("nick")
    c.send("HELP privmsg")
    got = c.received()
    assert [m.command for m in got] == ["704", "705", "706"]
    assert all(m.params[1] == "PRIVMSG" for m in got)
    assert got[0].params[2] == HELP["PRIVMSG"][0]
    c.send("HELPOP THISISNOTACOMMAND")
    assert [(m.command, m.params[1]) for m in c.received()] == [("524", "THISISNOTACOMMAND")]


# -- INFO, LINKS, ADMIN, USERS, SUMMON ----------------------------------------------------


def test_info_is_info_lines_then_the_end() -> None:
    net = Net()
    c = net.client("nick")
    c.send("INFO")
    got = c.received()
    assert got[-1].command == "374" and got[:-1]
    assert {m.command for m in got[:-1]} == {"371"}
    c.send("INFO other.example")
    assert [m.command for m in c.received()] == ["402"]


def test_links_lists_this_server_alone() -> None:
    config = dataclasses.replace(ServerConfig(), name="My.Little.Server", description="test server")
    net = Net(config)
    c = net.client("nick")
    c.send("LINKS")
    got = c.received()
    assert [(m.command, m.params) for m in got] == [
        ("364", ("nick", "My.Little.Server", "My.Little.Server", "0 test server")),
        ("365", ("nick", "*", "End of /LINKS list")),
    ]
    c.send("LINKS *.other")
    assert [m.command for m in c.received()] == ["365"]


def test_admin_users_and_summon() -> None:
    config = dataclasses.replace(ServerConfig(), admin_email="ops@example.org")
    net = Net(config)
    c = net.client("nick")
    c.send("ADMIN")
    got = c.received()
    assert [m.command for m in got] == ["256", "257", "258", "259"]
    assert got[-1].params[1] == "ops@example.org"
    c.send("USERS", "SUMMON nick")
    assert [m.command for m in c.received()] == ["446", "445"]


# -- WALLOPS ----------------------------------------------------------------------------------


def test_wallops_is_for_operators_and_reaches_only_plus_w() -> None:
    oper = Operator("operuser", hash_password("operpassword"))
    net = Net(dataclasses.replace(ServerConfig(), operators=(oper,)))
    sender, deaf, listener = net.client("nick1"), net.client("nick2"), net.client("nick3")
    sender.send("WALLOPS :too early")
    assert [m.command for m in sender.received()] == ["481"]
    deaf.send("MODE nick2 -w")
    listener.send("MODE nick3 +w")
    assert [m.params for m in listener.received()] == [("nick3", "+w")]
    deaf.received()
    sender.send("OPER operuser operpassword")
    assert "381" in [m.command for m in sender.received()]
    sender.send("WALLOPS :hi everyone")
    assert sender.received() == []  # not +w itself
    (got,) = listener.received()
    assert (got.command, got.params, got.nick) == ("WALLOPS", ("hi everyone",), "nick1")
    assert deaf.received() == []
    listener.send("MODE nick3 -w")
    listener.received()
    sender.send("WALLOPS :again")
    assert listener.received() == []


# -- NAMES without a channel ------------------------------------------------------------------


def test_names_without_a_channel_lists_every_visible_channel() -> None:
    net = Net()
    one, two = net.client("nick1"), net.client("nick2")
    joined(net, "#chan1", one)
    joined(net, "#chan2", two)
    joined(net, "#secret", two)
    two.send("MODE #secret +s")
    two.received()
    one.send("NAMES")
    got = one.received()
    assert [(m.params[2], m.params[3]) for m in only(got, "353")] == [
        ("#chan1", "@nick1"),
        ("#chan2", "@nick2"),
    ]
    assert got[-1].command == "366" and got[-1].params[1] == "*"
    two.send("NAMES")
    assert [m.params[2] for m in only(two.received(), "353")] == ["#chan1", "#chan2", "#secret"]
