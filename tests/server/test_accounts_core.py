"""Accounts through the sans-I/O core with a real SQLite file: REGISTER, SASL PLAIN, NickServ,
failed-login throttling and nick protection on the fake clock."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from socketchat.irc.message import Message
from tests.server.harness import Client
from tests.storage.helpers import persistence, stored_net


def plain(account: str, password: str, authzid: str = "") -> str:
    return base64.b64encode(f"{authzid}\0{account}\0{password}".encode()).decode()


def numerics(got: list[Message]) -> list[str]:
    return [m.command for m in got if m.command.isdigit() or m.command in ("FAIL", "REGISTER")]


def notices_from_nickserv(got: list[Message]) -> list[str]:
    return [m.param(1) for m in got if m.command == "NOTICE" and m.nick == "NickServ"]


def sasl_login(c: Client, nick: str, account: str, password: str) -> list[Message]:
    c.send("CAP LS 302", "CAP REQ :sasl account-tag", f"NICK {nick}", "USER u 0 * :r")
    c.send("AUTHENTICATE PLAIN")
    assert c.received()[-1] == Message("AUTHENTICATE", ("+",))
    c.send(f"AUTHENTICATE {plain(account, password)}")
    got = c.received()
    c.send("CAP END")
    return got + c.received()


def test_register_before_connect_logs_in(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    assert net.server.caps["draft/account-registration"] == "before-connect"
    c = net.client()
    c.send("CAP LS 302", "CAP REQ :draft/account-registration", "NICK alice", "USER a 0 * :r")
    c.send("REGISTER * alice@example.org s3cret-pw")
    got = c.received()
    assert Message("REGISTER", ("SUCCESS", "alice", "Account created"), "socketchat.local") in got
    assert "900" in numerics(got) and "001" not in numerics(got)
    c.send("CAP END")
    assert "001" in numerics(c.received())
    assert c.session.account == "alice"
    account = persistence(net).backend.get_account("ALICE")
    assert account is not None and account.email == "alice@example.org"
    assert "s3cret-pw" not in account.password_hash and account.password_hash.startswith("scrypt$")


def test_register_refusals(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice")
    net.client("bob")
    alice.send("REGISTER * * short")
    assert alice.received()[0].params[:3] == ("REGISTER", "WEAK_PASSWORD", "alice")
    alice.send("REGISTER bob * longenough", "REGISTER NickServ * longenough")
    assert [m.params[1:3] for m in alice.received()] == [
        ("ACCOUNT_NAME_MUST_BE_NICK", "bob"),  # an account is named after its owner's nick
        ("ACCOUNT_NAME_MUST_BE_NICK", "NickServ"),
    ]
    alice.send("REGISTER * not-an-email longenough")
    assert alice.received()[0].params[1] == "INVALID_EMAIL"
    alice.send("REGISTER * * longenough")
    assert "900" in numerics(alice.received())
    alice.send("REGISTER * * longenough")
    assert alice.received()[0].params[1] == "ALREADY_AUTHENTICATED"
    alice.send("QUIT")
    carol = net.client("carol")
    carol.send("NICK alice", "REGISTER alice * whatever1")
    assert carol.received()[-1].params[1] == "ACCOUNT_EXISTS"
    carol.send("VERIFY alice 1234")
    assert carol.received()[0].params[:2] == ("VERIFY", "INVALID_CODE")


def test_sasl_plain_success_and_failures(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * correct-horse", "QUIT")
    watcher = net.client("watcher", "account-notify extended-join account-tag")
    watcher.send("JOIN #room")
    watcher.received()
    c = net.client()
    got = sasl_login(c, "alice", "alice", "correct-horse")
    order = numerics(got)
    assert order.index("900") < order.index("903") < order.index("001")
    c.send("JOIN #room", "PRIVMSG #room :hi")
    seen = watcher.received()
    join = next(m for m in seen if m.command == "JOIN")
    assert join.params[1] == "alice"  # extended-join carries the account
    assert next(m for m in seen if m.command == "PRIVMSG").tags["account"] == "alice"
    c.received()
    c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('alice', 'wrong-horse')}")
    assert numerics(c.received()) == ["904"]
    assert c.session.account == "alice"  # a failed reauthentication keeps the account

    bad = net.client()
    got = sasl_login(bad, "bob", "alice", "wrong-horse")
    assert "904" in numerics(got) and "001" in numerics(got)  # registration went on
    assert bad.session.account is None
    other = net.client()
    other.send("CAP REQ :sasl", "AUTHENTICATE SCRAM-SHA-1")
    assert numerics(other.received()) == ["908", "904"]
    other.send("AUTHENTICATE PLAIN", "AUTHENTICATE *")
    assert numerics(other.received()) == ["906"]
    other.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + "A" * 401)
    assert numerics(other.received()) == ["905"]
    other.send("AUTHENTICATE PLAIN", "AUTHENTICATE not*base64")
    assert numerics(other.received()) == ["904"]
    nocap = net.client()  # without CAP REQ sasl: accepted, as ergo does
    nocap.send("AUTHENTICATE PLAIN")
    assert nocap.received()[-1] == Message("AUTHENTICATE", ("+",))
    unknown = net.client()
    unknown.send("AUTHENTICATE SCRAM-SHA-256")  # a mechanism we do not have: 908, 904
    assert numerics(unknown.received()) == ["908", "904"]


def test_sasl_reauthenticates_to_another_account(tmp_path: Path) -> None:
    """IRCv3 SASL 3.2: "Servers SHOULD allow a client, authenticated or otherwise, to
    reauthenticate by sending a new AUTHENTICATE message at any time." (It used to be 907.)"""
    net = stored_net(tmp_path)
    for name in ("foo", "jilles"):
        owner = net.client(name)
        owner.send(f"REGISTER * * {name}-password", "QUIT")
    watcher = net.client("watcher", "account-notify")
    watcher.send("JOIN #room")
    c = net.client()
    sasl_login(c, "user", "foo", "foo-password")
    assert c.session.account == "foo"
    c.send("JOIN #room")
    c.received()
    watcher.received()
    c.send("AUTHENTICATE PLAIN")
    assert c.received() == [Message("AUTHENTICATE", ("+",))]
    c.send(f"AUTHENTICATE {plain('jilles', 'jilles-password')}")
    assert numerics(c.received()) == ["900", "903"]
    assert c.session.account == "jilles"
    (notify,) = [m for m in watcher.received() if m.command == "ACCOUNT"]
    assert notify.params == ("jilles",)


def test_the_shortest_password_is_a_setting(tmp_path: Path) -> None:
    net = stored_net(tmp_path, min_password_length=3)
    c = net.client("foo")
    c.send("REGISTER * * ba")
    assert c.received()[0].params[1:3] == ("WEAK_PASSWORD", "foo")
    c.send("REGISTER * * bar")
    assert "900" in numerics(c.received())


def test_register_names_the_nick_asked_for_and_refuses_land_grabs(tmp_path: Path) -> None:
    """Before registration, `REGISTER *` names the nick the client asked for, even when that
    nick was refused with 433: someone else holds it, so the answer is ACCOUNT_EXISTS (the
    account would take the name from under them), not NEED_NICK."""
    net = stored_net(tmp_path)
    net.client("root")  # an anonymous user holds the nick
    grabber = net.client()
    grabber.send("CAP LS 302", "CAP REQ :draft/account-registration", "NICK root")
    assert "433" in numerics(grabber.received())
    grabber.send("REGISTER * * shivarampassphrase")
    (fail,) = [m for m in grabber.received() if m.command == "FAIL"]
    assert fail.params[:3] == ("REGISTER", "ACCOUNT_EXISTS", "root")
    assert persistence(net).backend.get_account("root") is None
    early = net.client()
    early.send("CAP LS 302", "REGISTER carol * rightpassword")  # no NICK yet
    assert [m.params[:3] for m in early.received() if m.command == "FAIL"] == [
        ("REGISTER", "NEED_NICK", "*")
    ]
    early.send("NICK carol", "REGISTER other * rightpassword", "REGISTER carol * rightpassword")
    got = [m for m in early.received() if m.command in ("FAIL", "REGISTER")]
    assert got[0].params[1:3] == ("ACCOUNT_NAME_MUST_BE_NICK", "other")
    assert got[1].params[:2] == ("SUCCESS", "carol")


def test_sasl_splits_long_payloads(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * " + "p" * 300, "QUIT")
    c = net.client()
    c.send("CAP REQ :sasl", "NICK alice", "USER u 0 * :r", "AUTHENTICATE PLAIN")
    assert "001" not in numerics(c.received())
    payload = plain("alice", "p" * 300)
    assert len(payload) > 400
    c.send(f"AUTHENTICATE {payload[:400]}")
    assert numerics(c.received()) == []
    c.send(f"AUTHENTICATE {payload[400:]}")
    assert numerics(c.received())[:2] == ["900", "903"]
    c.send("CAP END")
    assert "001" in numerics(c.received())


def test_ending_registration_during_sasl_aborts_it_with_906(tmp_path: Path) -> None:
    """IRCv3 SASL: "If the client completes registration (with CAP END, NICK, USER ...) while
    the SASL authentication is still in progress, the server SHOULD abort it and send a 906
    numeric, then register the client without authentication." (It used to wait forever.)"""
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * the-password", "QUIT")
    c = net.client()
    c.send("CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
    assert c.received()[-1] == Message("AUTHENTICATE", ("+",))
    c.send("NICK reguser", "USER reguser 0 * :Test")
    assert "001" not in numerics(c.received())  # still negotiating capabilities
    c.send("CAP END")
    got = numerics(c.received())
    assert got[:2] == ["906", "001"]
    assert c.session.sasl is None and c.session.account is None
    c.send(f"AUTHENTICATE {plain('alice', 'the-password')}")  # too late: no exchange runs
    assert "900" not in numerics(c.received()) and c.session.account is None


def test_an_endless_sasl_message_fails_with_904_and_the_connection_stays(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("foo")
    owner.send("REGISTER * * sesame-sesame", "QUIT")
    c = net.client()
    c.send("CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
    c.received()
    c.send("AUTHENTICATE " + plain("foo", "x" * 400, "foo")[:400])
    chunk = base64.b64encode(b"x" * 400).decode()[:400]
    c.send(*[f"AUTHENTICATE {chunk}"] * 20)
    got = numerics(c.received())
    assert got[0] == "904" and "905" not in got
    assert not c.session.closed and c.session.sasl is None
    c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain('foo', 'sesame-sesame')}")
    assert numerics(c.received())[-2:] == ["900", "903"]


def test_failed_logins_are_throttled_per_account_and_ip(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice")
    owner.send("REGISTER * * the-password")
    owner.send("QUIT")
    c = net.client("mallory")
    for _ in range(5):
        c.send("PRIVMSG NickServ :IDENTIFY alice guess")
    assert notices_from_nickserv(c.received()) == ["Login failed: invalid."] * 5
    c.send("PRIVMSG NickServ :IDENTIFY alice the-password")  # right, but this address is locked
    assert notices_from_nickserv(c.received()) == [
        "Login failed: too many failed attempts; try later."
    ]
    c.send("PRIVMSG NickServ :IDENTIFY other guess")  # ... for every account
    assert "too many" in notices_from_nickserv(c.received())[0]
    elsewhere = net.client("rightful", ip="10.0.0.9")  # the owner, elsewhere, is not locked out
    elsewhere.send("PRIVMSG NickServ :IDENTIFY alice the-password")
    assert notices_from_nickserv(elsewhere.received()) == ["You are now identified as alice."]
    net.clock.advance(61)
    c.send("PRIVMSG NickServ :IDENTIFY alice the-password")
    assert notices_from_nickserv(c.received()) == ["You are now identified as alice."]


def test_many_addresses_lock_an_account_but_not_for_its_usual_address(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    owner = net.client("alice", ip="10.0.0.1")
    owner.send("REGISTER * * the-password", "PRIVMSG NickServ :LOGOUT")
    owner.received()
    for i in range(10):  # 10 addresses x 5 guesses: the account-wide limit (50)
        bot = net.client(f"bot{i}", ip=f"192.0.2.{i}")
        bot.send(*["PRIVMSG NickServ :IDENTIFY alice guess"] * 5)
    fresh = net.client("fresh", ip="198.51.100.1")
    fresh.send("PRIVMSG NickServ :IDENTIFY alice the-password")
    assert "too many" in notices_from_nickserv(fresh.received())[0]
    owner.send("PRIVMSG NickServ :IDENTIFY alice the-password")  # logged in from here before
    assert notices_from_nickserv(owner.received()) == ["You are now identified as alice."]


def test_nickserv_commands(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", "account-notify")
    friend = net.client("friend", "account-notify")
    alice.send("JOIN #room")
    friend.send("JOIN #room")
    alice.received()
    friend.received()
    alice.send("PRIVMSG NickServ :HELP")
    got = alice.received()
    assert got[0].source == "NickServ!NickServ@services."
    assert any("IDENTIFY" in line for line in notices_from_nickserv(got))
    alice.send("PRIVMSG nickserv :REGISTER pass-word-1 alice@example.org")
    got = alice.received()
    assert notices_from_nickserv(got) == ["alice is now registered to you."]
    assert any(m.command == "ACCOUNT" and m.params == ("alice",) for m in got)
    assert any(m.command == "ACCOUNT" for m in friend.received())
    alice.send("PRIVMSG NickServ :INFO")
    assert "alice was registered" in notices_from_nickserv(alice.received())[0]
    alice.send("PRIVMSG NickServ :LOGOUT")
    got = alice.received()
    assert "901" in numerics(got) and Message("ACCOUNT", ("*",)).params in [m.params for m in got]
    alice.send("PRIVMSG NickServ :IDENTIFY pass-word-1")
    assert notices_from_nickserv(alice.received()) == ["You are now identified as alice."]
    alice.send("PRIVMSG NickServ :FROB")
    assert "Unknown command" in notices_from_nickserv(alice.received())[0]
    friend.send("NICK NickServ")
    assert numerics(friend.received()) == ["433"]
    assert persistence(net).backend.before("p:x y", None, 10) == []  # nothing stored for it


def test_nick_protection_renames_after_the_grace_period(tmp_path: Path) -> None:
    net = stored_net(tmp_path, nick_protect_seconds=30)
    owner = net.client("alice")
    owner.send("REGISTER * * the-password", "QUIT")
    peer = net.client("peer")
    peer.send("JOIN #room")
    mallory = net.client()
    mallory.send("NICK alice", "USER m 0 * :m")
    got = mallory.received()
    assert any("registered nickname" in t for t in notices_from_nickserv(got))
    mallory.send("JOIN #room")
    peer.received()
    net.clock.advance(29)
    net.server.tick()
    net.server.flush()
    assert mallory.session.nick == "alice"
    net.clock.advance(2)
    net.server.tick()
    net.server.flush()
    guest = mallory.session.nick
    assert guest.startswith("Guest") and guest[5:].isdigit()
    nick = next(m for m in mallory.received() if m.command == "NICK")
    assert nick.params == (guest,) and nick.nick == "alice"
    assert any(m.command == "NICK" and m.params == (guest,) for m in peer.received())


def test_identifying_in_time_keeps_the_nick(tmp_path: Path) -> None:
    net = stored_net(tmp_path, nick_protect_seconds=30)
    owner = net.client("alice")
    owner.send("REGISTER * * the-password", "QUIT")
    back = net.client("alice")
    net.clock.advance(10)
    back.send("PRIVMSG NickServ :IDENTIFY the-password")
    net.clock.advance(60)
    net.server.tick()
    assert back.session.nick == "alice"
    other = net.client("bob")
    other.send("NICK alice")  # taken: the usual 433, no protection involved
    assert numerics(other.received()) == ["433"]


def test_sasl_payloads_that_do_not_decode_end_the_exchange_with_904(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`AUTHENTICATE é` made b64decode raise ValueError: INTERNAL_ERROR, a traceback, and the
    exchange stayed open (registration kept waiting for it)."""
    net = stored_net(tmp_path)
    bad_payloads = [
        "é",
        "ÿÿÿÿ",
        base64.b64encode(b"\xff\xfe\0x\0y").decode(),  # base64 of something not UTF-8
        "QUJD=",  # bad padding
        "=",
    ]
    for payload in bad_payloads:
        c = net.client()
        c.send("CAP REQ :sasl", "NICK n", "USER u 0 * :r", "AUTHENTICATE PLAIN")
        c.received()
        c.send(f"AUTHENTICATE {payload}")
        got = c.received()
        assert "904" in numerics(got), (payload, got)
        assert not [m for m in got if m.command == "FAIL"], got
        assert c.session.sasl is None
        c.send("CAP END")
        assert "001" in numerics(c.received())  # the exchange ended: registration goes on
        c.send("QUIT")
    assert "Traceback" not in caplog.text
