"""Accounts over real sockets: registration both ways, SASL, nick protection, and no password in
clear anywhere in the data directory (database, WAL, SHM)."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.support.irc import IRCClient
from tests.support.server import running_server

PASSWORD = "Sup3r-Secret-Passw0rd"


def start_sasl(c: IRCClient, nick: str, account: str, password: str) -> None:
    c.send("CAP LS 302", "CAP REQ :sasl", f"NICK {nick}", "USER u 0 * :r")
    assert "PLAIN" in c.cap_ls()["sasl"].split(",")
    c.expect("CAP", lambda m: m.param(1) == "ACK")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    token = base64.b64encode(f"\0{account}\0{password}".encode()).decode()
    c.send(f"AUTHENTICATE {token}")


def test_register_both_ways_sasl_and_nothing_in_clear_on_disk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data_dir=str(data)) as srv:
        # 1. IRCv3 REGISTER before connecting
        a = IRCClient(srv.port)
        a.send("CAP LS 302", "CAP REQ :draft/account-registration", "NICK alice", "USER a 0 * :a")
        a.send(f"REGISTER * alice@example.org {PASSWORD}")
        assert a.expect("REGISTER").params[:2] == ("SUCCESS", "alice")
        a.expect("900")
        a.send("CAP END")
        a.expect("001")
        # 2. NickServ
        b = IRCClient(srv.port).register("bob")
        b.send(f"PRIVMSG NickServ :REGISTER {PASSWORD}")
        notice = b.expect("NOTICE", lambda m: m.nick == "NickServ")
        assert notice.source == "NickServ!NickServ@services." and "registered" in notice.param(1)
        b.expect("900")
        b.send("WHOIS NickServ")
        b.expect("311", lambda m: m.param(1) == "NickServ")
        b.expect("318")
        a.send("QUIT")
        b.send("QUIT")
        # 3. SASL PLAIN: success, then failure (registration goes on without an account)
        c = IRCClient(srv.port)
        start_sasl(c, "alice", "alice", PASSWORD)
        assert c.expect("900").params[2] == "alice"
        c.expect("903")
        c.send("CAP END")
        c.expect("001")
        d = IRCClient(srv.port)
        start_sasl(d, "dave", "bob", "wrong-password")
        d.expect("904")
        d.send("CAP END")
        d.expect("001")
        # 4. IDENTIFY through NickServ
        d.send(f"PRIVMSG NickServ :IDENTIFY bob {PASSWORD}")
        d.expect("900")
        for path in data.iterdir():  # while running: db, -wal, -shm
            assert PASSWORD.encode() not in path.read_bytes(), path
    files = list(data.iterdir())
    assert any(p.name == "socketchat.db" for p in files)
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path
        assert base64.b64encode(f"\0alice\0{PASSWORD}".encode()) not in path.read_bytes()


def test_registered_nick_is_taken_back_after_the_grace_period(tmp_path: Path) -> None:
    with running_server(nick_protect_seconds=1.0, always_on=False) as srv:
        owner = IRCClient(srv.port).register("alice")
        owner.send(f"REGISTER * * {PASSWORD}")
        owner.expect("900")
        owner.send("QUIT")
        owner.closed_by_server()
        peer = IRCClient(srv.port).register("peer")
        peer.send("JOIN #room")
        peer.expect("366")
        mallory = IRCClient(srv.port)
        mallory.send("NICK alice", "USER m 0 * :m")
        warning = mallory.expect("NOTICE", lambda m: m.nick == "NickServ", timeout=5)
        assert "registered nickname" in warning.param(1)
        mallory.send("JOIN #room")
        peer.expect("JOIN", lambda m: m.nick == "alice")
        renamed = mallory.expect("NICK", timeout=10)
        assert renamed.nick == "alice" and renamed.params[0].startswith("Guest")
        assert peer.expect("NICK").params == renamed.params
        # the rightful owner can now come in with SASL and keep the nick
        back = IRCClient(srv.port)
        start_sasl(back, "alice", "alice", PASSWORD)
        back.expect("903")
        back.send("CAP END")
        back.expect("001")
        assert not [m for m in back.collect(2.0) if m.command == "NICK"]


def test_a_lookalike_of_a_registered_nick_is_protected_and_cannot_be_registered(
    tmp_path: Path,
) -> None:
    """Cyrillic "рау" while the account "pay" exists and its owner is away: REGISTER of it is
    refused (ACCOUNT_EXISTS), and the nick is taken back like "pay" itself would be."""
    lookalike = "\u0440\u0430\u0443"
    with running_server(nick_protect_seconds=1.0, always_on=False) as srv:
        owner = IRCClient(srv.port).register("pay")
        owner.send(f"REGISTER * * {PASSWORD}")
        owner.expect("900")
        owner.send("QUIT")
        owner.closed_by_server()
        mallory = IRCClient(srv.port)
        mallory.send("CAP LS 302", "CAP REQ :draft/account-registration", "CAP END")
        mallory.send(f"NICK {lookalike}", "USER m 0 * :m")
        mallory.expect("001")
        warning = mallory.expect("NOTICE", lambda m: m.nick == "NickServ", timeout=5)
        assert "looks like the registered nickname pay" in warning.param(1)
        mallory.send("REGISTER * * another-password-1")
        fail = mallory.expect("FAIL")
        assert fail.params[:3] == ("REGISTER", "ACCOUNT_EXISTS", lookalike)
        renamed = mallory.expect("NICK", timeout=10)
        assert renamed.nick == lookalike and renamed.params[0].startswith("Guest")
