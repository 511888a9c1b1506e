"""client/notify.py: which lines alert, what the terminal is sent, the throttle."""

from __future__ import annotations

from datetime import UTC, datetime

from socketchat.client.events import ChatLine
from socketchat.client.notify import (
    AlertThrottle,
    alert_text,
    terminal_mode,
    terminal_sequence,
    wants_alert,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def line(buffer: str, text: str, **kw: object) -> ChatLine:
    fields: dict[str, object] = {"nick": "bob", "highlight": True} | kw
    return ChatLine(buffer, NOW, text=text, **fields)  # type: ignore[arg-type]


def test_which_lines_alert() -> None:
    pm = line("bob", "hi")
    assert wants_alert(pm, "#lobby", True)  # another tab
    assert not wants_alert(pm, "bob", True)  # looking at it
    assert wants_alert(pm, "BOB", False)  # shown, but the window is not focused
    assert not wants_alert(line("#lobby", "x", highlight=False), "bob", False)
    assert not wants_alert(line("bob", "x", self_msg=True), "#lobby", False)
    assert not wants_alert(line("bob", "x", history=True), "#lobby", False)
    assert not wants_alert(line("bob", "x", kind="notice"), "#lobby", False)
    assert wants_alert(line("bob", "waves", kind="action"), "#lobby", False)


def test_texts_and_sequences_carry_no_control_characters() -> None:
    assert alert_text(line("#class", "\x02alice\x02: سلام"), True) == ("#class", "bob: alice: سلام")
    assert alert_text(line("bob", "waves", kind="action"), False) == ("bob", "* bob waves")
    assert terminal_sequence("bell", "t", "b") == "\a"
    assert terminal_sequence("off", "t", "b") == ""
    assert terminal_sequence("osc9", "bob", "hi") == "\a\x1b]9;bob: hi\a"
    evil = "x\x07\x1b]0;pwned\x07\x9c y"
    seq = terminal_sequence("osc777", "a;b", evil)
    assert seq == "\a\x1b]777;notify;a,b;x]0;pwned y\a"
    assert seq.count("\x1b") == 1 and seq.count("\a") == 2
    wrapped = terminal_sequence("osc777", "bob", "hi", tmux=True)
    assert wrapped == "\a\x1bPtmux;\x1b\x1b]777;notify;bob;hi\a\x1b\\"
    assert len(terminal_sequence("osc9", "t", "x" * 1000)) < 300


def test_terminal_mode_from_the_environment() -> None:
    assert terminal_mode({}) == "bell"
    assert terminal_mode({"SOCKETCHAT_NOTIFY": "off", "TERM_PROGRAM": "iTerm.app"}) == "off"
    assert terminal_mode({"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert terminal_mode({"TERM_PROGRAM": "WezTerm"}) == "osc9"
    assert terminal_mode({"WT_SESSION": "1"}) == "osc9"
    assert terminal_mode({"TERM": "foot"}) == "osc777"
    assert terminal_mode({"TERM": "rxvt-unicode-256color"}) == "osc777"
    assert terminal_mode({"TERM": "foot", "TMUX": "/tmp/x,1,0"}) == "bell"
    assert terminal_mode({"TERM": "xterm-256color"}) == "bell"
    assert terminal_mode({"SOCKETCHAT_NOTIFY": "OSC777", "TMUX": "x"}) == "osc777"
    assert terminal_mode({"SOCKETCHAT_NOTIFY": "nonsense"}) == "bell"


def test_throttle_rings_once_per_conversation_per_interval() -> None:
    now = [0.0]
    throttle = AlertThrottle(lambda: now[0], seconds=5)
    assert throttle.admit("bob")
    assert not throttle.admit("BOB")
    assert throttle.admit("#lobby")
    now[0] = 5.0
    assert throttle.admit("bob")
