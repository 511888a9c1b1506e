"""One account on two devices, and always-on across a restart, over real sockets against the
real `socketchat serve` process and its SQLite data directory (issue 12's student story: a
laptop and a phone on one account; a message to a classmate who is away is not lost)."""

from __future__ import annotations

import base64
import signal
from pathlib import Path

from tests.support.irc import IRCClient
from tests.support.server import RunningServer, spawned_server

PASSWORD = "a-student-password"


def sasl(srv: RunningServer, nick: str, account: str) -> IRCClient:
    """A device that logs in with SASL PLAIN while connecting."""
    c = IRCClient(srv.port)
    c.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER u 0 * :r")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    token = base64.b64encode(f"\0{account}\0{PASSWORD}".encode()).decode()
    c.send(f"AUTHENTICATE {token}")
    c.expect("903")
    c.send("CAP END")
    assert c.expect("001").param(0) == nick
    return c


def stop(srv: RunningServer) -> None:
    assert srv.process is not None
    srv.process.send_signal(signal.SIGTERM)
    assert srv.process.wait(timeout=20) == 0


def test_laptop_and_phone_share_one_nick_and_see_each_other(tmp_path: Path) -> None:
    with spawned_server(data_dir=str(tmp_path / "data")) as srv:
        first = IRCClient(srv.port).register("sara")
        first.send(f"REGISTER * * {PASSWORD}")
        first.expect("REGISTER", lambda m: m.param(0) == "SUCCESS")
        first.close()  # (always-on: sara stays)
        laptop = sasl(srv, "sara", "sara")
        laptop.send("JOIN #class")
        laptop.expect("366")
        phone = sasl(srv, "sara", "sara")  # not 433: the same person
        assert phone.expect("JOIN").param(0) == "#class"
        assert "sara" in phone.expect("353").param(-1).replace("@", "").split()
        reza = IRCClient(srv.port).register("reza")
        reza.send("JOIN #class")
        names = reza.expect("353").param(-1).split()
        assert sorted(n.lstrip("@") for n in names) == ["reza", "sara"]  # one sara
        reza.send("PRIVMSG sara :سلام سارا")
        for device in (laptop, phone):
            assert device.expect("PRIVMSG").param(1) == "سلام سارا"
        phone.send("PRIVMSG #class :from my phone")
        assert laptop.expect("PRIVMSG").param(1) == "from my phone"  # the other device sees it
        assert reza.expect("PRIVMSG").param(1) == "from my phone"
        phone.send("QUIT :battery")
        phone.closed_by_server()
        reza.send("PRIVMSG #class :still here, sara?")
        got = reza.collect(0.5)
        assert not [m for m in got if m.command == "QUIT"]  # one device left, not sara
        assert laptop.expect("PRIVMSG").param(1) == "still here, sara?"
        stop(srv)


def test_an_always_on_student_is_there_after_a_restart_and_gets_what_she_missed(
    tmp_path: Path,
) -> None:
    data = str(tmp_path / "data")
    with spawned_server(data_dir=data) as srv:
        sara = IRCClient(srv.port).register("sara")
        sara.send(f"REGISTER * * {PASSWORD}", "JOIN #class")
        sara.expect("366")
        sara.send("QUIT :home")
        sara.closed_by_server()
        stop(srv)

    with spawned_server(data_dir=data) as srv:
        reza = IRCClient(srv.port).register("reza")
        reza.send("JOIN #class")
        assert "sara" in reza.expect("353").param(-1).replace("@", "").split()
        reza.send("PRIVMSG sara :homework: page 12")
        assert reza.expect("301").param(1) == "sara"  # told she is away, not 401
        reza.send("PRIVMSG #class :see you tomorrow")
        reza.send("WHOIS sara")
        reza.expect("318")
        sara = sasl(srv, "sara", "sara")
        got = sara.collect(1.0)
        texts = [m.param(1) for m in got if m.command == "PRIVMSG"]
        assert any(t.endswith("homework: page 12") for t in texts), texts
        assert any(t.endswith("see you tomorrow") for t in texts), texts
        assert [m.param(0) for m in got if m.command == "JOIN"] == ["#class"]
        stop(srv)


def test_a_second_user_of_the_account_does_not_take_the_first_ones_place_after_a_restart(
    tmp_path: Path,
) -> None:
    """irssi without SASL, reconnecting while the always-on teacher holds the nick, is
    teacher_, and identifies after registering: a second user of the account, not attached.
    It was always-on too, and its leaving replaced the account's record (its nick, no
    channels): after a restart the account was back as teacher_, not in #class."""
    data = str(tmp_path / "data")
    with spawned_server(data_dir=data) as srv:
        teacher = IRCClient(srv.port).register("teacher")
        teacher.send(f"REGISTER * * {PASSWORD}", "JOIN #class")
        teacher.expect("366")
        teacher.send("QUIT :home")  # always-on: stays in #class
        teacher.closed_by_server()
        second = IRCClient(srv.port).register("teacher_")
        second.send(f"PRIVMSG NickServ :IDENTIFY teacher {PASSWORD}")
        second.expect("900")
        second.send("QUIT :bye")  # not always-on: the account's person is the other one
        second.closed_by_server()
        reza = IRCClient(srv.port).register("reza")
        reza.send("WHOIS teacher_", "WHOIS teacher")
        assert reza.expect("401").param(1) == "teacher_"
        assert reza.expect("311").param(1) == "teacher"
        stop(srv)

    with spawned_server(data_dir=data) as srv:
        reza = IRCClient(srv.port).register("reza")
        reza.send("JOIN #class")
        names = reza.expect("353").param(-1).replace("@", "").split()
        assert "teacher" in names and "teacher_" not in names, names
        stop(srv)
