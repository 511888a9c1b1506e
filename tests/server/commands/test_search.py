"""SEARCH (soju.im/search) through the sans-I/O core with a real SQLite file: what it finds,
the attributes, Persian text, and above all what it must not find (the CHATHISTORY rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socketchat.irc.message import Message
from socketchat.server.commands.table import COMMANDS
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net, texts

CAPS = "batch server-time message-tags soju.im/search echo-message"


def search(c: Client, attributes: str) -> list[Message]:
    """Send one SEARCH; the messages of the soju.im/search batch that answers it (oldest first)."""
    c.received()
    c.send(f"SEARCH {attributes}")
    got = c.received()
    opening = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")]
    assert len(opening) == 1, got
    assert opening[0].params[1:] == ("soju.im/search",)
    ref = opening[0].params[0][1:]
    assert got[-1].command == "BATCH" and got[-1].params == ("-" + ref,)
    return [m for m in got if m.tags.get("batch") == ref]


def fail(c: Client, attributes: str) -> Message:
    c.received()
    c.send(f"SEARCH {attributes}")
    got = c.received()
    assert [m.command for m in got] == ["FAIL"], got
    return got[0]


def room(tmp_path: Path, *nicks: str, channel: str = "#room") -> tuple[Net, list[Client]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    net = stored_net(tmp_path)
    clients = [net.client(n, CAPS) for n in nicks]
    for c in clients:
        c.send(f"JOIN {channel}")
    for c in clients:
        c.received()
    return net, clients


def test_capability_is_advertised_and_results_carry_their_tags(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    probe = net.client()
    probe.send("CAP LS 302")
    assert "soju.im/search" in " ".join(m.params[-1] for m in probe.received())
    _, (alice, bob) = room(tmp_path / "r", "alice", "bob")
    alice.send("PRIVMSG #room :the meeting is at ten", "PRIVMSG #room :lunch?")
    alice.send("@+reply=x NOTICE #room :Meeting moved")
    live = [m for m in bob.received() if m.command in ("PRIVMSG", "NOTICE")]
    found = search(bob, "text=meeting")
    assert [(m.command, m.param(1)) for m in found] == [
        ("PRIVMSG", "the meeting is at ten"),
        ("NOTICE", "Meeting moved"),
    ]
    for got, relayed in zip(found, (live[0], live[2]), strict=True):
        assert got.tags["msgid"] == relayed.tags["msgid"]
        assert got.tags["time"] == relayed.tags["time"]
        assert got.source == relayed.source
        assert got.param(0) == "#room"
    assert found[1].tags["+reply"] == "x"
    assert search(bob, "text=nothing\\slike\\sthis") == []  # an empty batch, not silence


def test_words_all_match_as_word_starts_in_any_case(tmp_path: Path) -> None:
    _, (alice,) = room(tmp_path, "alice")
    alice.send(
        "PRIVMSG #room :Meeting in room B",
        "PRIVMSG #room :meetings are long",
        "PRIVMSG #room :a room without it",
        "PRIVMSG #room :can't come, e-mail me",
        'PRIVMSG #room :AND OR NOT "quoted" *stars*',
    )
    assert texts(search(alice, "text=meet\\sroom")) == ["Meeting in room B"]
    assert texts(search(alice, "text=MEETING")) == ["Meeting in room B", "meetings are long"]
    assert texts(search(alice, "text=eeting")) == []  # the start of a word, not any substring
    assert texts(search(alice, "text=can't")) == ["can't come, e-mail me"]
    assert texts(search(alice, "text=e-mail")) == ["can't come, e-mail me"]
    # FTS5 syntax typed by someone is just words
    assert texts(search(alice, 'text=AND\\sOR\\s"quoted"\\s*stars*')) == [
        'AND OR NOT "quoted" *stars*'
    ]
    assert search(alice, "text=...\\s!!") == []  # no word at all: nothing matches


PERSIAN = [
    "فردا می‌روم کتابخانه",  # with the zero-width non-joiner
    "من هم میروم",  # the same verb typed without it
    "كتاب علي را آوردم",  # Arabic kaf and yeh (an Arabic keyboard)
    "کتاب علی کجاست؟",  # Persian keheh and yeh
    "مُحَمَّد ساعت ۱۰:۳۰ می‌آید",  # short vowels, Persian digits
    "سـلام بچه‌ها",  # a kashida
]


def test_persian_text_is_found_as_people_type_it(tmp_path: Path) -> None:
    _, (alice,) = room(tmp_path, "alice")
    alice.send(*(f"PRIVMSG #room :{line}" for line in PERSIAN))
    with_zwnj, without = PERSIAN[0], PERSIAN[1]
    assert texts(search(alice, "text=می‌روم")) == [with_zwnj, without]
    assert texts(search(alice, "text=میروم")) == [with_zwnj, without]
    assert texts(search(alice, "text=می")) == [with_zwnj, without, PERSIAN[4]]  # word starts
    assert texts(search(alice, "text=کتاب\\sعلی")) == [PERSIAN[2], PERSIAN[3]]
    assert texts(search(alice, "text=كتاب\\sعلي")) == [PERSIAN[2], PERSIAN[3]]
    assert texts(search(alice, "text=محمد")) == [PERSIAN[4]]
    assert texts(search(alice, "text=10:30")) == [PERSIAN[4]]
    assert texts(search(alice, "text=سلام")) == [PERSIAN[5]]
    assert texts(search(alice, "text=بچه‌ها")) == [PERSIAN[5]]
    assert texts(search(alice, "text=بچهها")) == [PERSIAN[5]]
    assert texts(search(alice, "text=کتابخانه")) == [PERSIAN[0]]


def test_in_from_after_before_and_limit(tmp_path: Path) -> None:
    net, (alice, bob) = room(tmp_path, "alice", "bob")
    alice.send("JOIN #other")
    stamps = []
    for i in range(6):
        speaker = alice if i % 2 else bob
        speaker.send(f"PRIVMSG #room :report {i}")
        stamps.append(speaker.received()[-1].tags["time"])
        net.clock.advance(10)
    alice.send("PRIVMSG #other :report elsewhere")
    everything = [f"report {i}" for i in range(6)]
    assert texts(search(alice, "text=report")) == [*everything, "report elsewhere"]
    assert texts(search(alice, "text=report;in=#room")) == everything
    assert texts(search(alice, "text=report;in=#ROOM")) == everything  # folded, as CHATHISTORY
    assert texts(search(alice, "in=#other")) == ["report elsewhere"]  # no text: every line
    assert texts(search(alice, "text=report;from=BOB")) == ["report 0", "report 2", "report 4"]
    assert texts(search(alice, "from=alice;in=#room")) == ["report 1", "report 3", "report 5"]
    # after/before are inclusive; the newest matches unless only `after` is given
    window = f"in=#room;after={stamps[1]};before={stamps[3]}"
    assert texts(search(alice, window)) == ["report 1", "report 2", "report 3"]
    assert texts(search(alice, "in=#room;limit=2")) == ["report 4", "report 5"]
    assert texts(search(alice, f"in=#room;after={stamps[2]};limit=2")) == ["report 2", "report 3"]
    assert texts(search(alice, f"in=#room;before={stamps[2]};limit=2")) == ["report 1", "report 2"]
    assert len(search(alice, "in=#room;limit=100000")) == 6  # capped, not refused


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ("txt=typo", "txt"),
        ("text=x;limit=0", "limit"),
        ("text=x;limit=ten", "limit"),
        ("text=x;limit=-3", "limit"),
        ("after=yesterday", "after"),
        ("before=2026-13-45T99:00:00.000Z", "before"),
        ("in=", "in"),
        ("text=x;from", "from"),
    ],
)
def test_bad_attributes_fail(tmp_path: Path, attributes: str, named: str) -> None:
    _, (alice,) = room(tmp_path, "alice")
    reply = fail(alice, attributes)
    assert reply.params[:3] == ("SEARCH", "INVALID_PARAMS", named)


def test_non_members_find_nothing_of_a_secret_channel(tmp_path: Path) -> None:
    net, (alice, bob) = room(tmp_path, "alice", "bob", channel="#vault")
    alice.send("MODE #vault +s", "PRIVMSG #vault :the password is swordfish")
    eve = net.client("eve", CAPS)
    eve.send("JOIN #lobby")
    eve.send("PRIVMSG #lobby :swordfish is a fish")
    assert texts(search(bob, "text=swordfish")) == ["the password is swordfish"]
    assert texts(search(eve, "text=swordfish")) == ["swordfish is a fish"]
    assert texts(search(eve, "from=alice")) == []
    refused = fail(eve, "text=swordfish;in=#vault")
    assert refused.params[:3] == ("SEARCH", "INVALID_PARAMS", "in")
    missing = fail(eve, "text=swordfish;in=#nosuch")  # the same answer as for no such channel
    assert (missing.params[:3], missing.params[-1]) == (refused.params[:3], refused.params[-1])
    # once the channel has emptied, whoever recreates it sees none of its closed lines
    alice.send("PART #vault")
    bob.send("PART #vault")
    eve.send("JOIN #vault")
    assert texts(search(eve, "text=password")) == []
    assert texts(search(eve, "text=password;in=#vault")) == []
    # an open channel's lines are for its members only, as CHATHISTORY: join to search it
    net2, (carol,) = room(tmp_path / "open", "carol", channel="#open")
    carol.send("PRIVMSG #open :open words")
    dave = net2.client("dave", CAPS)
    assert texts(search(dave, "text=open")) == []
    assert fail(dave, "in=#open").params[1] == "INVALID_PARAMS"
    dave.send("JOIN #open")
    assert texts(search(dave, "text=open")) == ["open words"]


def test_private_messages_are_found_only_by_their_two_parties(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice, bob, charlie = (net.client(n, CAPS) for n in ("alice", "bob", "charlie"))
    alice.send("PRIVMSG bob :my secret plan")
    bob.send("PRIVMSG alice :your plan is safe")
    charlie.send("PRIVMSG alice :a plan of mine")
    for c in (alice, bob, charlie):
        c.received()
    assert texts(search(alice, "text=plan")) == [
        "my secret plan",
        "your plan is safe",
        "a plan of mine",
    ]
    assert texts(search(bob, "text=plan")) == ["my secret plan", "your plan is safe"]
    assert texts(search(bob, "text=plan;in=alice")) == ["my secret plan", "your plan is safe"]
    assert texts(search(charlie, "text=plan")) == ["a plan of mine"]
    assert texts(search(charlie, "text=secret")) == []
    assert texts(search(charlie, "text=plan;in=bob")) == []  # their own (empty) conversation
    assert texts(search(charlie, "from=bob")) == []
    # a newcomer who takes bob's nick later finds nothing of bob's conversations
    bob.send("QUIT")
    newbob = net.client("bob", CAPS)
    assert texts(search(newbob, "text=plan")) == []
    assert texts(search(newbob, "text=plan;in=alice")) == []


def test_redacted_and_renamed_history_follow_at_once(tmp_path: Path) -> None:
    _, (alice,) = room(tmp_path, "alice")
    alice.send("CAP REQ draft/message-redaction")
    alice.send("PRIVMSG #room :oops a typo", "PRIVMSG #room :a typo fixed")
    msgid = next(m for m in search(alice, "text=oops")).tags["msgid"]
    alice.send(f"REDACT #room {msgid}")
    assert texts(search(alice, "text=typo")) == ["a typo fixed"]
    alice.send("RENAME #room #renamed :moving")
    assert texts(search(alice, "text=typo;in=#renamed")) == ["a typo fixed"]
    assert search(alice, "text=typo")[0].param(0) == "#renamed"
    assert fail(alice, "in=#room").params[1] == "INVALID_PARAMS"


def test_without_batch_the_results_come_one_by_one(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", "server-time")
    alice.send("JOIN #room", "PRIVMSG #room :findable line", "PRIVMSG #room :other")
    alice.received()
    alice.send("SEARCH text=findable")
    got = alice.received()
    assert [(m.command, m.param(1)) for m in got] == [("PRIVMSG", "findable line")]
    assert "time" in got[0].tags


def test_a_search_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    _, (alice, bob) = room(tmp_path, "alice", "bob")
    bob.send("JOIN #busy")
    bob.send(*(f"PRIVMSG #busy :common word {i}" for i in range(400)))
    backend = persistence(_net_of(alice)).backend
    backend.SEARCH_TIME_LIMIT = -1.0  # type: ignore[misc]  # every check of the clock is late
    reply = fail(alice, "text=common")
    assert reply.params[:2] == ("SEARCH", "INTERNAL_ERROR")
    backend.SEARCH_TIME_LIMIT = 0.5  # type: ignore[misc]
    assert search(alice, "text=common") == []


def _net_of(c: Client) -> Net:
    return c.net


def test_results_cost_flood_credit_in_proportion(tmp_path: Path) -> None:
    cost = COMMANDS["SEARCH"].cost
    assert cost.base >= COMMANDS["CHATHISTORY"].cost.base and cost.lines_per_unit
    assert cost.charge(Message("SEARCH", ("text=x",)), 0, 100) > cost.charge(
        Message("SEARCH", ("text=x",)), 0, 0
    )


def test_without_history_search_fails_cleanly() -> None:
    net = Net()
    alice = net.client("alice", CAPS.replace(" soju.im/search", ""))
    alice.send("SEARCH text=x")
    got = alice.received()
    assert [(m.command, m.params[1]) for m in got] == [("421", "SEARCH")]


def test_a_labeled_search_nests_its_batch_in_the_labeled_one(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    alice = net.client("alice", CAPS + " labeled-response")
    alice.send("JOIN #room", "PRIVMSG #room :labeled words")
    alice.received()
    alice.send("@label=q1 SEARCH text=labeled")
    got = alice.received()
    outer = got[0]
    assert outer.command == "BATCH" and outer.params[1] == "labeled-response"
    assert outer.tags["label"] == "q1"
    inner = got[1]
    assert inner.params[1:] == ("soju.im/search",)
    assert inner.tags["batch"] == outer.params[0][1:]
    assert [m.param(1) for m in got if m.tags.get("batch") == inner.params[0][1:]] == [
        "labeled words"
    ]
    assert got[-1].params == ("-" + outer.params[0][1:],)


def test_while_the_index_is_built_the_results_say_they_may_be_partial(tmp_path: Path) -> None:
    """After an upgrade the index is built in the background (storage/searchindex.py): a
    search answers with what it finds, after a NOTE that says how far the index is."""
    _, (alice,) = room(tmp_path, "alice")
    alice.send("PRIVMSG #room :some words")
    backend = persistence(_net_of(alice)).backend
    assert backend.search_indexing() is None  # a new database: nothing to catch up with
    assert [m.command for m in _answer(alice, "text=words")] == ["BATCH", "PRIVMSG", "BATCH"]
    backend.search_indexing = lambda: 0.4  # type: ignore[method-assign]
    got = _answer(alice, "text=words")
    assert got[0].command == "NOTE"
    assert got[0].params[:2] == ("SEARCH", "INDEXING") and "40%" in got[0].params[2]
    assert [m.param(1) for m in got if m.command == "PRIVMSG"] == ["some words"]


def _answer(c: Client, attributes: str) -> list[Message]:
    c.received()
    c.send(f"SEARCH {attributes}")
    return c.received()
