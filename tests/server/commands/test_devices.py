"""One account on several devices, and a user who stays: multiclient and always-on
(`server/commands/devices.py`, `server/user.py`), through the sans-I/O core with real SQLite."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from socketchat.irc.message import Message
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net

PASSWORD = "correct-horse"


def plain(account: str, password: str) -> str:
    return base64.b64encode(f"\0{account}\0{password}".encode()).decode()


def device(net: Net, nick: str, account: str, caps: str = "") -> Client:
    """A connection that logs in with SASL, asks for `nick` and registers."""
    c = net.client()
    c.send("CAP LS 302", f"CAP REQ :sasl {caps}".strip(), f"NICK {nick}", "USER u 0 * :r")
    c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain(account, PASSWORD)}", "CAP END")
    return c


def registered(net: Net, nick: str) -> Client:
    """`nick` registers an account (its nick) and is logged in."""
    c = net.client(nick)
    c.send(f"REGISTER * * {PASSWORD}")
    assert any(m.command == "900" for m in c.received())
    return c


def lines(c: Client, command: str) -> list[Message]:
    return [m for m in c.received() if m.command == command]


def test_a_second_device_shares_the_nick_and_sees_everything(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    laptop = registered(net, "ali")
    laptop.send("JOIN #class")
    bob = net.client("bob")
    bob.send("JOIN #class")
    laptop.received(), bob.received()
    phone = device(net, "ali", "ali")
    got = phone.received()
    assert [m.params[0] for m in got if m.command == "001"] == ["ali"]  # not 433
    assert [m.params[0] for m in got if m.command == "JOIN"] == ["#class"]  # the user's channels
    names = [m.params[-1] for m in got if m.command == "353"]
    assert names and "ali" in names[0] and "bob" in names[0]
    assert net.server.state.find_nick("ali") is laptop.session.user is phone.session.user
    assert net.server.state.user_count() == 2  # one person, two devices
    assert lines(bob, "JOIN") == []  # nobody sees a second ali arrive

    bob.send("PRIVMSG #class :hello", "PRIVMSG ali :psst")
    for d in (laptop, phone):
        assert [m.params for m in d.received() if m.command == "PRIVMSG"] == [
            ("#class", "hello"),
            ("ali", "psst"),
        ]
    laptop.send("PRIVMSG #class :from the laptop", "PRIVMSG bob :hi bob")
    assert [m.params for m in lines(phone, "PRIVMSG")] == [
        ("#class", "from the laptop"),  # what one device says, the others see
        ("bob", "hi bob"),
    ]
    assert lines(laptop, "PRIVMSG") == []  # no echo-message: the sender itself gets none
    assert [m.params for m in lines(bob, "PRIVMSG")] == [
        ("#class", "from the laptop"),
        ("bob", "hi bob"),
    ]


def test_join_and_part_on_one_device_move_all_of_them(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    laptop = registered(net, "ali")
    phone = device(net, "ali", "ali")
    phone.received()
    laptop.send("JOIN #new")
    got = phone.received()
    assert [m.params[0] for m in got if m.command == "JOIN"] == ["#new"]
    assert any(m.command == "353" for m in got)  # and its names
    phone.send("PART #new")
    assert [m.params[0] for m in lines(laptop, "PART")] == ["#new"]
    assert net.server.state.find_channel("#new") is None


def test_quit_of_one_device_is_no_quit_for_anyone(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=False)
    laptop = registered(net, "ali")
    laptop.send("JOIN #class")
    bob = net.client("bob")
    bob.send("JOIN #class")
    phone = device(net, "ali", "ali")
    bob.received(), laptop.received(), phone.received()
    phone.send("QUIT :bye phone")
    assert [m.params for m in lines(phone, "QUIT")] == [("Quit: bye phone",)]  # its own only
    assert lines(bob, "QUIT") == [] and lines(laptop, "QUIT") == []
    bob.send("PRIVMSG #class :still there?")
    assert [m.params[1] for m in lines(laptop, "PRIVMSG")] == ["still there?"]
    laptop.send("QUIT :bye")  # the last device, and no always-on: now ali leaves
    assert [m.params for m in lines(bob, "QUIT")] == [("Quit: bye",)]
    assert net.server.state.find_nick("ali") is None


def test_someone_else_still_gets_433_and_multiclient_off_too(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    registered(net, "ali")
    registered(net, "eve")
    eve = device(net, "ali", "eve")  # logged in, but to another account
    assert [m.command for m in eve.received() if m.command in ("001", "433")] == ["433"]
    laptop = net.client()
    laptop.send("NICK zed", "USER u 0 * :r")  # not logged in at all
    laptop.send("NICK ali")
    assert "433" in laptop.commands()
    owner = device(net, "ali2", "ali")
    owner.received()
    owner.send("NS SET MULTICLIENT OFF")
    assert any("MULTICLIENT is now off" in m.param(1) for m in owner.received())
    again = device(net, "ali", "ali")
    assert [m.command for m in again.received() if m.command in ("001", "433")] == ["433"]


def test_always_on_stays_away_and_gets_what_it_missed_once(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    ali = registered(net, "ali")
    ali.send("JOIN #class")
    bob = net.client("bob", caps="away-notify")
    bob.send("JOIN #class")
    bob.send("PRIVMSG #class :seen live")
    ali.received(), bob.received()
    net.clock.advance(5)
    ali.send("QUIT :train")
    net.clock.advance(5)
    seen = bob.received()
    assert [m for m in seen if m.command == "QUIT"] == []  # ali stays
    assert net.server.state.find_nick("ali") is not None
    away = net.server.config.always_on_away
    assert [m.params for m in seen if m.command == "AWAY"] == [(away,)]
    bob.send("WHOIS ali")
    assert [m.params[0:1] for m in lines(bob, "301")] == [("bob",)]
    bob.send("PRIVMSG #class :said while ali was away", "PRIVMSG ali :are you there?")
    assert [m.params[1] for m in bob.received() if m.command == "301"] == ["ali"]  # told: away
    net.server.flush()

    back = device(net, "ali", "ali")
    got = back.received()
    texts = [m.params[1] for m in got if m.command == "PRIVMSG"]
    assert any(t.endswith("said while ali was away") for t in texts)  # (time-stamped)
    assert any(t.endswith("are you there?") for t in texts)
    assert not any("seen live" in t for t in texts)  # only the missed lines
    assert [m.params for m in lines(bob, "AWAY")] == [()]  # back: away cleared
    net.clock.advance(5)
    back.send("QUIT")
    net.clock.advance(5)
    again = device(net, "ali", "ali")
    assert [m for m in again.received() if m.command == "PRIVMSG"] == []  # never twice


def test_kill_ends_an_always_on_user_and_ghost_too(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    ali = registered(net, "ali")
    ali.send("QUIT")
    assert net.server.state.find_nick("ali") is not None
    owner = device(net, "other", "ali")
    owner.received()
    owner.send("PRIVMSG NickServ :GHOST ali")
    assert net.server.state.find_nick("ali") is None  # GHOST ends the absent user too
    owner.send("NICK ali")
    assert [m.params[0] for m in lines(owner, "NICK")] == ["ali"]


def test_always_on_off_for_the_account_ends_it_at_quit(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=True)
    ali = registered(net, "ali")
    ali.send("NS SET ALWAYS-ON OFF")
    assert any("ALWAYS-ON is now off" in m.param(1) for m in ali.received())
    ali.send("QUIT")
    assert net.server.state.find_nick("ali") is None


def test_a_message_to_an_offline_account_is_kept_and_delivered_on_return(tmp_path: Path) -> None:
    net = stored_net(tmp_path, always_on=False)
    ali = registered(net, "ali")
    net.clock.advance(5)
    ali.send("QUIT")
    net.clock.advance(5)
    bob = net.client("bob")
    bob.send("PRIVMSG ali :homework is due friday", "PRIVMSG nobody :hello?")
    got = bob.received()
    assert [m.command for m in got] == ["301", "401"]  # kept for ali; nobody is no account
    assert "offline" in got[0].params[2]
    net.clock.advance(5)
    back = device(net, "ali", "ali")
    texts = [m.params[1] for m in back.received() if m.command == "PRIVMSG"]
    assert len(texts) == 1 and texts[0].endswith("homework is due friday")
    net.clock.advance(5)
    back.send("QUIT")
    net.clock.advance(5)
    again = device(net, "ali", "ali")
    assert [m for m in again.received() if m.command == "PRIVMSG"] == []  # never twice
    again.send("CHATHISTORY LATEST bob * 10")  # and it is in the conversation's history
    assert any("homework" in m.param(1) for m in again.received() if m.command == "PRIVMSG")


def test_sasl_without_cap_req_attaches_too(tmp_path: Path) -> None:
    """As ergo (and irctest's multiclient tests): AUTHENTICATE right after CAP LS, no REQ."""
    net = stored_net(tmp_path, always_on=True)
    registered(net, "ali")
    c = net.client()
    c.send("CAP LS 302", "AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('ali', PASSWORD)}")
    c.send("NICK ali", "USER u 0 * :r", "CAP END")
    got = [m.command for m in c.received()]
    assert "903" in got and "001" in got and "433" not in got


def test_nick_before_sasl_waits_for_the_login_then_attaches_or_gets_433(tmp_path: Path) -> None:
    """Clients send NICK before AUTHENTICATE: an account's nick asked for while CAP is open is
    answered at CAP END — attached if the login owns it, 433 then if not."""
    net = stored_net(tmp_path, always_on=True)
    registered(net, "ali")
    registered(net, "eve")
    phone = net.client()
    phone.send("CAP LS 302", "CAP REQ :sasl", "NICK ali", "USER u 0 * :r")
    assert "433" not in phone.commands()
    phone.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('ali', PASSWORD)}", "CAP END")
    got = phone.received()
    assert [m.params[0] for m in got if m.command == "001"] == ["ali"]
    assert phone.session.user is net.server.state.find_nick("ali")
    other = net.client()
    other.send("CAP LS 302", "CAP REQ :sasl", "NICK ali", "USER u 0 * :r")
    other.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('eve', PASSWORD)}", "CAP END")
    assert [m.command for m in other.received() if m.command in ("001", "433")] == ["433"]
    other.send("NICK eve2")
    assert "001" in other.commands()


HISTORY_READS = (
    "find", "message", "before", "after", "latest_time", "last_position", "get_marker",
    "conversations", "missed_private", "latest_times", "search",
)  # fmt: skip


def test_a_device_coming_back_to_many_conversations_costs_one_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """150 people wrote to an always-on account while it had no device: the device coming
    back is replayed the 100 most recent conversations, oldest first, each line once, with
    one history read of the backend (it was two per conversation: 250 here)."""
    net = stored_net(tmp_path, always_on=True)
    ali = registered(net, "ali")
    net.clock.advance(5)
    ali.send("QUIT :train")
    net.clock.advance(5)
    for i in range(150):
        c = net.client(f"u{i}")
        c.send(f"PRIVMSG ali :hello {i}", f"PRIVMSG ali :again {i}")
        net.clock.advance(0.01)
    net.server.flush()
    backend = persistence(net).backend
    calls: Counter[str] = Counter()
    for name in HISTORY_READS:
        method = getattr(backend, name)

        def counted(*args: Any, _name: str = name, _method: Any = method, **kw: Any) -> Any:
            calls[_name] += 1
            return _method(*args, **kw)

        monkeypatch.setattr(backend, name, counted)
    back = device(net, "ali", "ali")
    got = [(m.source.split("!")[0], m.params[1]) for m in back.received() if m.command == "PRIVMSG"]
    assert dict(calls) == {"missed_private": 1}
    expected = [(f"u{i}", f"{word} {i}") for i in range(50, 150) for word in ("hello", "again")]
    assert [(nick, text.split("] ", 1)[-1]) for nick, text in got] == expected


def count_reads(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of the backend's read of an account's values (its metadata, settings among it:
    always-on, multiclient, when last seen, where it was)."""
    calls: Counter[str] = Counter()
    method = backend.account_metadata

    def counted(account: str) -> Any:
        calls[account] += 1
        return method(account)

    monkeypatch.setattr(backend, "account_metadata", counted)
    return calls


def test_a_login_reads_the_accounts_values_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SASL then registration (a new user, or a device attaching to its always-on user),
    NickServ IDENTIFY once registered, REGISTER: each reads the account's values once, for
    always-on, multiclient, the last time seen and the metadata alike."""
    net = stored_net(tmp_path, always_on=True)
    ali = registered(net, "ali")
    ali.send("QUIT")
    net.server.flush()
    backend = persistence(net).backend
    calls = count_reads(backend, monkeypatch)
    new = net.client("bob")
    new.send(f"REGISTER * * {PASSWORD}")
    assert any(m.command == "900" for m in new.received())
    assert dict(calls) == {"bob": 1}
    calls.clear()
    back = device(net, "ali", "ali")  # attaches to the always-on user
    assert "001" in [m.command for m in back.received()]
    assert dict(calls) == {"ali": 1}
    calls.clear()
    other = device(net, "ali2", "ali")  # a second device: multiclient
    assert "001" in [m.command for m in other.received()]
    assert dict(calls) == {"ali": 1}
    calls.clear()
    new.send("PRIVMSG NickServ :SET ALWAYS-ON OFF", "QUIT")
    net.server.flush()
    calls.clear()
    bob = device(net, "bob", "bob")  # bob left for good: a user of its own
    assert "001" in [m.command for m in bob.received()]
    assert dict(calls) == {"bob": 1}
    calls.clear()
    late = net.client("carol")
    late.send(f"PRIVMSG NickServ :IDENTIFY ali {PASSWORD}")
    assert "900" in [m.command for m in late.received()]
    assert dict(calls) == {"ali": 1}


def test_what_changes_during_a_login_is_seen_by_its_end(tmp_path: Path) -> None:
    """The values read at the SASL login are kept up to date until registration ends: the
    account's last device leaving meanwhile moves "last seen", so what it saw live is not
    replayed to the device that then attaches (never a line twice)."""
    net = stored_net(tmp_path, always_on=True)
    registered(net, "ali").send("QUIT")
    first = device(net, "ali", "ali")
    assert "001" in [m.command for m in first.received()]
    bob = net.client("bob")
    bob.send("PRIVMSG ali :seen live by the first device")
    assert any(m.command == "PRIVMSG" for m in first.received())
    net.clock.advance(5)
    second = net.client()
    second.send("CAP LS 302", "CAP REQ :sasl", "NICK ali", "USER u 0 * :r")
    second.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('ali', PASSWORD)}")
    assert "903" in [m.command for m in second.received()]
    first.send("QUIT")  # the last device leaves while the second is logging in
    net.server.flush()
    net.clock.advance(5)
    bob.send("PRIVMSG ali :said while no device was here")
    net.server.flush()
    second.send("CAP END")
    texts = [m.params[1] for m in second.received() if m.command == "PRIVMSG"]
    assert [t.split("] ", 1)[-1] for t in texts] == ["said while no device was here"]
