"""A nick the server refuses while connecting (432/433): the reason reaches the user, and with
`ask_nick` the core asks again instead of renaming on its own (sans-I/O)."""

from __future__ import annotations

from socketchat.client.events import NickChanged, NickRefused
from tests.client.test_core import SERVER, feed, make, sent, sent_lines, texts

WHY = "Erroneous nickname: letters and digits of one script only (not Latin with Cyrillic)"


def test_ask_nick_reports_the_refusal_and_waits_for_the_users_choice() -> None:
    core = make("\u0440\u0430ul", ask_nick=True)
    sent(core)
    events = feed(core, f":{SERVER} 432 * \u0440\u0430ul :{WHY}")
    assert NickRefused("\u0440\u0430ul", WHY, taken=False) in events
    assert sent(core) == []  # no silent paul_ / guest_
    assert any("one script" in t for t in texts(events))
    core.choose_nick("مهسا")
    assert sent_lines(core) == ["NICK مهسا"]
    events = feed(core, f":{SERVER} 433 * مهسا :Nickname is already in use")
    assert NickRefused("مهسا", "Nickname is already in use", taken=True) in events
    assert sent(core) == []
    core.handle_input("/nick مهسا۲", 0.0)  # typing /nick answers too
    assert sent_lines(core) == ["NICK مهسا۲"]
    feed(core, f":{SERVER} 001 مهسا۲ :Welcome")
    assert core.nick == "مهسا۲" and core.registered


def test_without_ask_nick_the_core_still_tries_alternatives_and_says_why() -> None:
    core = make("alice")
    sent(core)
    events = feed(core, f":{SERVER} 433 * alice :Nickname is already in use")
    assert NickRefused("alice", "Nickname is already in use", taken=True) in events
    assert NickChanged("alice_") in events
    assert sent_lines(core) == ["NICK alice_"]
    assert any("(Nickname is already in use)" in t for t in texts(events))
