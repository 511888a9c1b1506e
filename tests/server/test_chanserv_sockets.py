"""The teacher story of issue 12 over real sockets, against the real `socketchat serve` process
and its SQLite data directory: a registered #class comes back after a restart, +m with its
topic and setter; the teacher gets op on joining, a student who creates it while empty does
not, and neither can take it."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.irc import IRCClient
from tests.support.server import RunningServer, spawned_server


def with_account(srv: RunningServer, nick: str, *, create: bool) -> IRCClient:
    c = IRCClient(srv.port).register(nick)
    verb = "REGISTER" if create else "IDENTIFY"
    c.send(f"PRIVMSG NickServ :{verb} {nick}-password-1")
    c.expect("NOTICE", lambda m: m.nick == "NickServ" and nick in m.param(1))
    return c


def chanserv(c: IRCClient, text: str, answer: str) -> str:
    """Send ChanServ `text`; its first notice, which must contain `answer`."""
    c.send(f"PRIVMSG ChanServ :{text}")
    got = c.expect("NOTICE", lambda m: m.nick == "ChanServ")
    assert answer in got.param(1), got
    return got.param(1)


def no_always_on(tmp_path: Path) -> tuple[str, str]:
    """A config without always-on: these stories are about a channel nobody is in (with it,
    the teacher would stay in #class after QUIT and come back with it after the restart)."""
    path = tmp_path / "no-always-on.toml"
    path.write_text("[server]\nalways_on = false\n")
    return "--config", str(path)


def stop(srv: RunningServer) -> None:
    """A clean stop (SIGTERM), as a restart by an operator or systemd."""
    assert srv.process is not None
    srv.process.send_signal(signal.SIGTERM)
    assert srv.process.wait(timeout=20) == 0


def test_a_registered_class_survives_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with spawned_server(*no_always_on(tmp_path), data_dir=data) as srv:
        teacher = with_account(srv, "teacher", create=True)
        teacher.send("JOIN #class")
        teacher.expect("366")
        chanserv(teacher, "REGISTER #class Maths", "successfully registered")
        teacher.send("MODE #class +m", "TOPIC #class :Fractions: bring a ruler")
        teacher.expect("MODE")
        teacher.expect("TOPIC")
        with_account(srv, "student", create=True).close()
        teacher.send("QUIT :bye")
        teacher.close()
        stop(srv)

    with spawned_server(*no_always_on(tmp_path), data_dir=data) as srv:
        # the student is the first in the empty channel: it comes back as kept, not as theirs
        student = with_account(srv, "student", create=False)
        student.send("JOIN #class")
        assert student.expect("332").param(-1) == "Fractions: bring a ruler"
        setter = student.expect("333")
        assert setter.params[2].startswith("teacher!")
        names = student.expect("353").param(-1).split()
        assert names == ["student"]  # no @: the first joiner is not made op
        student.send("MODE #class")
        assert student.expect("324").params[2] == "+mnt"
        student.send("PRIVMSG #class :can I talk?")
        student.expect("404")  # +m came back
        student.send("TOPIC #class :no homework", "MODE #class -m")
        student.expect("482")
        student.expect("482")
        chanserv(student, "OP #class", "You do not have access")
        chanserv(student, "DROP #class", "Only the founder")
        chanserv(student, "REGISTER #class", "already registered")

        teacher = with_account(srv, "teacher", create=False)
        teacher.send("JOIN #class")
        teacher.expect("366")
        mode = student.expect("MODE")
        assert (mode.nick, mode.params) == ("ChanServ", ("#class", "+o", "teacher"))
        teacher.send("MODE #class +v student")
        student.expect("MODE", lambda m: m.params == ("#class", "+v", "student"))
        student.send("PRIVMSG #class :now I can")
        assert teacher.expect("PRIVMSG").param(1) == "now I can"
        info = chanserv(teacher, "INFO #class", "is registered")
        assert info == "Channel #class is registered."
        for c in (student, teacher):
            c.close()


def test_what_a_registered_channel_was_told_survives_kill_9(tmp_path: Path) -> None:
    """Each change is in the loop turn's group commit, before anyone is told of it: once the
    founder sees its TOPIC and MODE echoed, a SIGKILL cannot lose them."""
    data = str(tmp_path / "data")
    with spawned_server(*no_always_on(tmp_path), data_dir=data) as srv:
        teacher = with_account(srv, "teacher", create=True)
        teacher.send("JOIN #class")
        teacher.expect("366")
        chanserv(teacher, "REGISTER #class", "successfully registered")
        teacher.send("MODE #class +i", "TOPIC #class :kept through a crash")
        teacher.expect("MODE")
        teacher.expect("TOPIC")
        assert srv.process is not None
        srv.process.kill()
        srv.process.wait(timeout=10)
        teacher.close()
    with spawned_server(*no_always_on(tmp_path), data_dir=data) as srv:
        teacher = with_account(srv, "teacher", create=False)
        teacher.send("JOIN #class")  # +i: only the founder (access list) gets in
        assert teacher.expect("332").param(-1) == "kept through a crash"
        teacher.send("MODE #class")
        assert teacher.expect("324").params[2] == "+int"
        stranger = IRCClient(srv.port).register("stranger")
        stranger.send("JOIN #class")
        stranger.expect("473")
        for c in (teacher, stranger):
            c.close()
