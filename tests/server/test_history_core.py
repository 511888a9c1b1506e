"""History through the sans-I/O core with a real SQLite file: storing, CHATHISTORY, replay on
join, and who may read which private conversation."""

from __future__ import annotations

from pathlib import Path

from socketchat.irc.message import Message
from tests.storage.helpers import persistence, stored_net, texts

EVER = "timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z"
FULL = "batch server-time message-tags draft/chathistory echo-message"


def batch_body(got: list[Message]) -> list[Message]:
    """The messages inside the (single) chathistory batch in `got`, checking the framing."""
    start = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")]
    assert len(start) == 1, got
    ref = start[0].params[0][1:]
    assert any(m.command == "BATCH" and m.params[0] == "-" + ref for m in got)
    return [m for m in got if m.tags.get("batch") == ref]


def test_channel_messages_are_stored_with_their_tags(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    bob = net.client("bob", FULL)
    alice.send("JOIN #room")
    bob.send("JOIN #room")
    alice.send("@+reply=abc PRIVMSG #room :hello", "NOTICE #room :note")
    live = next(m for m in bob.received() if m.command == "PRIVMSG")
    alice.received()
    bob.send("CHATHISTORY LATEST #room * 10")
    got = bob.received()
    assert got[0].params[1:] == ("chathistory", "#room")
    body = batch_body(got)
    assert [(m.command, m.param(1)) for m in body] == [("PRIVMSG", "hello"), ("NOTICE", "note")]
    first = body[0]
    assert first.tags["msgid"] == live.tags["msgid"]
    assert first.tags["time"] == live.tags["time"]
    assert first.tags["+reply"] == "abc"
    assert first.source == live.source


def test_paging_before_and_after_walks_the_whole_history(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("JOIN #room")
    for i in range(37):
        alice.send(f"PRIVMSG #room :m{i}")
        if i % 4 == 0:
            net.clock.advance(0.5)  # some share a timestamp, some do not
    alice.received()
    backward: list[Message] = []
    alice.send("CHATHISTORY LATEST #room * 10")
    page = batch_body(alice.received())
    while page:
        backward = page + backward
        alice.send(f"CHATHISTORY BEFORE #room msgid={page[0].tags['msgid']} 10")
        page = batch_body(alice.received())
    assert texts(backward) == [f"m{i}" for i in range(37)]
    forward: list[Message] = []
    alice.send(f"CHATHISTORY AFTER #room timestamp={backward[0].tags['time']} 1")
    assert texts(batch_body(alice.received())) == ["m1"]  # exclusive; m0..m1 share no time
    alice.send("CHATHISTORY AFTER #room timestamp=2000-01-01T00:00:00.000Z 7")
    page = batch_body(alice.received())
    while page:
        forward += page
        alice.send(f"CHATHISTORY AFTER #room msgid={page[-1].tags['msgid']} 7")
        page = batch_body(alice.received())
    assert [m.tags["msgid"] for m in forward] == [m.tags["msgid"] for m in backward]


def test_around_between_and_latest_since(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("JOIN #room")
    ids = []
    for i in range(10):
        alice.send(f"PRIVMSG #room :m{i}")
        ids.append(next(m for m in alice.received() if m.command == "PRIVMSG").tags["msgid"])
        net.clock.advance(1)
    alice.send(f"CHATHISTORY AROUND #room msgid={ids[5]} 4")
    assert texts(batch_body(alice.received())) == ["m3", "m4", "m5", "m6"]
    alice.send(f"CHATHISTORY BETWEEN #room msgid={ids[2]} msgid={ids[6]} 10")
    assert texts(batch_body(alice.received())) == ["m3", "m4", "m5"]
    alice.send(f"CHATHISTORY BETWEEN #room msgid={ids[8]} msgid={ids[1]} 2")
    assert texts(batch_body(alice.received())) == ["m6", "m7"]  # the 2 nearest the start
    alice.send(f"CHATHISTORY LATEST #room msgid={ids[7]} 10")
    assert texts(batch_body(alice.received())) == ["m8", "m9"]


def test_limit_is_capped_and_advertised(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    c = net.client()
    c.send("NICK zed", "USER z 0 * :z")
    tokens = " ".join(" ".join(m.params) for m in c.received() if m.command == "005")
    assert "CHATHISTORY=100" in tokens and "MSGREFTYPES=msgid,timestamp" in tokens
    assert "draft/chathistory" in net.server.caps
    c.send("JOIN #room")
    for i in range(120):
        c.send(f"PRIVMSG #room :m{i}")
    c.received()
    c.send("CHATHISTORY LATEST #room * 500")
    assert len([m for m in c.received() if m.command == "PRIVMSG"]) == 100


def test_bad_requests_get_fail_replies(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    bob = net.client("bob", FULL)
    alice.send("JOIN #secret", "MODE #secret +s")
    alice.received()
    cases = {
        "CHATHISTORY FROB #x * 10": ("INVALID_PARAMS", "FROB"),
        "CHATHISTORY LATEST #secret": ("NEED_MORE_PARAMS", "LATEST"),
        "CHATHISTORY LATEST #secret * -1": ("INVALID_PARAMS", "LATEST"),
        "CHATHISTORY BEFORE #secret nonsense 10": ("INVALID_TARGET", "BEFORE"),
        "CHATHISTORY LATEST #secret * 10": ("INVALID_TARGET", "LATEST"),
        "CHATHISTORY LATEST #nowhere * 10": ("INVALID_TARGET", "LATEST"),
        "CHATHISTORY LATEST nobody * 10": ("INVALID_TARGET", "LATEST"),
        "CHATHISTORY TARGETS x y 10": ("INVALID_PARAMS", "TARGETS"),
    }
    for line, (code, sub) in cases.items():
        bob.send(line)
        [fail] = [m for m in bob.received() if m.command == "FAIL"]
        assert fail.params[:3] == ("CHATHISTORY", code, sub), (line, fail)
    alice.send("CHATHISTORY BEFORE #secret msgid=unknown 10")
    [fail] = [m for m in alice.received() if m.command == "FAIL"]
    assert fail.params[:2] == ("CHATHISTORY", "MESSAGE_ERROR")
    alice.send("CHATHISTORY BEFORE #secret timestamp=garbage 10")
    [fail] = [m for m in alice.received() if m.command == "FAIL"]
    assert fail.params[:2] == ("CHATHISTORY", "INVALID_PARAMS")


def test_channel_history_is_for_members_only(tmp_path: Path) -> None:
    """Even an open channel: reading it without joining would be invisible lurking (and irctest's
    testInvalidTargets expects INVALID_TARGET for a channel one is not in)."""
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    bob = net.client("bob", FULL)
    alice.send("JOIN #open", "PRIVMSG #open :public")
    bob.send("CHATHISTORY LATEST #open * 10")
    (fail,) = bob.received()
    assert fail.command == "FAIL" and fail.params[:4] == (
        "CHATHISTORY",
        "INVALID_TARGET",
        "LATEST",
        "#open",
    )
    bob.send("JOIN #open")
    bob.received()
    bob.send("CHATHISTORY LATEST #open * 10")
    assert texts(batch_body(bob.received())) == ["public"]


def test_replay_on_join_for_each_kind_of_client(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_replay_on_join=3, history_replay_unidentified=True)
    alice = net.client("alice")
    alice.send("JOIN #room")
    for i in range(5):
        alice.send(f"PRIVMSG #room :m{i}")
    alice.send("PRIVMSG #room :\x01ACTION waves\x01")
    batched = net.client("bat", "batch server-time message-tags")
    batched.send("JOIN #room")
    got = batched.received()
    body = batch_body(got)
    assert texts(body) == ["m3", "m4", "\x01ACTION waves\x01"]
    assert all("msgid" in m.tags and "time" in m.tags for m in body)
    assert got.index(body[0]) > [m.command for m in got].index("366")  # after NAMES
    timed = net.client("tim", "server-time")
    timed.send("JOIN #room")
    framed = [m for m in timed.received() if m.command in ("PRIVMSG", "NOTICE")]
    assert texts(framed, "NOTICE") == ["--- history ---", "--- end of history ---"]
    assert framed[0].source == framed[-1].source == "socketchat.local"
    got = framed[1:-1]
    assert texts(got) == ["m3", "m4", "\x01ACTION waves\x01"]
    assert all(m.tags.keys() == {"time"} for m in got)
    plain = net.client("pla")
    plain.send("JOIN #room")
    got = [m for m in plain.received() if m.command == "PRIVMSG"]
    assert got[0].param(1).startswith("[") and got[0].param(1).endswith("UTC] m3")
    assert got[2].param(1).startswith("\x01ACTION [") and got[2].param(1).endswith("waves\x01")
    asker = net.client("ask", FULL)
    asker.send("JOIN #room")
    assert texts(asker.received()) == []  # chathistory clients ask for what they want


def test_no_replay_to_plain_clients_without_an_account_by_default(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice")
    alice.send("JOIN #room", "PRIVMSG #room :hi")
    for caps in ("", "server-time", "batch server-time"):
        c = net.client(f"u{len(caps)}", caps)
        c.send("JOIN #room")
        got = c.received()
        assert texts(got) == [] and texts(got, "NOTICE") == []


def test_part_and_rejoin_replays_only_what_was_missed(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_replay_unidentified=True)
    alice, bob = net.client("alice"), net.client("bob")
    alice.send("JOIN #room", "PRIVMSG #room :one")
    bob.send("JOIN #room")
    assert texts(bob.received())[-1].endswith("one")
    alice.send("PRIVMSG #room :two")
    bob.send("PART #room")
    alice.send("PRIVMSG #room :three")
    bob.received()
    bob.send("JOIN #room")
    assert [t.split("] ")[-1] for t in texts(bob.received())] == ["three"]


def test_replay_can_be_switched_off(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_replay_on_join=0)
    alice = net.client("alice")
    alice.send("JOIN #room", "PRIVMSG #room :hi")
    bob = net.client("bob")
    bob.send("JOIN #room")
    assert texts(bob.received()) == []


def test_private_history_only_for_its_two_parties(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    bob = net.client("bob", FULL)
    carol = net.client("carol", FULL)
    alice.send("PRIVMSG bob :secret one")
    bob.send("PRIVMSG alice :secret two")
    for c in (alice, bob):
        c.received()
    alice.send("CHATHISTORY LATEST bob * 10")
    assert texts(batch_body(alice.received())) == ["secret one", "secret two"]
    bob.send("CHATHISTORY LATEST alice * 10")
    assert texts(batch_body(bob.received())) == ["secret one", "secret two"]
    carol.send("CHATHISTORY LATEST bob * 10", "CHATHISTORY LATEST alice * 10")
    assert texts(carol.received()) == []
    # alice leaves; a newcomer takes her nick and asks bob's conversation: nothing
    alice.send("QUIT")
    newcomer = net.client("alice", FULL)
    newcomer.send("CHATHISTORY LATEST bob * 10")
    assert texts(newcomer.received()) == []
    # and bob, asking for "alice" now, gets his conversation with the newcomer (empty)
    bob.send("CHATHISTORY LATEST alice * 10")
    assert texts(bob.received()) == []
    # TARGETS lists only one's own conversations
    bob.send(f"CHATHISTORY TARGETS {EVER} 10")
    got = bob.received()
    assert [m.params[1] for m in got if m.command == "CHATHISTORY"] == ["alice"]
    newcomer.send(f"CHATHISTORY TARGETS {EVER} 10")
    assert [m for m in newcomer.received() if m.command == "CHATHISTORY"] == []


def test_a_conversation_with_someone_who_left_is_read_by_the_nick_targets_names(
    tmp_path: Path,
) -> None:
    """TARGETS names a conversation by the other party's latest nick; without an account that
    party has no identity once it left, and LATEST <nick> failed (INVALID_TARGET), so a
    client could not read what TARGETS listed (an offline message from a guest)."""
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("REGISTER * * hunter22")
    earlier = net.client("guest", FULL)  # an older conversation, with another "guest"
    earlier.send("PRIVMSG alice :an older guest")
    earlier.send("QUIT")
    net.clock.advance(1)
    guest = net.client("guest", FULL)
    guest.send("PRIVMSG alice :homework is page 12")
    guest.send("QUIT")
    alice.received()
    alice.send(f"CHATHISTORY TARGETS {EVER} 10")
    listed = [m.params[1] for m in alice.received() if m.command == "CHATHISTORY"]
    assert "guest" in listed
    alice.send("CHATHISTORY LATEST guest * 10")
    assert texts(batch_body(alice.received())) == ["homework is page 12"]  # the newest one
    # someone who takes the nick now is whom "guest" means: their (empty) conversation
    newcomer = net.client("guest", FULL)
    alice.send("CHATHISTORY LATEST guest * 10")
    assert texts(alice.received()) == []
    # and nobody else reads it by that nick
    newcomer.send("QUIT")
    carol = net.client("carol", FULL)
    carol.send("CHATHISTORY LATEST guest * 10")
    assert texts(carol.received()) == []


def test_private_history_follows_accounts_across_connections(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("REGISTER * * hunter22")
    bob = net.client("bob", FULL)
    bob.send("REGISTER * * hunter23")
    alice.send("PRIVMSG bob :kept")
    alice.send("QUIT")
    bob.send("QUIT")
    back = net.client("someone", FULL)
    back.send("PRIVMSG NickServ :IDENTIFY alice hunter22")
    back.received()
    back.send("CHATHISTORY LATEST bob * 10")  # bob is offline: his account is found by name
    assert texts(batch_body(back.received())) == ["kept"]


def test_retention_runs_from_tick(tmp_path: Path) -> None:
    net = stored_net(tmp_path, history_max_messages=3, history_max_age_days=1)
    alice = net.client("alice", FULL)
    alice.send("JOIN #room")
    for i in range(6):
        alice.send(f"PRIVMSG #room :m{i}")

    def tick() -> None:  # as the runner does: a retention pass asks for the next tick at once
        net.server.tick()
        while persistence(net).retention_running:
            net.server.tick()
        net.server.flush()

    tick()
    alice.send("CHATHISTORY LATEST #room * 10")
    assert texts(batch_body(alice.received())) == ["m3", "m4", "m5"]
    net.clock.advance(2 * 86400)
    tick()
    alice.send("CHATHISTORY LATEST #room * 10")
    assert texts(batch_body(alice.received())) == []
    assert persistence(net).apply_retention(net.clock()) == 0


def test_chathistory_limit_in_other_digits_is_invalid_params(tmp_path: Path) -> None:
    """`²` passes str.isdigit and then int() raised: FAIL ... INTERNAL_ERROR and a traceback."""
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("JOIN #c")
    alice.received()
    for limit in ("²", "۵", "+5", "1" * 40):
        alice.send(f"CHATHISTORY LATEST #c * {limit}")
        (fail,) = alice.received()
        assert fail.command == "FAIL" and fail.params[:3] == (
            "CHATHISTORY",
            "INVALID_PARAMS",
            "LATEST",
        ), fail


def test_no_replay_while_another_connection_of_the_account_is_in_the_channel(
    tmp_path: Path,
) -> None:
    net = stored_net(tmp_path)
    talker = net.client("talker")
    talker.send("JOIN #room", "PRIVMSG #room :before")
    old = net.client("dave")
    old.send("PRIVMSG NickServ :REGISTER dave-password", "JOIN #room")
    assert texts(old.received())[-1].endswith("before")  # first time: replayed
    talker.send("PRIVMSG #room :seen by the old connection")
    assert texts(old.received()) == ["seen by the old connection"]
    new = net.client("dave2")  # reconnected before the old one timed out
    new.send("PRIVMSG NickServ :IDENTIFY dave dave-password", "JOIN #room")
    got = new.received()
    assert texts(got) == [] and texts(got, "NOTICE")[-1].startswith("You are now identified")


def test_targets_lists_a_target_only_when_its_latest_message_is_in_the_window(
    tmp_path: Path,
) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL)
    alice.send("JOIN #ch1")
    alice.received()
    times = []
    for i in range(3):
        net.clock.advance(1)
        alice.send(f"PRIVMSG #ch1 :hello {i}")
        (echo,) = alice.received()
        times.append(echo.tags["time"])
    start = "timestamp=2020-01-01T00:00:00.000Z"
    alice.send(f"CHATHISTORY TARGETS {start} timestamp=2262-01-01T00:00:00.000Z 100")
    got = [m.params[1:] for m in alice.received() if m.command == "CHATHISTORY"]
    assert got == [("#ch1", times[2])]
    # a window that ends before the latest message: #ch1 has moved on since, so it is left out
    alice.send(f"CHATHISTORY TARGETS {start} timestamp={times[1]} 100")
    assert [m for m in alice.received() if m.command == "CHATHISTORY"] == []


def test_event_playback_replays_topic_and_tagmsg_to_clients_that_ask(tmp_path: Path) -> None:
    """draft/event-playback: TOPIC and TAGMSG are stored; CHATHISTORY replays them only to a
    client with the capability, and for the others the limit counts messages alone."""
    net = stored_net(tmp_path)
    events = net.client("bar", FULL + " draft/event-playback")
    plain = net.client("baz", FULL)
    events.send("JOIN #room")
    plain.send("JOIN #room")
    events.received(), plain.received()
    sent = []
    for i in range(3):
        events.send(f"TOPIC #room :topic {i}", f"PRIVMSG #room :message {i}")
        got = events.received()
        sent += [(m.command, m.params[1], m.tags["msgid"]) for m in got]
    events.send("@+draft/react=x TAGMSG #room")
    (tagmsg,) = events.received()
    plain.received()
    events.send("CHATHISTORY LATEST #room * 20")
    body = batch_body(events.received())
    assert [m.command for m in body[:2]] == ["JOIN", "JOIN"]  # events: the joins too
    body = body[2:]
    assert [(m.command, m.param(1), m.tags["msgid"]) for m in body[:-1]] == sent
    assert body[-1].command == "TAGMSG" and body[-1].params == ("#room",)
    assert body[-1].tags["msgid"] == tagmsg.tags["msgid"] and body[-1].tags["+draft/react"] == "x"
    plain.send("CHATHISTORY LATEST #room * 2")
    assert texts(batch_body(plain.received())) == ["message 1", "message 2"]


def test_a_labeled_chathistory_nests_its_batch_in_the_labeled_response(tmp_path: Path) -> None:
    """IRCv3 labeled-response: the chathistory batch is one reply inside the labeled-response
    batch, and its lines still name the chathistory batch (they named the outer one)."""
    net = stored_net(tmp_path)
    alice = net.client("alice", FULL + " labeled-response")
    alice.send("JOIN #room", "PRIVMSG #room :one", "PRIVMSG #room :two")
    alice.received()
    alice.send("@label=L1 CHATHISTORY LATEST #room * 10")
    got = alice.received()
    outer, inner = got[0], got[1]
    assert (outer.command, outer.params[1:], outer.tags) == (
        "BATCH",
        ("labeled-response",),
        {"label": "L1"},
    )
    outer_ref, inner_ref = outer.params[0][1:], inner.params[0][1:]
    assert inner.params[1:] == ("chathistory", "#room")
    assert inner.tags["batch"] == outer_ref
    lines = [m for m in got if m.command == "PRIVMSG"]
    assert [m.params[1] for m in lines] == ["one", "two"]
    assert all(m.tags["batch"] == inner_ref for m in lines)
    assert got[-2].params == ("-" + inner_ref,) and got[-2].tags["batch"] == outer_ref
    assert got[-1].params == ("-" + outer_ref,)
