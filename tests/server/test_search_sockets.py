"""SEARCH (soju.im/search) over real sockets against a real SQLite file: the index survives a
restart, Persian text is found as typed, and a non-member or a third person finds nothing."""

from __future__ import annotations

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
