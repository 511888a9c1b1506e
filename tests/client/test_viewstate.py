"""The view-state reducer the desktop and terminal clients share, fed by a real core's events
(no Tk, no Textual)."""

from __future__ import annotations

from dataclasses import replace

from socketchat.client.core import ClientConfig, ClientCore
from socketchat.client.events import (
    STATUS_BUFFER,
    ChannelEntry,
    ChannelList,
    LineRedacted,
    Member,
    MembersChanged,
    PresenceChanged,
    StatusChanged,
    UnreadChanged,
)
from socketchat.client.i18n import set_language
from socketchat.client.rtl import display_text
from socketchat.client.viewstate import (
    Change,
    LocalCommand,
    ViewState,
    body_text,
    local_command,
    quote_line,
    reactions_line,
    status_text,
)

NOW = 1_700_000_000.0


def connected() -> tuple[ClientCore, ViewState]:
    core = ClientCore(ClientConfig(nick="alice", channels=("#lobby", "#dev")))
    view = ViewState("alice")
    core.connecting(NOW, "irc.test")
    core.connection_made(NOW)
    for line in (
        ":irc.test CAP * LS :",
        ":irc.test 001 alice :Welcome",
        ":alice!~a@h JOIN #lobby",
        ":irc.test 332 alice #lobby :All about sockets",
        ":irc.test 353 alice = #lobby :@alice bob +carol",
        ":irc.test 366 alice #lobby :End",
        ":alice!~a@h JOIN #dev",
        ":irc.test 353 alice = #dev :alice bob",
        ":irc.test 366 alice #dev :End",
    ):
        core.receive_line(line, NOW)
    pump(core, view)
    view.show("#lobby")
    core.set_current("#lobby")
    pump(core, view)
    return core, view


def pump(core: ClientCore, view: ViewState) -> Change:
    change = Change()
    for event in core.pop_events():
        change = change | view.apply(event)
    return change


def feed(core: ClientCore, view: ViewState, *lines: str) -> Change:
    for line in lines:
        core.receive_line(line, NOW)
    return pump(core, view)


def test_tabs_members_and_topic_follow_the_core() -> None:
    core, view = connected()
    assert list(view.tabs) == [STATUS_BUFFER, "#lobby", "#dev"]
    assert [m.prefixes + m.nick for m in view.members_shown()] == ["@alice", "+carol", "bob"]
    assert view.topic_line() == "#lobby — All about sockets"
    change = feed(core, view, ":bob!~b@h TOPIC #lobby :Now with TLS")
    assert change.topic and view.topic_line() == "#lobby — Now with TLS"
    change = feed(core, view, ":dave!~d@h JOIN #dev")
    assert not change.members  # #dev is not shown
    assert [m.nick for m in view.tabs["#dev"].members] == ["alice", "bob", "dave"]


def test_unread_and_mentions_per_tab_cleared_when_shown() -> None:
    core, view = connected()
    change = feed(core, view, ":bob!~b@h PRIVMSG #dev :one", ":bob!~b@h PRIVMSG #dev :two")
    assert change.relabel == ("#dev",)
    assert (view.tabs["#dev"].unread, view.tabs["#dev"].highlight) == (2, False)
    feed(core, view, ":bob!~b@h PRIVMSG #dev :alice: are you there?")
    assert (view.tabs["#dev"].unread, view.tabs["#dev"].highlight) == (3, True)
    feed(core, view, ":bob!~b@h PRIVMSG #lobby :here")
    assert view.tabs["#lobby"].unread == 0
    change = view.show("#dev")
    assert change.relabel == ("#dev",) and change.members and change.topic
    assert (view.tabs["#dev"].unread, view.tabs["#dev"].highlight) == (0, False)


def test_the_shown_tab_counts_nothing_even_before_the_core_knows() -> None:
    _core, view = connected()
    view.show("#dev")  # the user clicked; the core (another thread) has not heard yet
    assert view.apply(UnreadChanged("#dev", 4, True)) == Change()
    assert view.tabs["#dev"].unread == 0


def test_a_private_tab_lists_its_peer_and_us_and_follows_renames() -> None:
    core, view = connected()
    feed(core, view, ":carol!~c@h PRIVMSG alice :psst")
    assert view.tabs["carol"].kind == "query"
    assert (view.tabs["carol"].unread, view.tabs["carol"].highlight) == (1, True)
    view.show("carol")
    assert [m.nick for m in view.members_shown()] == ["carol", "alice"]
    assert view.topic_line() == "Private conversation with carol"
    assert view.nick_candidates() == ["carol", "alice"]
    change = feed(core, view, ":carol!~c@h NICK caroline")
    assert view.shown == "caroline" and "carol" not in view.tabs
    assert change.members and "caroline" in change.relabel
    assert [m.nick for m in view.members_shown()] == ["caroline", "alice"]


def test_our_nick_change_retitles_and_is_not_a_completion() -> None:
    core, view = connected()
    change = feed(core, view, ":alice!~a@h NICK alicia")
    assert change.title and view.nick == "alicia"
    assert view.nick_candidates() == ["carol", "bob"]


def test_closing_a_tab_forgets_it_and_the_status_tab_has_no_members() -> None:
    core, view = connected()
    feed(core, view, ":alice!~a@h PART #dev")
    assert "#dev" not in view.tabs
    view.show(STATUS_BUFFER)
    assert view.members_shown() == ()
    assert "help" in view.topic_line()
    assert view.apply(MembersChanged("#gone", (Member("x"),))) == Change()


def test_modes_are_shown_with_the_topic_and_refreshed_on_rejoin() -> None:
    core, view = connected()
    assert core.data_to_send().decode().count("MODE #") == 2  # asked after each join
    change = feed(core, view, ":irc.test 324 alice #lobby +nt")
    assert change.topic and view.topic_line() == "#lobby [+nt] — All about sockets"
    feed(core, view, ":bob!~b@h MODE #lobby +k secret")
    assert view.topic_line() == "#lobby [+knt secret] — All about sockets"
    core.connection_lost(NOW, "restart")
    core.connection_made(NOW)
    feed(core, view, ":irc.test CAP * LS :", ":irc.test 001 alice :Welcome")
    feed(core, view, ":alice!~a@h JOIN #lobby")  # no 332: the restarted server has no topic
    assert view.topic_line() == "#lobby — no topic"


def look(core: ClientCore, view: ViewState, name: str) -> None:
    """What the views do when the user clicks a tab."""
    view.show(name)
    core.set_current(name)
    pump(core, view)


def test_the_unread_marker_goes_above_the_first_unread_line() -> None:
    core, view = connected()
    feed(core, view, "@time=2026-01-01T10:00:00.000Z :bob!~b@h PRIVMSG #dev :old news")
    look(core, view, "#dev")  # read it
    look(core, view, "#lobby")
    feed(
        core,
        view,
        "@time=2026-01-01T10:01:00.000Z :bob!~b@h PRIVMSG #dev :first new",
        "@time=2026-01-01T10:01:30.000Z :carol!~c@h JOIN #dev",  # not counted
        "@time=2026-01-01T10:02:00.000Z :bob!~b@h PRIVMSG #dev :second new",
    )
    look(core, view, "#dev")
    lines = core.lines("#dev")
    marker = view.marker("#dev", lines)
    assert marker is not None and marker.text == "first new"
    feed(core, view, "@time=2026-01-01T10:03:00.000Z :bob!~b@h PRIVMSG #dev :while looking")
    assert view.marker("#dev", core.lines("#dev")) is marker  # until the tab is left
    look(core, view, "#lobby")
    look(core, view, "#dev")
    assert view.marker("#dev", core.lines("#dev")) is None  # nothing unread any more


def test_the_marker_follows_what_was_read_on_another_device() -> None:
    core, view = connected()
    core.caps.add("draft/read-marker")
    feed(
        core,
        view,
        "@time=2026-01-01T10:00:00.000Z :bob!~b@h PRIVMSG #dev :one",
        "@time=2026-01-01T10:01:00.000Z :bob!~b@h PRIVMSG #dev :two",
        "@time=2026-01-01T10:02:00.000Z :bob!~b@h PRIVMSG #dev :three",
    )
    assert view.tabs["#dev"].unread == 3
    feed(core, view, ":irc.test MARKREAD #dev timestamp=2026-01-01T10:01:00.000Z")  # the phone
    assert view.tabs["#dev"].unread == 1
    core.handle_input("/join #dev", NOW)  # switched by a command: the core tells the view
    change = pump(core, view)
    assert view.shown == "#dev" and change.topic and "#dev" in change.redraw
    marker = view.marker("#dev", core.lines("#dev"))
    assert marker is not None and marker.text == "three"


def test_lang_and_theme_are_the_views_own_commands() -> None:
    assert local_command("/lang fa") == LocalCommand(language="fa")
    assert local_command("/THEME Light") == LocalCommand(theme="light")
    assert "fa (فارسی)" in (local_command("/lang xx") or LocalCommand()).error
    assert (local_command("/theme") or LocalCommand()).error
    assert local_command("/language") is not None
    assert local_command("/join #lang") is None and local_command("hello /lang") is None
    assert "/theme dark|light" in (local_command("/help") or LocalCommand()).note
    assert local_command("/help join") is None


def test_the_status_text_in_both_languages() -> None:
    status = StatusChanged("reconnecting", "مهسا", "irc.test", retry_in=4.2, queued=2)
    assert status_text(status) == "reconnecting in 4 s · irc.test · مهسا · 2 queued"
    set_language("fa")
    try:
        assert status_text(status) == "اتصال دوباره تا 4 ثانیه دیگر · irc.test · مهسا · 2 در صف"
        assert ViewState("alice").topic_line().startswith("پیام‌های سرور")
    finally:
        set_language("en")


def test_typing_reactions_redaction_presence_and_the_channel_list() -> None:
    core, view = connected()
    core.caps.update({"message-tags", "echo-message"})
    change = feed(core, view, "@+typing=active :bob!~b@h TAGMSG #lobby")
    assert change.typing and display_text(view.typing_line()) == "bob is typing…"
    feed(core, view, "@+typing=active :carol!~c@h TAGMSG #lobby")
    assert display_text(view.typing_line()) == "bob, carol are typing…"
    feed(core, view, "@msgid=m1 :bob!~b@h PRIVMSG #lobby :سلام everyone")
    assert display_text(view.typing_line()) == "carol is typing…"  # a message ends bob's typing
    feed(core, view, "@+typing=done :carol!~c@h TAGMSG #lobby")
    feed(core, view, "@+typing=active :نیما!~n@h TAGMSG #lobby")  # a Persian name first:
    # the English sentence still reads left to right ("…is typing" was pulled to the left)
    assert display_text(view.typing_line()) == display_text("نیما") + " is typing…"
    change = feed(core, view, "@+draft/react=👍;+draft/reply=m1 :carol!~c@h TAGMSG #lobby")
    assert "#lobby" in change.redraw
    (line,) = [ln for ln in core.lines("#lobby") if ln.msgid == "m1"]
    assert reactions_line(view.reactions_of(line)) == "👍 1"
    feed(core, view, "@msgid=m2;+draft/reply=m1 :carol!~c@h PRIVMSG #lobby :خوش آمدی")
    reply = core.lines("#lobby")[-1]
    assert quote_line(reply) == "↪ bob: سلام everyone"
    assert view.apply(PresenceChanged("bob", True)) == Change()  # no private tab with bob
    feed(core, view, ":carol!~c@h PRIVMSG alice :psst")
    view.show("carol")
    change = view.apply(PresenceChanged("carol", False))
    assert change.topic and view.topic_line() == "Private conversation with carol · offline"
    change = view.apply(ChannelList((ChannelEntry("#فارسی", 3, "گپ"),)))
    assert change.channels and view.channels()[0].name == "#فارسی"
    removed = replace(line, text="", redacted=True)
    change = view.apply(LineRedacted("#lobby", "m1", removed))
    assert "#lobby" in change.redraw
    assert body_text(view.line_as_shown(line)) == "(message removed)"
