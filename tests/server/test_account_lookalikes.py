"""Lookalikes of registered accounts, through the sans-I/O core with a real SQLite file: a
whole-Cyrillic ``рау`` (U+0440 U+0430 U+0443) looks like the account ``pay``, so it cannot be
registered as an account, and a client that takes it while ``pay``'s owner is away is warned and
renamed like one taking ``pay`` itself; ``pay``'s owner may use it."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net

LOOKALIKE = "\u0440\u0430\u0443"  # Cyrillic "рау": looks like "pay", shares its skeleton


def nickserv(got: list[Message]) -> list[str]:
    return [m.param(1) for m in got if m.command == "NOTICE" and m.nick == "NickServ"]


def with_pay(tmp_path: Path, **settings: object) -> Net:
    """A server on which the account `pay` exists and its owner has left."""
    net = stored_net(tmp_path, **settings)
    owner = net.client("pay")
    owner.send("REGISTER * * pay-password", "QUIT")
    assert persistence(net).backend.get_account("pay") is not None
    return net


def test_register_of_a_lookalike_is_refused_with_account_exists(tmp_path: Path) -> None:
    net = with_pay(tmp_path)
    c = net.client(LOOKALIKE, "draft/account-registration standard-replies")
    c.send("REGISTER * * other-password")
    fail = next(m for m in c.received() if m.command == "FAIL")
    assert fail.params[:3] == ("REGISTER", "ACCOUNT_EXISTS", LOOKALIKE)
    assert "looks like the registered account pay" in fail.params[-1]
    assert c.session.account is None
    assert persistence(net).backend.get_account(LOOKALIKE) is None


def test_nickserv_register_of_a_lookalike_is_refused(tmp_path: Path) -> None:
    net = with_pay(tmp_path)
    c = net.client(LOOKALIKE)
    c.send("PRIVMSG NickServ :REGISTER other-password")
    texts = nickserv(c.received())
    assert any("Registration failed" in t and "registered account pay" in t for t in texts)
    assert c.session.account is None
    assert persistence(net).backend.get_account(LOOKALIKE) is None


def test_an_ascii_account_and_a_lookalike_of_a_unicode_one(tmp_path: Path) -> None:
    """The other way round: with Cyrillic ``рау`` registered, ``pay`` is its lookalike; two
    ASCII names never clash by skeleton (``paul1`` and ``paull`` stay distinct accounts)."""
    net = stored_net(tmp_path)
    net.client(LOOKALIKE).send("REGISTER * * ru-password", "QUIT")
    c = net.client("pay", "draft/account-registration")
    c.send("REGISTER * * other-password")
    assert next(m for m in c.received() if m.command == "FAIL").params[1] == "ACCOUNT_EXISTS"
    for name in ("paul1", "paull"):
        c = net.client(name, "draft/account-registration")
        c.send("REGISTER * * some-password")
        assert "900" in [m.command for m in c.received()], name
        c.send("QUIT")


def test_a_lookalike_nick_is_protected_as_the_account(tmp_path: Path) -> None:
    net = with_pay(tmp_path, nick_protect_seconds=30)
    mallory = net.client()
    mallory.send(f"NICK {LOOKALIKE}", "USER m 0 * :m")
    texts = nickserv(mallory.received())
    assert any(
        f"{LOOKALIKE} looks like the registered nickname pay" in t and "IDENTIFY pay" in t
        for t in texts
    ), texts
    net.clock.advance(31)
    net.server.tick()
    net.server.flush()
    assert mallory.session.nick.startswith("Guest")


def test_another_account_holder_is_renamed_too(tmp_path: Path) -> None:
    net = with_pay(tmp_path, nick_protect_seconds=30)
    eve = net.client("eve")
    eve.send("REGISTER * * eve-password")
    assert eve.session.account == "eve"
    eve.received()
    eve.send(f"NICK {LOOKALIKE}")
    assert any("looks like the registered nickname pay" in t for t in nickserv(eve.received()))
    net.clock.advance(31)
    net.server.tick()
    assert eve.session.nick.startswith("Guest")


def test_the_owner_may_use_the_lookalike_and_identify_for_it(tmp_path: Path) -> None:
    """As in ergo (irctest ``testConfusableNicks``): the account's owner can switch to the
    confusable nick. Someone on it who identifies for ``pay`` keeps it."""
    net = with_pay(tmp_path, nick_protect_seconds=30)
    owner = net.client("pay")
    owner.send("PRIVMSG NickServ :IDENTIFY pay-password")
    assert owner.session.account == "pay"
    owner.received()
    owner.send(f"NICK {LOOKALIKE}")
    got = owner.received()
    assert any(m.command == "NICK" and m.params == (LOOKALIKE,) for m in got)
    assert not nickserv(got)
    owner.send("QUIT")
    late = net.client()
    late.send(f"NICK {LOOKALIKE}", "USER l 0 * :l")
    assert any("looks like" in t for t in nickserv(late.received()))
    net.clock.advance(10)
    late.send("PRIVMSG NickServ :IDENTIFY pay pay-password")
    net.clock.advance(60)
    net.server.tick()
    assert late.session.nick == LOOKALIKE and late.session.account == "pay"


def test_an_unrelated_unicode_nick_gets_no_warning(tmp_path: Path) -> None:
    net = with_pay(tmp_path, nick_protect_seconds=30)
    c: Client = net.client()
    c.send("NICK \u0431\u043e\u0440\u044f", "USER b 0 * :b")  # Cyrillic "боря"
    assert not nickserv(c.received())


def test_the_owner_ghosts_whoever_holds_a_lookalike(tmp_path: Path) -> None:
    """Someone on "рау" keeps pay's owner from taking "pay" (433, the online skeleton rule)
    until the rename: GHOST pay (or GHOST рау) frees it at once, for the owner only."""
    net = with_pay(tmp_path, nick_protect_seconds=30)
    mallory = net.client(LOOKALIKE)
    eve = net.client("eve")
    eve.send("REGISTER * * eve-password", f"PRIVMSG NickServ :GHOST {LOOKALIKE}")
    assert "You may only ghost your own account's nick." in nickserv(eve.received())
    owner = net.client("owner")
    owner.send("PRIVMSG NickServ :IDENTIFY pay pay-password", "NICK pay")
    assert "433" in [m.command for m in owner.received()]
    owner.send("PRIVMSG NickServ :GHOST pay")
    assert "pay has been disconnected." in nickserv(owner.received())
    assert mallory.session.closed
    owner.send("NICK pay")
    assert owner.session.nick == "pay"
