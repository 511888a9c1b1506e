"""draft/read-marker in the client core: unread counts follow MARKREAD from the server, and
looking at a buffer tells the server how far it is read."""

from __future__ import annotations

from socketchat.client.events import UnreadChanged
from tests.client.test_core import feed, registered, sent_lines

CAPS = "server-time message-tags draft/read-marker"


def test_unread_follows_what_another_device_read() -> None:
    core = registered(caps=CAPS)
    core.set_current("#lobby")
    feed(
        core,
        "@time=2026-12-01T10:00:00.000Z :bob!b@h PRIVMSG alice :one",
        "@time=2026-12-01T10:00:01.000Z :bob!b@h PRIVMSG alice :two",
        "@time=2026-12-01T10:00:02.000Z :bob!b@h PRIVMSG alice :three",
    )
    assert core.unread("bob") == 3
    events = feed(core, ":irc.test MARKREAD bob timestamp=2026-12-01T10:00:01.000Z")
    assert core.unread("bob") == 1  # "two" was read on the phone; "three" was not
    assert UnreadChanged("bob", 1, True) in events
    feed(core, ":irc.test MARKREAD bob timestamp=2026-12-01T10:00:00.000Z")  # older: no change
    assert core.unread("bob") == 1
    feed(core, ":irc.test MARKREAD bob timestamp=2026-12-01T10:00:02.000Z")
    assert core.unread("bob") == 0
    feed(
        core,
        ":irc.test MARKREAD #nowhere timestamp=2026-12-01T10:00:02.000Z",
        ":irc.test MARKREAD bob *",
    )
    assert core.unread("bob") == 0


def test_looking_at_a_buffer_marks_it_read_once() -> None:
    core = registered(caps=CAPS)
    feed(core, "@time=2026-12-01T10:00:00.250Z :bob!b@h PRIVMSG #lobby :hi")
    sent_lines(core)
    core.set_current("#lobby")
    assert sent_lines(core) == ["MARKREAD #lobby timestamp=2026-12-01T10:00:00.250Z"]
    core.set_current("#lobby")  # nothing newer: nothing sent
    assert sent_lines(core) == []
    plain = registered()  # without the capability: nothing
    feed(plain, "@time=2026-12-01T10:00:00.250Z :bob!b@h PRIVMSG #lobby :hi")
    sent_lines(plain)
    plain.set_current("#lobby")
    assert sent_lines(plain) == []
