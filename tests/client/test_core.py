"""The client core fed with server lines: no sockets, no clock."""

from __future__ import annotations

from datetime import UTC, datetime

from socketchat.client.core import COMMANDS, ClientConfig, ClientCore
from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferOpened,
    BufferRenamed,
    BufferReset,
    ChatLine,
    Event,
    ExitRequested,
    HistoryInserted,
    MembersChanged,
    NickChanged,
    StatusChanged,
    TopicChanged,
    UnreadChanged,
)
from socketchat.client.helpers import NickCompleter, local_time, nick_color
from socketchat.irc.message import Message, parse_message

NOW = 1_700_000_000.0
SERVER = "irc.test"


def sent(core: ClientCore) -> list[Message]:
    data = core.data_to_send().decode()
    return [parse_message(line) for line in data.split("\r\n") if line]


def sent_lines(core: ClientCore) -> list[str]:
    return [m.to_line() for m in sent(core)]


def feed(core: ClientCore, *lines: str, now: float = NOW) -> list[Event]:
    for line in lines:
        core.receive_line(line, now)
    return core.pop_events()


def chat(events: list[Event], buffer: str | None = None) -> list[ChatLine]:
    return [e for e in events if isinstance(e, ChatLine) and (buffer is None or e.buffer == buffer)]


def texts(events: list[Event], buffer: str | None = None) -> list[str]:
    return [e.text for e in chat(events, buffer)]


def make(nick: str = "alice", **kw: object) -> ClientCore:
    core = ClientCore(ClientConfig(nick=nick, **kw))  # type: ignore[arg-type]
    core.connecting(NOW, "irc.test:6667")
    core.connection_made(NOW)
    return core


def registered(
    nick: str = "alice", caps: str = "", members: str = "@alice bob carol", **kw: object
) -> ClientCore:
    core = make(nick, **kw)
    sent(core)
    if caps:
        feed(core, f":{SERVER} CAP * LS :{caps}", f":{SERVER} CAP * ACK :{caps}")
    else:
        feed(core, f":{SERVER} CAP * LS :")
    feed(
        core,
        f":{SERVER} 001 {nick} :Welcome {nick}",
        f":{SERVER} 005 {nick} PREFIX=(ov)@+ CHANTYPES=# :are supported",
        f":{nick}!~u@127.0.0.1 JOIN #lobby",
        f":{SERVER} 353 {nick} = #lobby :{members}",
        f":{SERVER} 366 {nick} #lobby :End of NAMES",
    )
    sent(core)
    core.pop_events()
    return core


def test_registration_lines_and_caps() -> None:
    core = make("alice", password="pw")
    assert sent_lines(core) == [
        "PASS pw",
        "CAP LS 302",
        "NICK alice",
        "USER alice 0 * :socketchat user",
    ]
    feed(core, f":{SERVER} CAP * LS * :server-time multi-prefix foo")
    assert sent(core) == []  # waits for the last LS line
    feed(core, f":{SERVER} CAP * LS :echo-message sasl=PLAIN")
    assert sent_lines(core) == ["CAP REQ :server-time echo-message multi-prefix"]
    feed(core, f":{SERVER} CAP alice ACK :server-time echo-message multi-prefix")
    assert sent_lines(core) == ["CAP END"]
    assert core.caps == {"server-time", "echo-message", "multi-prefix"}
    events = feed(core, f":{SERVER} 001 alice :Welcome")
    assert sent_lines(core) == ["JOIN #lobby"]
    assert core.state == "connected"
    assert any(isinstance(e, StatusChanged) and e.state == "connected" for e in events)


def test_no_common_caps_ends_negotiation() -> None:
    core = make()
    sent(core)
    feed(core, f":{SERVER} CAP * LS :foo bar")
    assert sent_lines(core) == ["CAP END"]


def test_sasl_plain() -> None:
    core = make("alice", account="alice", account_password="secret")
    sent(core)
    feed(core, f":{SERVER} CAP * LS :sasl=PLAIN,EXTERNAL")
    assert sent_lines(core) == ["CAP REQ sasl"]
    feed(core, f":{SERVER} CAP * ACK sasl")
    assert sent_lines(core) == ["AUTHENTICATE PLAIN"]
    feed(core, "AUTHENTICATE +")
    assert sent_lines(core) == ["AUTHENTICATE YWxpY2UAYWxpY2UAc2VjcmV0"]
    events = feed(core, f":{SERVER} 903 alice :SASL authentication successful")
    assert sent_lines(core) == ["CAP END"]
    assert "SASL authentication successful" in texts(events)


def test_sasl_failure_still_ends_cap() -> None:
    core = make("alice", account="alice", account_password="bad")
    sent(core)
    feed(core, f":{SERVER} CAP * LS :sasl", f":{SERVER} CAP * ACK :sasl", "AUTHENTICATE +")
    sent(core)
    events = feed(core, f":{SERVER} 904 alice :SASL authentication failed")
    assert sent_lines(core) == ["CAP END"]
    assert any(e.kind == "error" and "Login failed" in e.text for e in chat(events))


def test_nick_in_use_tries_alternatives() -> None:
    core = make("alice")
    sent(core)
    feed(core, f":{SERVER} 433 * alice :Nickname is already in use")
    assert sent_lines(core) == ["NICK alice_"]
    feed(core, f":{SERVER} 433 * alice_ :Nickname is already in use")
    assert sent_lines(core) == ["NICK alice__"]
    events = feed(core, f":{SERVER} 433 * alice__ :Nickname is already in use")
    assert sent_lines(core) == ["NICK alice2"]
    assert NickChanged("alice2") in events
    feed(core, f":{SERVER} 001 alice2 :Welcome")
    assert core.nick == "alice2"


def test_nick_in_use_after_registration_is_just_a_message() -> None:
    core = registered()
    core.handle_input("/nick bob", NOW)
    assert sent_lines(core) == ["NICK bob"]
    events = feed(core, f":{SERVER} 433 alice bob :Nickname is already in use")
    assert sent(core) == []
    assert core.nick == "alice"
    assert any("Cannot change nick to bob" in t for t in texts(events))


def test_ping_pong() -> None:
    core = registered()
    feed(core, "PING :abc")
    assert sent_lines(core) == ["PONG abc"]


def test_keepalive_and_timeout() -> None:
    core = registered(ping_interval=10, ping_timeout=5)
    core.tick(NOW + 5)
    assert sent(core) == []
    core.tick(NOW + 11)
    assert [m.command for m in sent(core)] == ["PING"]
    core.tick(NOW + 15)
    assert core.take_close_request() is None
    core.tick(NOW + 17)
    request = core.take_close_request()
    assert request is not None and request.reconnect


def test_names_and_membership_tracking() -> None:
    core = registered(members="@alice +bob carol!c@10.0.0.3")
    assert [(m.nick, m.prefix) for m in core.members("#lobby")] == [
        ("alice", "@"),
        ("bob", "+"),
        ("carol", ""),
    ]
    assert core.members("#lobby")[2].host == "10.0.0.3"
    events = feed(core, ":dave!d@10.0.0.4 JOIN #lobby")
    assert any(isinstance(e, MembersChanged) for e in events)
    assert "dave (d@10.0.0.4) joined" in texts(events, "#lobby")
    feed(core, ":bob!b@h PART #lobby :bye")
    feed(core, ":carol!c@h QUIT :gone")
    events = feed(core, ":dave!d@h NICK :david")
    assert "dave is now known as david" in texts(events, "#lobby")
    feed(core, ":alice!a@h MODE #lobby +o-o+v david alice david")
    assert [(m.nick, m.prefixes) for m in core.members("#lobby")] == [
        ("david", "@+"),
        ("alice", ""),
    ]
    events = feed(core, ":alice!a@h KICK #lobby david :behave")
    assert "david was kicked by alice (behave)" in texts(events)
    assert [m.nick for m in core.members("#lobby")] == ["alice"]


def test_multi_prefix_names() -> None:
    core = registered(members="@+alice +bob")
    assert core.members("#lobby")[0].prefixes == "@+"


def test_away_notify_and_account_notify() -> None:
    core = registered(caps="away-notify account-notify")
    events = feed(core, ":bob!b@h AWAY :lunch")
    changed = [e for e in events if isinstance(e, MembersChanged)]
    assert changed and [m.away for m in changed[-1].members if m.nick == "bob"] == [True]
    events = feed(core, ":bob!b@h ACCOUNT bobacct")
    assert [m.account for m in core.members("#lobby") if m.nick == "bob"] == ["bobacct"]


def test_plain_text_goes_to_current_buffer() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("hello world", NOW)
    assert sent_lines(core) == ["PRIVMSG #lobby :hello world"]
    events = core.pop_events()
    line = chat(events, "#lobby")[-1]
    assert (line.nick, line.text, line.self_msg) == ("alice", "hello world", True)


def test_echo_message_displays_from_echo() -> None:
    core = registered(caps="echo-message server-time")
    core.set_current("#lobby")
    core.handle_input("hi", NOW)
    assert sent_lines(core) == ["PRIVMSG #lobby :hi"]
    assert chat(core.pop_events()) == []
    events = feed(core, "@time=2024-01-02T03:04:05.000Z :alice!a@h PRIVMSG #lobby :hi")
    line = chat(events)[0]
    assert line.self_msg and line.text == "hi"
    assert line.time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_status_buffer_refuses_plain_text() -> None:
    core = registered()
    core.set_current(STATUS_BUFFER)
    core.handle_input("hello", NOW)
    assert sent(core) == []
    assert chat(core.pop_events())[0].kind == "error"


def test_server_time_and_arrival_time() -> None:
    core = registered(caps="server-time")
    events = feed(core, "@time=2024-05-01T12:34:56.789Z :bob!b@h PRIVMSG #lobby :tagged")
    line = chat(events)[0]
    assert line.time == datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)
    assert line.time.utcoffset() == local_time(NOW).utcoffset() or True
    assert line.time.tzinfo is not None
    events = feed(core, ":bob!b@h PRIVMSG #lobby :untagged", now=NOW + 60)
    assert chat(events)[0].time == local_time(NOW + 60)
    assert chat(events)[0].time.strftime("%H:%M") == datetime.fromtimestamp(NOW + 60).strftime(
        "%H:%M"
    )


def test_private_message_opens_query_with_unread() -> None:
    core = registered()
    core.set_current("#lobby")
    events = feed(core, ":bob!b@h PRIVMSG alice :psst")
    assert BufferOpened("bob", "query", False) in events
    assert UnreadChanged("bob", 1, True) in events
    feed(core, ":bob!b@h PRIVMSG alice :again")
    assert core.unread("bob") == 2
    core.set_current("bob")
    assert core.unread("bob") == 0
    assert UnreadChanged("bob", 0, False) in core.pop_events()
    events = feed(core, ":carol!c@h PRIVMSG #lobby :hey alice, look")
    assert UnreadChanged("#lobby", 1, True) in events
    events = feed(core, ":carol!c@h PRIVMSG #lobby :unrelated")
    assert UnreadChanged("#lobby", 2, True) in events


def test_query_follows_nick_change_and_close() -> None:
    core = registered()
    feed(core, ":bob!b@h PRIVMSG alice :psst")
    events = feed(core, ":bob!b@h NICK robert")
    assert BufferRenamed("bob", "robert") in events
    assert "robert" in core.buffer_names()
    core.handle_input("/close", NOW, buffer="robert")
    assert BufferClosed("robert") in core.pop_events()
    assert "robert" not in core.buffer_names()


def test_msg_and_me() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("/msg bob hello there", NOW)
    core.handle_input("/me waves", NOW)
    assert sent_lines(core) == ["PRIVMSG bob :hello there", "PRIVMSG #lobby :\x01ACTION waves\x01"]
    events = core.pop_events()
    assert BufferOpened("bob", "query", False) in events  # /msg sends, /pm switches
    assert chat(events, "#lobby")[-1].kind == "action"
    events = feed(core, ":bob!b@h PRIVMSG #lobby :\x01ACTION dances\x01")
    assert (chat(events)[0].kind, chat(events)[0].text) == ("action", "dances")


def test_pm_by_ip_one_user() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("/pm 10.0.0.2 hi there", NOW)
    assert sent_lines(core) == ["WHO 10.0.0.2"]
    events = feed(
        core,
        f":{SERVER} 352 alice * ~b 10.0.0.2 {SERVER} bob H :0 Bob",
        f":{SERVER} 315 alice 10.0.0.2 :End of WHO list",
    )
    assert sent_lines(core) == ["PRIVMSG bob :hi there"]
    assert BufferOpened("bob", "query", True) in events


def test_pm_by_ip_excludes_self_and_uses_whox() -> None:
    core = registered()
    feed(core, f":{SERVER} 005 alice WHOX :are supported")
    core.set_current("#lobby")
    core.handle_input("/pm 127.0.0.1 yo", NOW)
    assert sent_lines(core) == ["WHO 127.0.0.1 %tuhnfa,152"]
    feed(
        core,
        f":{SERVER} 354 alice 152 ~a 127.0.0.1 alice H 0",
        f":{SERVER} 354 alice 152 ~b 127.0.0.1 bob G bobacct",
        f":{SERVER} 315 alice 127.0.0.1 :End of WHO list",
    )
    assert sent_lines(core) == ["PRIVMSG bob :yo"]


def test_pm_by_ip_several_users_sends_nothing() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("/pm 10.0.0.2 hi", NOW)
    sent(core)
    events = feed(
        core,
        f":{SERVER} 352 alice * ~b 10.0.0.2 {SERVER} bob H :0 Bob",
        f":{SERVER} 352 alice * ~c 10.0.0.2 {SERVER} carol H :0 Carol",
        f":{SERVER} 315 alice 10.0.0.2 :End of WHO list",
    )
    assert sent(core) == []
    line = chat(events, "#lobby")[-1]
    assert "bob" in line.text and "carol" in line.text and "nick" in line.text


def test_pm_by_ip_nobody() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("/pm ::1 hi", NOW)
    assert [m.params for m in sent(core)] == [("::1",)]
    feed(core, f":{SERVER} 315 alice ::1 :End of WHO list")
    assert sent_lines(core) == ["WHO *"]  # fallback for servers matching masks on nicks only
    events = feed(
        core,
        f":{SERVER} 352 alice * ~b 10.0.0.2 {SERVER} bob H :0 Bob",
        f":{SERVER} 315 alice * :End of WHO list",
    )
    assert sent(core) == []
    assert "connected from ::1" in chat(events, "#lobby")[-1].text


def test_who_shows_nick_host_away_account() -> None:
    core = registered(caps="account-notify")
    feed(core, ":bob!b@h ACCOUNT bobacct")
    core.set_current("#lobby")
    core.handle_input("/who", NOW)
    assert sent_lines(core) == ["WHO #lobby"]
    events = feed(
        core,
        f":{SERVER} 352 alice #lobby ~b 10.0.0.2 {SERVER} bob G :0 Bob",
        f":{SERVER} 352 alice #lobby ~a 10.0.0.1 {SERVER} alice H@ :0 Alice",
        f":{SERVER} 315 alice #lobby :End of WHO list",
    )
    lines = texts(events, "#lobby")
    assert any("bob" in t and "10.0.0.2" in t and "away" in t and "bobacct" in t for t in lines)
    assert any("alice" in t and "10.0.0.1" in t for t in lines)


def test_exit_quits_without_reconnect() -> None:
    core = registered()
    core.handle_input("/exit", NOW)
    assert [m.command for m in sent(core)] == ["QUIT"]
    request = core.take_close_request()
    assert request is not None and not request.reconnect
    assert any(isinstance(e, ExitRequested) for e in core.pop_events())
    assert core.exiting


def test_unknown_command_and_bad_arguments() -> None:
    core = registered()
    core.set_current("#lobby")
    for line in ["/frobnicate x", "/pm", "/pm bob", "/join", "/nick", "/me", "/query", "/whois"]:
        core.handle_input(line, NOW)
        events = core.pop_events()
        assert chat(events)[-1].kind == "error", line
    assert sent(core) == []
    core.handle_input("/frobnicate", NOW)
    assert "Unknown command /frobnicate" in chat(core.pop_events())[-1].text


def test_help_lists_every_command() -> None:
    core = registered()
    core.handle_input("/help", NOW)
    text = "\n".join(texts(core.pop_events()))
    for name in COMMANDS:
        assert f"/{name}" in text


def test_join_part_topic() -> None:
    core = registered()
    core.handle_input("/join dev", NOW)
    assert sent_lines(core) == ["JOIN #dev"]
    events = feed(
        core,
        ":alice!a@h JOIN #dev",
        f":{SERVER} 332 alice #dev :Development",
        f":{SERVER} 353 alice = #dev :alice",
        f":{SERVER} 366 alice #dev :End",
    )
    assert BufferOpened("#dev", "channel", True) in events
    assert TopicChanged("#dev", "Development") in events
    assert core.current == "#dev"
    assert sent_lines(core) == ["MODE #dev"]  # the modes are asked for after every join
    events = feed(core, ":bob!b@h TOPIC #dev :New topic")
    assert TopicChanged("#dev", "New topic", "bob") in events
    core.handle_input("/topic Newer", NOW)
    assert sent_lines(core) == ["TOPIC #dev :Newer"]
    core.handle_input("/part", NOW)
    assert sent_lines(core) == ["PART #dev"]
    events = feed(core, ":alice!a@h PART #dev")
    assert BufferClosed("#dev") in events
    assert core.current == STATUS_BUFFER


def test_reconnect_rejoins_all_channels_and_flushes_queue() -> None:
    core = registered()
    core.handle_input("/join #dev", NOW)
    feed(core, ":alice!a@h JOIN #dev")
    sent(core)
    core.connection_lost(NOW, "reset by peer")
    core.reconnect_scheduled(2, NOW)
    events = core.pop_events()
    assert core.members("#lobby") == ()
    status = [e for e in events if isinstance(e, StatusChanged)][-1]
    assert (status.state, status.retry_in) == ("reconnecting", 2)
    assert "reconnecting in 2 s" in status.describe()

    core.set_current("#lobby")
    core.handle_input("typed while offline", NOW)
    core.handle_input("/msg bob private while offline", NOW)
    events = core.pop_events()
    assert any("queued" in t for t in texts(events, "#lobby"))
    assert core.queued == 2
    assert sent(core) == []

    core.connecting(NOW + 2)
    core.connection_made(NOW + 2)
    assert [m.command for m in sent(core)] == ["CAP", "NICK", "USER"]
    feed(core, f":{SERVER} CAP * LS :", f":{SERVER} 001 alice :Welcome")
    assert sent_lines(core) == [
        "CAP END",
        "JOIN #lobby",
        "JOIN #dev",
        "PRIVMSG bob :private while offline",
    ]
    feed(core, ":alice!a@h JOIN #lobby")
    assert sent_lines(core) == ["MODE #lobby", "PRIVMSG #lobby :typed while offline"]
    assert core.queued == 0


def test_queue_is_bounded_and_says_so() -> None:
    core = registered(max_queued=1)
    core.connection_lost(NOW)
    core.set_current("#lobby")
    core.handle_input("one", NOW)
    core.handle_input("two", NOW)
    lines = chat(core.pop_events(), "#lobby")
    assert lines[-1].kind == "error" and "NOT sent" in lines[-1].text


HISTORY_CAPS = "draft/chathistory batch server-time message-tags"


def history_batch(target: str, *lines: str, ref: str = "b1") -> list[str]:
    """A chathistory batch: each line is ``msgid HH:MM:SS nick text``."""
    out = [f":{SERVER} BATCH +{ref} chathistory {target}"]
    for item in lines:
        msgid, hms, nick, text = item.split(" ", 3)
        out.append(
            f"@batch={ref};time=2024-01-01T{hms}.000Z;msgid={msgid} "
            f":{nick}!u@h PRIVMSG {target} :{text}"
        )
    out.append(f":{SERVER} BATCH -{ref}")
    return out


def joined_with_history(*lines: str) -> ClientCore:
    core = registered(caps=HISTORY_CAPS)
    core.handle_input("/join #dev", NOW)
    sent(core)
    feed(core, ":alice!a@h JOIN #dev", f":{SERVER} 332 alice #dev :Development")
    assert sent_lines(core) == ["MODE #dev", "CHATHISTORY LATEST #dev * 50"]
    events = feed(core, *history_batch("#dev", *lines))
    assert not chat(events)  # no line appended at the bottom
    return core


def test_chathistory_on_join_goes_before_you_joined_and_the_topic() -> None:
    core = registered(caps=HISTORY_CAPS)
    core.handle_input("/join #dev", NOW)
    sent(core)
    feed(core, ":alice!a@h JOIN #dev", f":{SERVER} 332 alice #dev :Development")
    sent(core)
    # A live line arrives before the history batch (it is also in the history: same msgid).
    feed(core, "@time=2024-01-01T00:00:03.000Z;msgid=m3 :bob!b@h PRIVMSG #dev :live one")
    events = feed(
        core,
        *history_batch(
            "#dev",
            "m1 00:00:01 bob old one",
            "m2 00:00:02 carol old two",
            "m3 00:00:03 bob live one",
        ),
    )
    resets = [e for e in events if isinstance(e, BufferReset)]
    assert len(resets) == 1 and resets[0].buffer == "#dev"
    assert [ln.text for ln in resets[0].lines] == [
        "old one",
        "old two",
        "You joined #dev",
        "Topic: Development",
        "live one",
    ]
    assert resets[0].lines == tuple(core.lines("#dev"))
    assert [ln.history for ln in resets[0].lines[:2]] == [True, True]
    assert core.unread("#dev") == 0


def test_rejoin_history_fills_the_gap_before_the_new_join() -> None:
    core = joined_with_history("m1 00:00:01 bob before")
    core.connection_lost(NOW)
    core.connection_made(NOW + 5)
    feed(core, f":{SERVER} CAP * LS :{HISTORY_CAPS}", f":{SERVER} CAP * ACK :{HISTORY_CAPS}")
    feed(core, f":{SERVER} 001 alice :Welcome", ":alice!a@h JOIN #lobby", ":alice!a@h JOIN #dev")
    assert "CHATHISTORY LATEST #dev msgid=m1 100" in sent_lines(core)
    events = feed(core, *history_batch("#dev", "m1 00:00:01 bob before", "m2 00:00:09 bob gap"))
    (reset,) = [e for e in events if isinstance(e, BufferReset)]
    assert [ln.text for ln in reset.lines if ln.nick] == ["before", "gap"]
    assert [ln.text for ln in reset.lines][-2:] == ["gap", "You joined #dev"]


def test_scroll_back_inserts_older_pages_until_the_start() -> None:
    core = joined_with_history("m3 00:00:03 bob three", "m4 00:00:04 bob four")
    core.load_older("#dev", NOW, limit=2)
    core.load_older("#dev", NOW, limit=2)  # one request at a time
    assert sent_lines(core) == ["CHATHISTORY BEFORE #dev msgid=m3 2"]
    events = feed(core, *history_batch("#dev", "m1 00:00:01 bob one", "m2 00:00:02 bob two"))
    assert events == [HistoryInserted("#dev", tuple(core.lines("#dev")[:2]), False)]
    assert [ln.text for ln in core.lines("#dev")][:4] == ["one", "two", "three", "four"]
    core.handle_input("/history 2", NOW, buffer="#dev")
    assert sent_lines(core) == ["CHATHISTORY BEFORE #dev msgid=m1 2"]
    events = feed(core, *history_batch("#dev"))  # nothing older
    inserted = [e for e in events if isinstance(e, HistoryInserted)]
    assert inserted[0].complete and "Start of the history" in inserted[0].lines[0].text
    assert "No more history in #dev" in texts(events, "#dev")
    core.load_older("#dev", NOW)
    core.handle_input("/history", NOW, buffer="#dev")
    assert sent(core) == []
    assert "No more history in #dev" in texts(core.pop_events())


def test_scroll_back_without_msgids_uses_a_timestamp_and_a_short_page_ends_it() -> None:
    core = registered(caps="draft/chathistory batch server-time")
    feed(core, *history_batch("#lobby"))  # the (empty) answer to the join's LATEST
    feed(core, "@time=2024-01-01T10:00:00.250Z :bob!b@h PRIVMSG #lobby :hi")
    core.handle_input("/history 10", NOW, buffer="#lobby")
    first = core.lines("#lobby")[0].time.astimezone(UTC)  # "You joined #lobby"
    stamp = first.strftime("%Y-%m-%dT%H:%M:%S.") + f"{first.microsecond // 1000:03d}Z"
    assert sent_lines(core) == [f"CHATHISTORY BEFORE #lobby timestamp={stamp} 10"]
    events = feed(core, *history_batch("#lobby", "x1 00:00:01 bob older"))
    (inserted,) = [e for e in events if isinstance(e, HistoryInserted)]
    assert inserted.complete and [ln.text for ln in inserted.lines][1:] == ["older"]
    assert "1 older line(s) in #lobby (the start of the history)" in texts(events)


def test_scroll_back_needs_chathistory_and_says_so_once() -> None:
    core = registered()
    core.load_older("#lobby", NOW)
    core.load_older("#lobby", NOW)
    assert sent(core) == []
    lines = texts(core.pop_events(), "#lobby")
    assert lines == ["This server keeps no history (no draft/chathistory)"]
    core.handle_input("/history", NOW, buffer="#lobby")
    assert texts(core.pop_events()) == ["This server keeps no history (no draft/chathistory)"]
    core.handle_input("/history -3", NOW, buffer="#lobby")
    assert chat(core.pop_events())[-1].kind == "error"


def test_history_failure_ends_the_request() -> None:
    core = joined_with_history("m1 00:00:01 bob one")
    core.handle_input("/history", NOW, buffer="#dev")
    sent(core)
    events = feed(core, f":{SERVER} FAIL CHATHISTORY MESSAGE_ERROR BEFORE #dev :No such message")
    assert any("No such message" in t for t in texts(events, "#dev"))
    core.handle_input("/history", NOW, buffer="#dev")
    assert sent_lines(core) == ["CHATHISTORY BEFORE #dev msgid=m1 50"]


def test_long_message_is_split() -> None:
    core = registered()
    core.set_current("#lobby")
    core.handle_input("word " * 200, NOW)
    msgs = sent(core)
    assert len(msgs) >= 2
    assert all(len(m.to_bytes()) <= 512 for m in msgs)
    assert " ".join(m.params[1] for m in msgs).split() == ["word"] * 200


def test_completion_and_colors() -> None:
    core = registered(members="@alice bob bobby carol")
    assert core.completions("bo", "#lobby") == ["bob", "bobby"]
    completer = NickCompleter()
    cands = core.nick_candidates("#lobby")
    assert completer.complete("ca", 2, cands) == ("carol: ", 7)
    assert completer.complete("hi bo", 5, cands) == ("hi bob ", 7)
    assert completer.complete("hi bob ", 7, cands) == ("hi bobby ", 9)
    assert nick_color("Bob") == nick_color("bob")
    assert nick_color("bob").startswith("#")


def test_scrollback_is_bounded() -> None:
    core = registered(scrollback=10)
    for i in range(30):
        feed(core, f":bob!b@h PRIVMSG #lobby :line {i}")
    lines = core.lines("#lobby")
    assert len(lines) == 10 and lines[-1].text == "line 29"


def test_garbage_from_server_never_raises() -> None:
    core = registered()
    for line in ["", ":", "@", "353", ":x 353", ":x 352 alice", "MODE", "KICK #lobby", "CAP"]:
        core.receive_line(line, NOW)
    core.receive_data(b"\xff\xfe bad utf8\r\n:bob!b@h PRIVMSG #lobby :ok\r\n", NOW)
    assert "ok" in texts(core.pop_events())


def test_text_for_a_channel_being_joined_is_queued() -> None:
    core = make("alice", channels=("#lobby",))
    feed(core, f":{SERVER} CAP * LS :", f":{SERVER} 001 alice :Welcome")
    sent(core)
    core.handle_input("early bird", NOW, buffer="#lobby")  # JOIN not confirmed yet
    assert sent(core) == []
    feed(core, ":alice!a@h JOIN #lobby")
    assert sent_lines(core) == ["MODE #lobby", "PRIVMSG #lobby :early bird"]


def test_dark_palette_keeps_the_same_colour_slot_per_nick() -> None:
    from socketchat.client.helpers import NICK_COLORS, NICK_COLORS_DARK

    assert len(NICK_COLORS_DARK) == len(NICK_COLORS)
    for nick in ("alice", "Bob", "omar", "sara"):
        slot = NICK_COLORS.index(nick_color(nick))
        assert nick_color(nick, dark=True) == NICK_COLORS_DARK[slot]


def test_register_with_irc_v3_register() -> None:
    core = make("alice")
    sent(core)
    feed(core, f":{SERVER} CAP * LS :draft/account-registration=before-connect sasl")
    feed(core, f":{SERVER} 001 alice :Welcome", ":alice!a@h JOIN #lobby")
    sent(core)
    core.set_current("#lobby")
    core.handle_input("/register s3cret alice@example.org", NOW)
    assert sent_lines(core) == ["REGISTER alice alice@example.org s3cret"]
    events = feed(
        core,
        f":{SERVER} REGISTER SUCCESS alice :Account created",
        f":{SERVER} 900 alice alice!a@h alice :You are now logged in as alice",
    )
    lobby = texts(events, "#lobby")
    assert "Account alice registered: Account created" in lobby
    assert "You are now logged in as alice" in lobby
    assert core.status().account == "alice" and "[account alice]" in core.status().describe()
    assert not any("s3cret" in t for t in texts(events))
    core.handle_input("/register other", NOW)
    sent(core)
    events = feed(core, f":{SERVER} FAIL REGISTER ALREADY_AUTHENTICATED alice :You are logged in")
    assert chat(events, "#lobby")[-1].kind == "error"
    assert "Registration failed: You are logged in" in texts(events, "#lobby")


def test_register_and_identify_through_nickserv() -> None:
    core = registered(caps="echo-message")
    core.set_current("#lobby")
    core.handle_input("/register s3cret", NOW)
    assert sent_lines(core) == ["PRIVMSG NickServ :REGISTER s3cret"]
    assert "Registering the account alice with NickServ…" in texts(core.pop_events())
    events = feed(
        core,
        ":alice!a@h PRIVMSG NickServ :REGISTER s3cret",  # echo-message
        ":NickServ!NickServ@services. NOTICE alice :alice is now registered to you.",
        f":{SERVER} 900 alice alice!a@h alice :You are now logged in as alice",
    )
    assert "alice is now registered to you." in texts(events, "#lobby")
    assert "You are now logged in as alice" in texts(events, "#lobby")
    assert not any("s3cret" in ln.text for b in core.buffer_names() for ln in core.lines(b))
    core.handle_input("/identify alice wrong", NOW)
    assert sent_lines(core) == ["PRIVMSG NickServ :IDENTIFY alice wrong"]
    core.handle_input("/identify", NOW)
    core.handle_input("/register", NOW)
    assert sent(core) == []
    assert [ln.kind for ln in chat(core.pop_events())][-2:] == ["error", "error"]
    core.handle_input("/msg NickServ IDENTIFY s3cret", NOW, buffer="#lobby")
    assert sent_lines(core) == ["PRIVMSG NickServ :IDENTIFY s3cret"]


def test_register_needs_a_connection_and_help_lists_accounts() -> None:
    core = make("alice")
    core.handle_input("/register pw", NOW)
    assert [m.command for m in sent(core)] == ["CAP", "NICK", "USER"]
    assert "Not connected" in chat(core.pop_events())[-1].text
    core.handle_input("/help", NOW)
    text = "\n".join(texts(core.pop_events()))
    assert "/register <password> [email]" in text and "/identify" in text


def test_long_lines_and_full_tag_sections_from_the_server_are_not_dropped() -> None:
    """A legal line has up to 8191 bytes of tags plus 512; lines a little longer (a server that
    adds its prefix to a 512-byte PRIVMSG sends ~573 bytes) are kept too."""
    core = registered(caps="message-tags server-time")
    tags = "@time=2026-01-01T00:00:00.000Z;+big=" + "x" * (8191 - 40) + " "
    assert len(tags) <= 8191
    text = "y" * 440
    full = f":bob!~b@127.0.0.1 PRIVMSG #lobby :{text}"
    assert len(full) + 2 <= 512
    long_text = "z" * 540
    core.receive_data((tags + full + "\r\n").encode(), NOW)
    core.receive_data(f":bob!~b@127.0.0.1 PRIVMSG #lobby :{long_text}\r\n".encode(), NOW)
    got = [line.text for line in chat(core.pop_events(), "#lobby")]
    assert got == [text, long_text]
