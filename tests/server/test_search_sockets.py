"""SEARCH (soju.im/search) over real sockets against a real SQLite file: the index survives a
restart, Persian text is found as typed, and a non-member or a third person finds nothing."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from socketchat.irc.message import Message
from tests.support.irc import IRCClient
from tests.support.server import running_server

CAPS = "batch server-time message-tags soju.im/search"
NO_FLOOD = {"flood_rate": 0.0, "flood_burst": 0}


def search(c: IRCClient, attributes: str) -> list[Message]:
    """One SEARCH; the lines of the soju.im/search batch that answers it."""
    c.send(f"SEARCH {attributes}")
    start = c.expect("BATCH", lambda m: m.params[0].startswith("+"))
    assert start.params[1:] == ("soju.im/search",)
    ref = start.params[0][1:]
    c.expect("BATCH", lambda m: m.params[0] == "-" + ref)
    return [m for m in c.log if m.tags.get("batch") == ref]


def test_search_over_sockets_after_a_restart_and_only_what_one_may_read(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:
        alice = IRCClient(srv.port).register("alice", "echo-message")
        alice.send("JOIN #class", "MODE #class +s")
        alice.send("PRIVMSG #class :فردا می‌روم کتابخانه", "PRIVMSG #class :homework due")
        alice.expect("PRIVMSG", lambda m: m.param(1) == "homework due")
    with running_server(limits=NO_FLOOD, data_dir=data) as srv:
        probe = IRCClient(srv.port)
        probe.send("CAP LS 302")
        assert "soju.im/search" in probe.cap_ls()
        # the lines were said in a +s channel of a server that has since restarted: nobody
        # reads them back, search included
        teacher = IRCClient(srv.port).register("teacher", CAPS)
        teacher.send("JOIN #class")
        teacher.expect("366")
        assert search(teacher, "text=homework") == []
        student = IRCClient(srv.port).register("student", CAPS)
        student.send("JOIN #class")
        student.expect("366")
        teacher.send("PRIVMSG #class :من هم میروم", "PRIVMSG student :see me after class")
        outsider = IRCClient(srv.port).register("outsider", CAPS)
        outsider.send("JOIN #lobby", "PRIVMSG #lobby :I never go to class")
        outsider.expect("366")
        found = search(student, "text=می‌روم")
        assert [(m.nick, m.param(0), m.param(1)) for m in found] == [
            ("teacher", "#class", "من هم میروم")
        ]
        assert found[0].tags["msgid"] and found[0].tags["time"]
        assert [m.param(1) for m in search(student, "text=class")] == ["see me after class"]
        assert [m.param(1) for m in search(outsider, "text=class")] == ["I never go to class"]
        assert search(outsider, "text=میروم") == []
        assert search(outsider, "from=teacher") == []
        outsider.send("SEARCH text=class;in=#class")
        refused = outsider.expect("FAIL")
        assert refused.params[:3] == ("SEARCH", "INVALID_PARAMS", "in")


def sqlite_shell(db: Path, command: str) -> None:
    """The docs' ``sqlite3 <db> ".backup <file>"`` / ``".restore <file>"``; where the shell is
    not installed, the same with SQLite's backup API, which the shell uses."""
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", str(db), command], check=True, timeout=30)
        return
    verb, other = command.lstrip(".").split(" ", 1)
    live, copy = sqlite3.connect(db), sqlite3.connect(other)
    try:
        (live.backup(copy) if verb == "backup" else copy.backup(live))
    finally:
        live.close()
        copy.close()


def test_a_backup_restored_while_stopped_is_searched_as_it_is(tmp_path: Path) -> None:
    """docs/operations.md's backup and restore, over sockets: backed up while it runs, a line
    said and one redacted after the backup, stopped, restored, started: SEARCH finds what the
    restored database holds (the redacted line is back) and not the line said after it; the
    search index was not deleted by hand."""
    data, saved = tmp_path / "data", tmp_path / "backup.db"
    caps = f"{CAPS} echo-message draft/message-redaction"
    with running_server(limits=NO_FLOOD, data_dir=str(data)) as srv:
        alice = IRCClient(srv.port).register("alice", caps)
        alice.send("JOIN #open", "PRIVMSG #open :apple one", "PRIVMSG #open :apple two")
        two = alice.expect("PRIVMSG", lambda m: m.param(1) == "apple two").tags["msgid"]
        sqlite_shell(data / "socketchat.db", f".backup {saved}")
        alice.send("PRIVMSG #open :banana after the backup", f"REDACT #open {two}")
        alice.expect("REDACT")
        assert [m.param(1) for m in search(alice, "text=banana")] == ["banana after the backup"]
        assert [m.param(1) for m in search(alice, "text=apple")] == ["apple one"]
    assert (data / "socketchat-search.db").exists()
    sqlite_shell(data / "socketchat.db", f".restore {saved}")
    with running_server(limits=NO_FLOOD, data_dir=str(data)) as srv:
        bob = IRCClient(srv.port).register("bob", CAPS)
        bob.send("JOIN #open")
        bob.expect("366")
        assert sorted(m.param(1) for m in search(bob, "text=apple")) == ["apple one", "apple two"]
        assert search(bob, "text=banana") == []
        assert search(bob, "text=after") == []
