"""Unicode nicknames and channel names through the server core (casemapping = "precis"):
registration, uniqueness by fold and by confusable skeleton, 432 reasons, channels, MONITOR,
accounts; and the `ascii` option."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from socketchat.server.config import ServerConfig
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net
from tests.storage.helpers import stored_net

MAHSA = "مهسا"
ZWNJ = "\u200c"


def test_a_persian_nick_registers_and_isupport_keeps_the_ascii_token() -> None:
    net = Net()
    c = net.client()
    c.send(f"NICK {MAHSA}", f"USER {MAHSA} 0 * :Mahsa")
    got = c.received()
    (welcome,) = only(got, "001")
    assert welcome.params[0] == MAHSA
    assert welcome.params[1].endswith(f"{MAHSA}!~user@127.0.0.1")  # user@host stays ASCII
    tokens = [p for m in only(got, "005") for p in m.params[1:-1]]
    assert "CASEMAPPING=ascii" in tokens  # what ergo says too (irc/casemap.py)


def test_a_refused_nick_says_why_in_432() -> None:
    net = Net()
    c = net.client()
    for nick, why in (
        ("\u0440\u0430ul", "one script"),  # Cyrillic р а + Latin u l
        (MAHSA + "_", "right-to-left"),
        ("a" + ZWNJ + "b", "zero-width non-joiner"),
        ("☕", "hot beverage is not allowed"),
    ):
        c.send(f"NICK {nick}")
        (err,) = only(c.received(), "432")
        assert err.params[1] == nick
        assert why in err.params[2], err
    c.send("NICK paul", "USER p 0 * :p")
    assert "001" in c.commands()


def test_a_lookalike_of_a_nick_in_use_is_taken_both_ways() -> None:
    net = Net()
    net.client("pay")
    impostor = net.client()
    impostor.send("NICK \u0440\u0430\u0443", "USER u 0 * :u")  # р а у, all Cyrillic
    got = impostor.received()
    assert only(got, "433") and not only(got, "001")
    # and the other way round: a Cyrillic nick first, then the Latin lookalike
    net.client("\u0440\u0435\u0441")  # р е с
    latin = net.client()
    latin.send("NICK pec", "USER u 0 * :u")
    assert "433" in latin.commands()


def test_arabic_and_persian_spellings_of_a_nick_are_the_same_nick() -> None:
    net = Net()
    net.client("مهسی")  # Farsi yeh U+06CC
    other = net.client()
    other.send("NICK مهسي", "USER u 0 * :u")  # Arabic yeh U+064A
    assert "433" in other.commands()
    other.send("NICK كاوه")  # Arabic kaf
    assert "001" in other.commands()
    net.client("ساره")
    late = net.client()
    late.send("NICK کاوه")  # Persian kaf: the same as كاوه, which is online
    assert "433" in late.commands()


def test_zwnj_variants_clash_but_the_holder_may_switch_between_them() -> None:
    net = Net()
    with_zwnj = "می" + ZWNJ + "نا"
    a = net.client(with_zwnj)
    b = net.client()
    b.send("NICK مینا", "USER u 0 * :u")
    assert "433" in b.commands()
    a.send("NICK مینا")  # its own lookalike: a nick change, not a clash
    (nick,) = only(a.received(), "NICK")
    assert nick.params == ("مینا",)


def test_ascii_lookalikes_stay_distinct_nicks() -> None:
    net = Net()
    net.client("paul1")
    net.client("paull")  # registers (asserts 001): classic IRC, no skeleton among ASCII nicks
    net.client("pauI")


def test_case_folding_finds_unicode_nicks_for_messages_and_whois() -> None:
    net = Net()
    isil = net.client("Işıl")
    dmitri = net.client("Дмитрий")
    dmitri.send("PRIVMSG işıl :سلام")
    (pm,) = only(isil.received(), "PRIVMSG")
    assert pm.params[1] == "سلام" and pm.nick == "Дмитрий"  # (the target as the sender typed it)
    isil.send("WHOIS ДМИТРИЙ")
    assert only(isil.received(), "311")[0].params[1] == "Дмитрий"
    taker = net.client()
    taker.send("NICK дмитрий")  # the same nick in lowercase
    assert "433" in taker.commands()


def test_persian_channel_is_one_channel_and_carries_persian_talk() -> None:
    net = Net()
    mahsa, kaveh = net.client(MAHSA), net.client("کاوه")
    joined(net, "#کلاس", mahsa, kaveh)
    kaveh.send("PRIVMSG #کلاس :سلام " + MAHSA)
    (msg,) = only(mahsa.received(), "PRIVMSG")
    assert msg.params == ("#کلاس", "سلام " + MAHSA) and msg.nick == "کاوه"
    cyr1, cyr2 = net.client("anna"), net.client("boris")
    cyr1.send("JOIN #Класс")
    cyr2.send("JOIN #класс")  # the same channel, folded by PRECIS
    assert any(m.command == "JOIN" and m.nick == "boris" for m in cyr1.received())


def test_monitor_folds_unicode_nicks() -> None:
    net = Net()
    watcher = net.client("anna")
    watcher.send("MONITOR + ИВАН")
    assert only(watcher.received(), "731")
    net.client("Иван")
    (online,) = only(watcher.received(), "730")
    assert online.params[1].startswith("Иван!")


def test_nickserv_registers_and_identifies_a_persian_account(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    c = net.client(MAHSA)
    c.send("PRIVMSG NickServ :REGISTER a-long-password")
    assert any("registered" in m.param(1).lower() for m in only(c.received(), "NOTICE"))
    c.send("QUIT")
    again = net.client()
    again.send(
        f"NICK {MAHSA}", "USER u 0 * :u", f"PRIVMSG NickServ :IDENTIFY {MAHSA} a-long-password"
    )
    got = again.received()
    assert only(got, "900"), got  # RPL_LOGGEDIN: the account was found by its folded name


def test_ascii_option_refuses_unicode_nicks_and_keeps_channels_apart() -> None:
    net = Net(dataclasses.replace(ServerConfig(), casemapping="ascii"))
    try:
        c = net.client()
        c.send(f"NICK {MAHSA}")
        (err,) = only(c.received(), "432")
        assert "ASCII nicknames only" in err.params[2]
        c.send("NICK anna", "USER a 0 * :a")
        assert "001" in c.commands()
        other = net.client("boris")
        c.send("JOIN #Класс")
        other.send("JOIN #класс")  # only A-Z fold under ascii: another channel
        assert not any(m.command == "JOIN" and m.nick == "boris" for m in c.received())
    finally:
        Net()  # a default server again: the setting is process-wide (irc/casemap.py)
