"""METADATA (draft/metadata-3): users' and channels' keys, who may read and change them, and
who hears of a change."""

from __future__ import annotations

from socketchat.irc.message import Message
from tests.server.commands.helpers import joined, only
from tests.server.harness import Client, Net

CAPS = "draft/metadata-3 batch"


def batch(got: list[Message]) -> list[Message]:
    """The lines inside the one `metadata` batch of `got`."""
    (start,) = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")]
    assert start.params[1] == "metadata"
    ref = start.params[0][1:]
    assert got[-1].params == ("-" + ref,)
    return [m for m in got if m.tags.get("batch") == ref]


def sub(c: Client, *keys: str) -> None:
    c.send("METADATA * SUB " + " ".join(keys))
    assert [m.params[1:] for m in only(c.received(), "770")] == [keys]


def test_set_get_list_and_unset_ones_own_keys() -> None:
    net = Net()
    foo = net.client("foo", caps=CAPS)
    foo.send("METADATA * GET display-name avatar")
    assert [(m.command, m.params[2]) for m in batch(foo.received())] == [
        ("766", "display-name"),
        ("766", "avatar"),
    ]
    foo.send("METADATA * SET display-name :Foo The First")
    assert [m.params for m in foo.received()] == [
        ("foo", "foo", "display-name", "*", "Foo The First")
    ]
    foo.send("METADATA foo GET Display-Name")
    assert [m.params[4] for m in batch(foo.received())] == ["Foo The First"]
    foo.send("METADATA * SET display-name :->\U0001f49c<-", "METADATA * LIST")
    got = foo.received()
    assert [m.params[4] for m in batch(got[1:])] == ["->\U0001f49c<-"]
    foo.send("METADATA * SET display-name")
    assert [m.command for m in foo.received()] == ["766"]
    foo.send("METADATA * LIST")
    assert batch(foo.received()) == []


def test_refusals() -> None:
    net = Net()
    foo, bar = net.client("foo", caps=CAPS), net.client("bar", caps=CAPS)
    bar.send("METADATA * SET color :#c90076")
    bar.received()
    foo.send(
        "METADATA bar SET display-name :Totally Not Foo",
        "METADATA bar CLEAR",
        "METADATA foobar LIST",
        "METADATA * SET bad!key :x",
        "METADATA * SET display-name :" + "abcd" * 120,
    )
    fails = [m.params[:3] for m in foo.received()]
    assert fails == [
        ("METADATA", "KEY_NO_PERMISSION", "bar"),
        ("METADATA", "KEY_NO_PERMISSION", "bar"),
        ("METADATA", "INVALID_TARGET", "foobar"),
        ("METADATA", "KEY_INVALID", "bad!key"),
        ("METADATA", "INVALID_VALUE", "display-name"),
    ]
    assert bar.received() == []
    bar.send("METADATA * LIST")
    assert [m.params[2:] for m in batch(bar.received())] == [("color", "*", "#c90076")]
    foo.send_raw(b"METADATA * SET display-name :invalid UTF-8 ->\xc3<-\r\n")
    assert [m.params[:2] for m in foo.received()] == [("METADATA", "INVALID_UTF8")]


def test_subscribers_in_a_shared_channel_hear_changes_and_whois_shows_keys() -> None:
    net = Net()
    foo, bar = net.client("foo", caps=CAPS), net.client("bar", caps=CAPS)
    sub(bar, "avatar", "display-name")
    foo.send("METADATA * SET display-name :Alone")
    foo.received()
    assert bar.received() == []  # no shared channel
    foo.send("JOIN #chan")
    foo.received()
    bar.send("JOIN #chan")
    assert [m.params[1:] for m in only(bar.received(), "761")] == [
        ("foo", "display-name", "*", "Alone")  # on join
    ]
    foo.received()  # bar's JOIN
    foo.send("METADATA * SET display-name :Foo The Second")
    assert [m.command for m in foo.received()] == ["761"]  # only the reply
    assert [m.params[1:] for m in bar.received()] == [
        ("foo", "display-name", "*", "Foo The Second")
    ]
    foo.send("METADATA * SET display-name")
    foo.received()
    assert [(m.command, m.params[1:3]) for m in bar.received()] == [
        ("766", ("foo", "display-name"))
    ]
    foo.send("METADATA * SET avatar :https://example.org/a.png")
    bar.received()
    bar.send("WHOIS foo")
    assert [m.params for m in only(bar.received(), "760")] == [
        ("bar", "foo", "avatar", "*", "https://example.org/a.png")
    ]
    bar.send("METADATA * SUBS", "METADATA * UNSUB avatar", "METADATA * SUBS")
    got = bar.received()
    assert [m.params[1:] for m in got] == [
        ("avatar", "display-name"),
        ("avatar",),
        ("display-name",),
    ]


def test_channel_keys_for_ops_to_set_and_members_to_read() -> None:
    net = Net()
    op, member, outsider = (net.client(n, caps=CAPS) for n in ("op", "member", "outsider"))
    joined(net, "#chan", op, member)
    sub(member, "display-name")
    member.send("METADATA #chan SET display-name :Sharp Channel")
    assert [m.params[:4] for m in member.received()] == [
        ("METADATA", "KEY_NO_PERMISSION", "#chan", "display-name")
    ]
    op.send("METADATA #chan SET display-name :Hash Channel", "METADATA #chan SET avatar :a.png")
    assert [m.command for m in op.received()] == ["761", "761"]
    assert [m.params[1:] for m in member.received()] == [
        ("#chan", "display-name", "*", "Hash Channel")
    ]
    outsider.send("METADATA #chan LIST")
    assert len(batch(outsider.received())) == 2  # an open channel: anyone may read
    op.send("MODE #chan +i")
    op.received()
    member.received()
    for line in ("METADATA #chan GET display-name", "METADATA #chan LIST", "METADATA #chan SYNC"):
        outsider.send(line)
        got = outsider.received()
        assert got and not any("Hash Channel" in m.params for m in got), got
    op.send("METADATA #chan CLEAR")
    cleared = batch(op.received())
    assert sorted(m.params[2] for m in cleared) == ["avatar", "display-name"]
    assert {m.command for m in cleared} == {"766"}


def test_a_channel_s_keys_come_with_the_join_and_go_with_the_channel() -> None:
    net = Net()
    foo, bar = net.client("foo", caps=CAPS), net.client("bar", caps=CAPS)
    sub(bar, "display-name")
    joined(net, "#chan", foo)
    foo.send("METADATA #chan SET display-name :Hash Channel")
    foo.received()
    assert bar.received() == []
    bar.send("JOIN #chan")
    assert [m.params[1:] for m in only(bar.received(), "761")] == [
        ("#chan", "display-name", "*", "Hash Channel")
    ]
    foo.send("PART #chan")
    bar.send("PART #chan", "JOIN #chan", "METADATA #chan LIST")
    assert batch([m for m in bar.received() if m.command in ("BATCH", "761")]) == []


def test_keys_set_before_connecting_come_back_after_the_welcome() -> None:
    from socketchat.server.commands.metadata import CAP_VALUE
    from socketchat.server.core import BASE_CAPS

    assert BASE_CAPS["draft/metadata-3"] == CAP_VALUE and "before-connect" in CAP_VALUE
    net = Net()
    c = net.client()
    c.send("METADATA * SET display-name :early")
    assert [m.command for m in c.received()] == ["451"]  # not without the capability
    c.send("CAP LS 302", f"CAP REQ :{CAPS}")
    c.received()
    c.send("METADATA * SET display-name :Foo The First", "METADATA bar LIST")
    got = c.received()
    assert got[0].params == ("*", "*", "display-name", "*", "Foo The First")
    assert got[1].command == "451"  # only oneself exists before registration
    c.send("NICK foo", "USER foo 0 * :foo", "CAP END")
    got = c.received()
    start = next(m for m in got if m.command == "BATCH" and m.params[1:] == ("metadata", "foo"))
    inside = [m for m in got if m.tags.get("batch") == start.params[0][1:]]
    assert [m.params[1:] for m in inside] == [("foo", "display-name", "*", "Foo The First")]
