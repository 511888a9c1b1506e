"""A full disk mid-run, for real: the server keeps serving, says so once, and heals by itself.

The real `socketchat serve` runs with its data dir on a small tmpfs (tests/support/tmpfs.py);
the test fills that filesystem with dd while two clients chat, then frees it again. See the
module docstring of `server/persistence.py` for the behaviour checked here.
"""

from __future__ import annotations

import signal
import time

from socketchat.irc.message import Message
from socketchat.server.persistence import STORAGE_RETRY_INTERVAL
from tests.support.irc import IRCClient
from tests.support.server import spawned_server
from tests.support.tmpfs import fill, small_tmpfs, unfill

CAPS = "batch server-time message-tags draft/chathistory standard-replies"


def say(sender: IRCClient, reader: IRCClient, text: str) -> None:
    """`sender` says `text` in #lobby and `reader` receives it, live."""
    sender.send(f"PRIVMSG #lobby :{text}")
    reader.expect("PRIVMSG", lambda m: m.param(1) == text)


def latest(c: IRCClient, n: int = 50) -> list[str]:
    c.send(f"CHATHISTORY LATEST #lobby * {n}")
    ref = c.expect("BATCH", lambda m: m.params[0].startswith("+")).params[0][1:]
    c.expect("BATCH", lambda m: m.params[0] == "-" + ref)
    return [m.param(1) for m in c.log if m.tags.get("batch") == ref and m.command == "PRIVMSG"]


def paused_notices(messages: list[Message]) -> list[Message]:
    return [m for m in messages if "History is paused" in (m.params[-1] if m.params else "")]


def test_full_disk_mid_run_keeps_chat_alive_and_history_resumes() -> None:
    with small_tmpfs("8m") as mnt, spawned_server(data_dir=str(mnt / "data")) as srv:
        proc = srv.process
        assert proc is not None
        alice = IRCClient(srv.port).register("alice", caps=CAPS)  # standard replies: WARN
        bob = IRCClient(srv.port).register("bob")  # plain client: a NOTICE
        for c in (alice, bob):
            c.send("JOIN #lobby")
            c.expect("366")
        say(alice, bob, "before the outage")

        filler = fill(mnt)
        say(alice, bob, "during 1")  # its commit fails: live delivery goes on
        warn = alice.expect("WARN", lambda m: m.param(1) == "HISTORY_PAUSED")
        assert warn.param(0) == "*" and "delivered live" in warn.param(2)
        say(alice, bob, "during 2")
        say(bob, alice, "during 3")
        notice = bob.expect("NOTICE", lambda m: "History is paused" in m.param(1))
        assert notice.source == "socketchat.local"
        say(bob, alice, "during 4")
        for c in (alice, bob):  # PONG and numerics too
            c.send("PING :still-there", "WHOIS alice")
            c.expect("PONG", lambda m: m.params[-1] == "still-there")
            c.expect("318")
        # told once per outage, however much they say
        assert len(paused_notices(alice.log)) == 1 and len(paused_notices(bob.log)) == 1
        newcomer = IRCClient(srv.port).register("carol")  # registration works meanwhile
        newcomer.send("JOIN #lobby")
        newcomer.expect("366")
        # an account made now could vanish at a restart: refused until storage works again
        newcomer.send("REGISTER carol * correct-horse-battery")
        refused = newcomer.expect("FAIL")
        assert refused.params[:3] == ("REGISTER", "TEMPORARILY_UNAVAILABLE", "carol")

        unfill(filler)
        alice.expect(
            "NOTE", lambda m: m.param(1) == "HISTORY_RESUMED", timeout=STORAGE_RETRY_INTERVAL * 3
        )
        bob.expect("NOTICE", lambda m: "History resumed" in m.param(1), timeout=5)
        say(bob, alice, "after the outage")
        newcomer.send("REGISTER carol * correct-horse-battery")
        assert newcomer.expect("REGISTER", timeout=10).params[:2] == ("SUCCESS", "carol")
        time.sleep(0.2)
        assert latest(alice) == [
            "before the outage",
            "during 1",
            "during 2",
            "during 3",
            "during 4",
            "after the outage",
        ]
        assert len(paused_notices(alice.log + alice.collect(0.3))) == 1
        assert len(paused_notices(bob.log + bob.collect(0.3))) == 1

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        out = srv.output()
    critical = [line for line in out.splitlines() if " CRITICAL " in line]
    assert len(critical) == 1, out
    assert "socketchat.db" in critical[0] and "the disk is full" in critical[0]
    assert "history is paused" in critical[0]
    resumed = [line for line in out.splitlines() if "history resumed" in line]
    # 4 messages and carol's JOIN (kept for draft/event-playback)
    assert len(resumed) == 1 and "5 lines said meanwhile written" in resumed[0], out
    assert "Traceback" not in out


def test_sigterm_while_the_disk_is_full_stops_promptly() -> None:
    with small_tmpfs("8m") as mnt, spawned_server(data_dir=str(mnt / "data")) as srv:
        proc = srv.process
        assert proc is not None
        alice = IRCClient(srv.port).register("alice")
        bob = IRCClient(srv.port).register("bob")
        for c in (alice, bob):
            c.send("JOIN #lobby")
            c.expect("366")
        fill(mnt)
        for i in range(3):
            say(alice, bob, f"unstored {i}")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert "shutting down" in alice.expect("ERROR").param(0)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        out = srv.output()
    # 3 messages and the 2 QUITs of the shutdown (kept for draft/event-playback)
    assert "5 lines of history were not stored at shutdown" in out, out
    assert "socketchat: stopped" in out
    assert "Traceback" not in out
