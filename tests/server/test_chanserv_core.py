"""ChanServ through the sans-I/O core with a real SQLite file: every command, the state a
registered channel keeps while empty and across a restart (a second server on the same file),
who gets which mode on join, history of a registered channel, and the audit lines."""

from __future__ import annotations

import datetime
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from socketchat.irc.message import Message
from socketchat.server.config import Limits
from tests.server.harness import Client, Net
from tests.storage.helpers import stored_net

CS = "ChanServ"


def cs_notices(got: list[Message]) -> list[str]:
    return [m.param(1) for m in got if m.command == "NOTICE" and m.nick == CS]


def with_account(net: Net, nick: str, caps: str = "") -> Client:
    """A registered client logged in to the account `nick` (created here)."""
    c = net.client(nick, caps)
    c.send(f"REGISTER * * {nick}-password")
    assert any(m.command == "900" for m in c.received())
    return c


def login(net: Net, nick: str, caps: str = "") -> Client:
    """A new connection logging in to the existing account `nick` with NickServ."""
    c = net.client(nick, caps)
    c.send(f"PRIVMSG NickServ :IDENTIFY {nick}-password")
    assert c.session.account == nick
    c.received()
    return c


def cs(c: Client, text: str) -> list[str]:
    c.send(f"PRIVMSG ChanServ :{text}")
    return cs_notices(c.received())


def code_in(lines: list[str]) -> str:
    (match,) = [m for line in lines if (m := re.search(r"(\d{8})$", line))]
    return match.group(1)


def names(c: Client, channel: str) -> list[str]:
    c.send(f"NAMES {channel}")
    got = [m for m in c.received() if m.command == "353"]
    return [n for m in got for n in m.param(-1).split()]


def modes_of(c: Client, channel: str) -> tuple[str, ...]:
    c.send(f"MODE {channel}")
    (reply,) = [m for m in c.received() if m.command == "324"]
    return reply.params[2:]


def registered_class(net: Net) -> Client:
    teacher = with_account(net, "teacher")
    teacher.send("JOIN #class")
    teacher.received()
    assert cs(teacher, "REGISTER #class Maths, room 4") == [
        "Channel #class successfully registered to teacher."
    ]
    return teacher


def test_register_needs_an_account_presence_and_op(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    guest = net.client("guest")
    guest.send("JOIN #room")
    assert cs(guest, "REGISTER #room") == [
        "You must be logged in to an account to register a channel."
    ]
    alice = with_account(net, "alice")
    assert cs(alice, "REGISTER #room") == ["You must be in #room to register it."]
    alice.send("JOIN #room")
    assert cs(alice, "REGISTER #room") == ["You must be an operator of #room to register it."]
    assert cs(alice, "REGISTER") == ["Usage: REGISTER <#channel> [description]"]
    assert cs(alice, "REGISTER room") == ["Usage: REGISTER <#channel> [description]"]
    guest.send("MODE #room +o alice")
    assert cs(alice, "REGISTER #room") == ["Channel #room successfully registered to alice."]
    assert cs(alice, "REGISTER #room") == ["Channel #room is already registered."]
    assert cs(alice, "FROBNICATE") == ["Unknown command FROBNICATE. Try: /msg ChanServ HELP"]


def test_a_registered_channel_keeps_its_state_while_empty_and_its_first_joiner_is_no_op(
    tmp_path: Path,
) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    teacher.send("MODE #class +ml 30", "TOPIC #class :Fractions today", "MODE #class +b bad!*@*")
    teacher.send("PART #class")
    assert net.server.state.find_channel("#class") is None  # empty: gone from memory
    student = with_account(net, "student")
    student.send("JOIN #class")
    got = student.received()
    assert not any(m.command == "MODE" for m in got)  # nobody makes the student op
    topic = next(m for m in got if m.command == "333")
    assert topic.params[2].startswith("teacher!")  # the setter came back with the topic
    assert next(m for m in got if m.command == "332").param(-1) == "Fractions today"
    assert names(student, "#class") == ["student"]
    assert modes_of(student, "#class") == ("+mntl", "30")
    student.send("MODE #class -m", "TOPIC #class :mine now")
    assert [m.command for m in student.received()] == ["482", "482"]
    student.send("MODE #class +b")
    assert [m.params[2] for m in student.received() if m.command == "367"] == ["bad!*@*"]
    # the founder gets operator status from ChanServ on joining, for everyone to see
    teacher.send("JOIN #class")
    mode = next(m for m in student.received() if m.command == "MODE")
    assert (mode.nick, mode.params) == (CS, ("#class", "+o", "teacher"))
    assert "@teacher" in names(teacher, "#class")


def test_the_registration_and_state_survive_a_restart(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    teacher.send("MODE #class +mk sesame", "TOPIC #class :Homework: page 12")
    teacher.send("MODE #class +e ok!*@*", "MODE #class +I friend!*@*")
    teacher.send("QUIT")
    net.server.storage.close()  # type: ignore[union-attr]

    net = stored_net(tmp_path)  # a new server on the same database
    student = with_account(net, "student")
    student.send("JOIN #class")
    assert [m.command for m in student.received()] == ["475"]  # the key came back
    assert net.server.state.find_channel("#class") is None  # a refused JOIN leaves nothing
    student.send("JOIN #class sesame")
    got = student.received()
    assert next(m for m in got if m.command == "332").param(-1) == "Homework: page 12"
    assert not any(m.command == "MODE" for m in got)
    assert modes_of(student, "#class") == ("+mntk", "sesame")
    student.send("MODE #class e", "MODE #class I")
    lists = [(m.command, m.params[2]) for m in student.received() if m.command in ("348", "346")]
    assert lists == [("348", "ok!*@*"), ("346", "friend!*@*")]
    teacher = login(net, "teacher")
    teacher.send("JOIN #class")  # access-list accounts get past the key
    assert any(m.command == "MODE" and m.nick == CS for m in teacher.received())


def test_drop_asks_for_a_code_and_only_the_founder_may(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    other = with_account(net, "other")
    assert cs(other, "DROP #class") == ["Only the founder of #class may do that."]
    lines = cs(teacher, "DROP #class")
    code = code_in(lines)
    assert lines[-1] == f"To confirm, type: /msg ChanServ DROP #class {code}"
    assert cs(teacher, "DROP #class 12345678")[0] == "That confirmation code is wrong."
    era = net.server.state.find_channel("#class").era  # type: ignore[union-attr]
    assert cs(teacher, f"UNREGISTER #class {code}") == ["Channel #class is no longer registered."]
    assert net.server.state.find_channel("#class").era != era  # type: ignore[union-attr]
    assert cs(teacher, "INFO #class") == ["Channel #class is not registered."]
    teacher.send("PART #class")
    other.send("JOIN #class")  # an ordinary channel again: its creator is op
    assert "@other" in names(other, "#class")


def test_info_and_secret_channels(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    info = cs(teacher, "INFO #class")
    assert info[:2] == ["Channel #class is registered.", "Founder: teacher"]
    assert "Description: Maths, room 4" in info
    assert "Settings: none" in info and "Access list: 0 account(s)" in info
    outsider = net.client("outsider")
    assert cs(outsider, "INFO #class")[1] == "Founder: teacher"
    teacher.send("MODE #class +s")
    assert cs(outsider, "INFO #class") == ["Channel #class is not registered."]
    assert cs(outsider, "INFO #nowhere") == ["Channel #nowhere is not registered."]
    assert cs(outsider, "INFO") == ["Usage: INFO <#channel>"]


def test_op_deop_voice_devoice(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    student = with_account(net, "student")
    student.send("JOIN #class")
    student.received()
    assert cs(student, "OP #class") == ["You do not have access to do that in #class."]
    assert cs(student, "VOICE #class") == ["You do not have access to do that in #class."]
    assert cs(teacher, "VOICE #class student") == ["+v given student in #class."]
    mode = next(m for m in student.received() if m.command == "MODE")
    assert (mode.nick, mode.params) == (CS, ("#class", "+v", "student"))
    assert cs(student, "DEVOICE #class") == ["+v taken from student in #class."]  # oneself
    assert cs(teacher, "DEOP #class") == ["+o taken from teacher in #class."]
    assert "teacher" in names(teacher, "#class")
    assert cs(teacher, "OP #class") == ["+o given teacher in #class."]
    assert cs(teacher, "OP #class nobody") == ["nobody is not in #class."]
    assert cs(teacher, "OP #class student") == ["+o given student in #class."]
    assert cs(teacher, "DEOP #class student") == ["+o taken from student in #class."]
    assert cs(teacher, "OP") == ["Usage: OP <#channel> [nick]"]
    assert cs(net.client("anon"), "OP #class") == [
        "You must be logged in to an account to do that."
    ]


def test_access_list_by_account(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    helper = with_account(net, "helper")
    student = with_account(net, "student")
    helper.send("JOIN #class")
    assert cs(teacher, "AMODE #class +o helper") == ["helper now gets +o in #class."]
    mode = next(m for m in helper.received() if m.command == "MODE")  # at once, if present
    assert (mode.nick, mode.params) == (CS, ("#class", "+o", "helper"))
    assert cs(teacher, "ACCESS #class ADD student voice") == ["student now gets +v in #class."]
    assert cs(teacher, "AMODE #class +o nosuch") == ["There is no account nosuch."]
    assert cs(teacher, "AMODE #class +o teacher") == [
        "teacher is the founder of #class: always an operator."
    ]
    listed = cs(teacher, "ACCESS #class LIST")
    assert listed[:3] == ["Access list of #class (3 entries):", "teacher founder", listed[2]]
    assert listed[2].startswith("helper op (by teacher, ")
    assert listed[3].startswith("student voice (by teacher, ") and len(listed) == 5
    assert cs(teacher, "AMODE #class") == listed
    student.send("JOIN #class")
    mode = next(m for m in student.received() if m.command == "MODE")
    assert (mode.nick, mode.params) == (CS, ("#class", "+v", "student"))
    # an operator on the list may change voices, not operators
    assert cs(helper, "AMODE #class -v student") == [
        "student was removed from #class's access list."
    ]
    assert "student" in names(student, "#class")  # the voice went with it
    assert cs(helper, "AMODE #class +o student") == [
        "Only the founder may change operators in #class's access list."
    ]
    assert cs(student, "AMODE #class +v student") == [
        "You may not do that in #class's access list."
    ]
    assert cs(teacher, "ACCESS #class DEL nobody") == ["There is no account nobody."]
    assert cs(teacher, "ACCESS #class DEL student") == ["student is not on #class's access list."]
    assert cs(teacher, "AMODE #class -o student") == ["student does not have +o in #class."]
    assert cs(teacher, "ACCESS #class ADD student admin") == ["The level is op or voice."]
    assert cs(teacher, "AMODE #class +q student")[0].startswith("AMODE takes one change")
    assert cs(teacher, "ACCESS #class ADD student")[0].startswith("Usage: ACCESS")
    assert cs(teacher, "AMODE #class -o helper") == [
        "helper was removed from #class's access list."
    ]
    assert "helper" in names(helper, "#class")


def test_access_list_accounts_get_past_key_limit_invite_only_and_bans(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    with_account(net, "helper").send("QUIT")
    cs(teacher, "AMODE #class +v helper")
    teacher.send("MODE #class +iklb sesame 1 helper!*@*", "PART #class")
    helper = login(net, "helper")
    helper.send("JOIN #class")
    assert any(m.command == "366" for m in helper.received())
    stranger = net.client("stranger")
    stranger.send("JOIN #class")
    assert [m.command for m in stranger.received()] == ["475"]


def test_set_description_topiclock_and_their_errors(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    student = with_account(net, "student")
    student.send("JOIN #class")
    assert cs(student, "SET #class TOPICLOCK on") == [
        "You do not have access to change #class's settings."
    ]
    assert cs(teacher, "SET #class DESCRIPTION Algebra, room 5") == [
        "The description of #class is set."
    ]
    assert "Description: Algebra, room 5" in cs(teacher, "INFO #class")
    assert cs(teacher, "SET #class TOPICLOCK on") == [
        "The topic of #class is locked: only its founder and operators on its access list may"
        " change it."
    ]
    assert "Settings: TOPICLOCK" in cs(teacher, "INFO #class")
    teacher.send("MODE #class -t +o student")
    student.received()
    student.send("TOPIC #class :student topic")  # an op, but not on the access list
    (refused,) = student.received()
    assert refused.command == "482" and "locked by ChanServ" in refused.param(-1)
    teacher.send("TOPIC #class :the teacher's topic")
    assert any(m.command == "TOPIC" for m in teacher.received())
    assert cs(teacher, "SET #class TOPICLOCK off") == ["The topic of #class is unlocked."]
    student.send("TOPIC #class :student topic")
    assert any(m.command == "TOPIC" for m in student.received())
    assert cs(teacher, "SET #class TOPICLOCK maybe")[0].startswith("Usage: SET")
    assert cs(teacher, "SET #class COLOUR blue")[0].startswith("Usage: SET")


def test_guard_keeps_the_channel_with_chanserv_in_it(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    assert cs(teacher, "SET #class GUARD on") == [
        "ChanServ now holds #class: it stays open when everyone leaves."
    ]
    got = teacher.received()
    assert cs_notices(got) == []
    assert "@ChanServ" in names(teacher, "#class")
    teacher.send("PART #class")
    channel = net.server.state.find_channel("#class")
    assert channel is not None and not channel.members
    student = net.client("student")
    student.send("LIST")
    assert [m.params[1] for m in student.received() if m.command == "322"] == ["#class"]
    student.send("JOIN #class")
    student.received()
    assert sorted(names(student, "#class")) == ["@ChanServ", "student"]
    assert cs(teacher, "SET #class GUARD off") == ["ChanServ no longer holds #class."]
    part = next(m for m in student.received() if m.command == "PART")
    assert part.nick == CS
    student.send("PART #class")
    assert net.server.state.find_channel("#class") is None
    # a guarded channel exists from the start, as it was kept
    cs(teacher, "SET #class GUARD on")
    assert net.server.state.find_channel("#class") is not None
    net.server.storage.close()  # type: ignore[union-attr]
    net = stored_net(tmp_path)
    from socketchat.server import chanserv

    chanserv.start(net.server)
    kept = net.server.state.find_channel("#class")
    assert kept is not None and kept.guarded and not kept.members


def test_transfer_needs_a_code_and_the_new_founder_accepting(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    colleague = with_account(net, "colleague")
    assert cs(colleague, "TRANSFER #class colleague") == ["Only the founder of #class may do that."]
    assert cs(teacher, "TRANSFER #class nosuch") == ["There is no account nosuch."]
    lines = cs(teacher, "TRANSFER #class colleague")
    code = code_in(lines)
    assert lines[-1] == f"To confirm, type: /msg ChanServ TRANSFER #class colleague {code}"
    assert cs(colleague, "TRANSFER ACCEPT #class") == ["Nobody offered you #class."]
    assert cs(teacher, f"TRANSFER #class colleague {code}")[0].startswith(
        "#class is offered to colleague"
    )
    assert cs_notices(colleague.received()) == [
        "teacher offers you the channel #class. To accept: /msg ChanServ TRANSFER ACCEPT #class"
    ]
    assert cs(colleague, "TRANSFER ACCEPT #class") == ["You are now the founder of #class."]
    assert cs_notices(teacher.received()) == [
        "colleague accepted #class: they are its founder now."
    ]
    info = cs(colleague, "INFO #class")
    assert "Founder: colleague" in info
    assert any(line.startswith("teacher op ") for line in cs(colleague, "ACCESS #class LIST"))
    assert cs(teacher, "DROP #class") == ["Only the founder of #class may do that."]
    # cancelling: an offer, then a transfer to oneself
    lines = cs(colleague, "TRANSFER #class teacher")
    cs(colleague, f"TRANSFER #class teacher {code_in(lines)}")
    assert cs(colleague, "TRANSFER #class colleague") == [
        "The pending transfer of #class is cancelled."
    ]
    teacher.received()  # (the offer, now cancelled)
    assert cs(teacher, "TRANSFER ACCEPT #class") == ["Nobody offered you #class."]


def test_channels_per_account_and_the_register_throttle(tmp_path: Path) -> None:
    limits = Limits().disabled()
    net = stored_net(
        tmp_path,
        limits=Limits(**{**_fields(limits), "registered_channels_per_account": 2}),
    )
    alice = with_account(net, "alice")
    alice.send("JOIN #a,#b,#c")
    assert cs(alice, "REGISTER #a")[0].endswith("successfully registered to alice.")
    assert cs(alice, "REGISTER #b")[0].endswith("successfully registered to alice.")
    assert cs(alice, "REGISTER #c") == [
        "You have already registered 2 channels, the most one account may; drop one with"
        " /msg ChanServ DROP first."
    ]
    (tmp_path / "other").mkdir()
    net = stored_net(
        tmp_path / "other",
        limits=Limits(**{**_fields(limits), "channel_registrations_per_hour": 1}),
    )
    bob = with_account(net, "bob")
    bob.send("JOIN #x,#y")
    cs(bob, "REGISTER #x")
    cs(bob, f"DROP #x {code_in(cs(bob, 'DROP #x'))}")
    assert cs(bob, "REGISTER #y") == [
        "You have registered too many channels recently; try again later."
    ]
    net.clock.advance(3601)  # an hour later (the harness's monotonic clock is its clock)
    assert cs(bob, "REGISTER #y") == ["Channel #y successfully registered to bob."]


def _fields(limits: Limits) -> dict[str, Any]:
    return {name: getattr(limits, name) for name in Limits.__dataclass_fields__}


def test_cs_shortcut_help_and_the_reserved_nick(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = with_account(net, "alice")
    alice.send("CS HELP")
    lines = cs_notices(alice.received())
    for syntax in ("REGISTER <#channel>", "DROP <#channel>", "INFO <#channel>", "OP <#channel>"):
        assert any(line.startswith(syntax) for line in lines), syntax
    for command in ("REGISTER", "DROP", "INFO", "OP", "DEOP", "VOICE", "DEVOICE", "AMODE"):
        alice.send(f"CHANSERV HELP {command}")
        got = cs_notices(alice.received())
        assert got[0].startswith(f"Syntax: {command} <#channel>") and len(got) >= 2, got
    for command in ("ACCESS", "SET", "TRANSFER"):
        assert cs(alice, f"HELP {command}")[0].startswith(f"Syntax: {command} <#channel>")
    assert cs(alice, "HELP NOPE") == ["No help for NOPE. Try: /msg ChanServ HELP"]
    alice.send("NICK ChanServ")
    assert [m.command for m in alice.received()] == ["433"]
    alice.send("WHOIS ChanServ")
    whois = alice.received()
    assert [m.command for m in whois] == ["311", "312", "318"]
    assert whois[0].param(-1) == "Channel services"
    alice.send("NOTICE ChanServ :HELP")  # never answered
    assert alice.received() == []
    # without storage there is no ChanServ (nor NickServ): the shortcut is unknown
    c = Net().client("alice")
    c.send("CS HELP", "PRIVMSG ChanServ :HELP")
    assert [m.command for m in c.received()] == ["421", "401"]


def test_history_of_a_registered_channel_follows_the_channel(tmp_path: Path) -> None:
    """Closed (+k) lines of a registered channel stay readable by its members after it empties
    and after a restart; an unregistered one's go with its incarnation."""
    caps = "batch server-time message-tags draft/chathistory"
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    teacher.send("MODE #class +k sesame", "JOIN #loose", "MODE #loose +k sesame")
    teacher.send("PRIVMSG #class :exam on friday", "PRIVMSG #loose :loose words")
    teacher.send("PART #class", "PART #loose")
    student = with_account(net, "student", caps)

    def history(channel: str) -> list[str]:
        student.send(f"CHATHISTORY LATEST {channel} * 10")
        return [m.param(1) for m in student.received() if m.command == "PRIVMSG"]

    student.send("JOIN #class sesame", "JOIN #loose sesame")
    student.received()
    assert history("#class") == ["exam on friday"]
    assert history("#loose") == []  # a new incarnation of an unregistered channel
    student.send("QUIT")
    net.server.storage.close()  # type: ignore[union-attr]
    net = stored_net(tmp_path)
    student = login(net, "student", caps)
    student.send("JOIN #class sesame")
    student.received()
    assert history("#class") == ["exam on friday"]


def test_rename_neither_moves_nor_takes_a_registered_channel(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    teacher.send("JOIN #other", "RENAME #class #elsewhere", "RENAME #other #CLASS")
    fails = [m.params[1] for m in teacher.received() if m.command == "FAIL"]
    assert fails == ["CANNOT_RENAME", "CHANNEL_NAME_IN_USE"]
    teacher.send("PART #class")
    teacher.send("RENAME #other #class")
    assert [m.params[1] for m in teacher.received() if m.command == "FAIL"] == [
        "CHANNEL_NAME_IN_USE"
    ]


def test_audit_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="socketchat.audit")
    net = stored_net(tmp_path)
    teacher = registered_class(net)
    helper = with_account(net, "helper")
    cs(teacher, "AMODE #class +o helper")
    cs(teacher, "AMODE #class -o helper")
    cs(teacher, f"TRANSFER #class helper {code_in(cs(teacher, 'TRANSFER #class helper'))}")
    cs(helper, "TRANSFER ACCEPT #class")
    helper.send("JOIN #class")
    cs(helper, f"DROP #class {code_in(cs(helper, 'DROP #class'))}")
    events = [
        r.audit["event"]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "socketchat.audit" and r.audit["event"].startswith("channel")  # type: ignore[attr-defined]
    ]
    assert events == [
        "channel_registered",
        "channel_access",
        "channel_access",
        "channel_transfer_offered",
        "channel_transferred",
        "channel_dropped",
    ]
    fields = [r.audit for r in caplog.records if r.name == "socketchat.audit"]  # type: ignore[attr-defined]
    registered = next(f for f in fields if f["event"] == "channel_registered")
    assert registered["channel"] == "#class" and registered["account"] == "teacher"


def test_opening_a_registered_channel_does_not_open_its_closed_past(tmp_path: Path) -> None:
    """A registered channel's incarnation lasts: lines said while it was +i are read by its
    members while it stays closed, and by its access list always, never by whoever walks in
    after an operator opened it (CHATHISTORY, TARGETS)."""
    caps = "batch server-time message-tags draft/chathistory"
    net = stored_net(tmp_path)
    teacher = with_account(net, "teacher", caps)
    teacher.send("JOIN #staff")
    cs(teacher, "REGISTER #staff")
    with_account(net, "deputy").send("QUIT")
    cs(teacher, "AMODE #staff +v deputy")
    teacher.send("MODE #staff +i", "PRIVMSG #staff :grades are in", "MODE #staff -i")
    teacher.send("PRIVMSG #staff :open again")
    walker = with_account(net, "walker", caps)
    walker.send("JOIN #staff")
    deputy = login(net, "deputy", caps)
    deputy.send("JOIN #staff")
    for c in (teacher, walker, deputy):
        c.received()

    def history(c: Client) -> list[str]:
        c.send("CHATHISTORY LATEST #staff * 10")
        return [m.param(1) for m in c.received() if m.command == "PRIVMSG"]

    def targets(c: Client) -> list[str]:
        c.send(
            "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z"
            " timestamp=2100-01-01T00:00:00.000Z 10"
        )
        return [m.params[1] for m in c.received() if m.command == "CHATHISTORY"]

    assert history(walker) == ["open again"]
    assert history(deputy) == history(teacher) == ["grades are in", "open again"]
    teacher.send("MODE #staff +i")  # closed again: everyone in it was let in by its rules
    assert history(walker) == ["grades are in", "open again"]
    # TARGETS reads the same way: walker's newest readable line of #staff is the open one
    teacher.send("MODE #staff -i")
    net.clock.advance(60)
    teacher.send("MODE #staff +i", "PRIVMSG #staff :closed news", "MODE #staff -i")
    walker.received()
    assert targets(walker) == ["#staff"]
    walker.send(
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z"
        f" timestamp={_iso(net.clock.now - 30)} 10"
    )
    assert [m.params[1] for m in walker.received() if m.command == "CHATHISTORY"] == ["#staff"]
    deputy.received()
    deputy.send(
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z"
        f" timestamp={_iso(net.clock.now - 30)} 10"
    )
    assert [m.params[1] for m in deputy.received() if m.command == "CHATHISTORY"] == []


def _iso(when: float) -> str:
    stamp = datetime.datetime.fromtimestamp(when, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
