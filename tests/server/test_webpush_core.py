"""draft/webpush through the sans-I/O core, with real SQLite: WEBPUSH REGISTER/UNREGISTER, and
which mentions and private messages become pushes, when, and which do not (read markers)."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

from socketchat.irc.message import Message, parse_message
from socketchat.server.config import ServerConfig, WebPushSettings
from socketchat.server.webpush import check_endpoint, mentions, parse_keys
from tests.server.harness import Client, Net
from tests.storage.helpers import persistence, stored_net

VAPID = "BDd3_hVL9fZi9Ybo2UUzA284WG5FZR30_95YeZJsiApwXKpNcF1rRPF3foIiBHXRdJI2Qhumhf6_LFTeZaNndIo"
P256DH = "B" + "A" * 86  # 65 bytes once decoded, 0x04 first: the shape of a P-256 point
AUTH = base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode()
KEYS = f"p256dh={P256DH};auth={AUTH}"
ENDPOINT = "https://push.example.net/send/abc123"
PASSWORD = "correct-horse-battery"
CAPS = "draft/read-marker server-time message-tags echo-message"


def push_net(tmp_path: Path, **push: object) -> Net:
    settings = dataclasses.replace(WebPushSettings(), **push)  # type: ignore[arg-type]
    net = stored_net(tmp_path, webpush=settings)
    net.server.push.enable(VAPID)
    return net


def account_client(net: Net, nick: str, account: str | None = None, caps: str = CAPS) -> Client:
    """A connection logged in to `account` (made on first use) with `caps`."""
    c = net.client()
    c.send("CAP LS 302", f"CAP REQ :draft/account-registration sasl {caps}")
    c.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
    if account is None:
        c.send(f"REGISTER * * {PASSWORD}")
    else:
        plain = base64.b64encode(f"\0{account}\0{PASSWORD}".encode()).decode()
        c.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {plain}")
    c.send("CAP END")
    got = c.received()
    assert any(m.command == "001" for m in got), got
    assert c.session.account == (account or nick)
    return c


def failures(got: list[Message]) -> list[tuple[str, ...]]:
    return [m.params[:-1] for m in got if m.command == "FAIL"]


def test_vapid_key_and_capability_are_advertised(tmp_path: Path) -> None:
    net = push_net(tmp_path)
    c = net.client()
    c.send("CAP LS 302")
    caps = " ".join(m.params[-1] for m in c.received() if m.command == "CAP")
    assert "draft/webpush" in caps.split()
    c.send("NICK guest", "USER g 0 * :g", "CAP END")
    tokens = [p for m in c.received() if m.command == "005" for p in m.params[1:-1]]
    assert f"VAPID={VAPID}" in tokens
    # every 005 line still fits in 512 bytes with the 87-character key among its tokens
    c.send("ISUPPORT")
    assert all(len(m.to_bytes()) <= 512 for m in c.received())


def test_without_keys_webpush_is_not_offered(tmp_path: Path) -> None:
    net = stored_net(tmp_path)
    c = account_client(net, "alice")
    c.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")
    assert failures(c.received()) == [("WEBPUSH", "FORBIDDEN", "REGISTER", ENDPOINT)]
    assert "draft/webpush" not in net.server.caps


def test_register_needs_an_account_a_good_url_and_good_keys(tmp_path: Path) -> None:
    net = push_net(tmp_path, max_subscriptions=2)
    guest = net.client("guest")
    guest.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")
    assert failures(guest.received()) == [("WEBPUSH", "FORBIDDEN", "REGISTER", ENDPOINT)]
    alice = account_client(net, "alice")
    bad = [
        f"WEBPUSH REGISTER http://push.example.net/x {KEYS}",  # not https
        f"WEBPUSH REGISTER https://127.0.0.1/x {KEYS}",  # the server's own machine
        f"WEBPUSH REGISTER https://169.254.169.254/latest {KEYS}",  # cloud metadata
        f"WEBPUSH REGISTER https://10.1.2.3/x {KEYS}",
        f"WEBPUSH REGISTER https://localhost:8443/x {KEYS}",
        f"WEBPUSH REGISTER https://user:pw@push.example.net/x {KEYS}",
        f"WEBPUSH REGISTER {ENDPOINT} p256dh={P256DH}",  # no auth
        f"WEBPUSH REGISTER {ENDPOINT} p256dh=AAAA;auth={AUTH}",  # not a point
    ]
    for line in bad:
        alice.send(line)
        got = failures(alice.received())
        assert len(got) == 1 and got[0][:3] == ("WEBPUSH", "INVALID_PARAMS", "REGISTER"), line
    alice.send("WEBPUSH FROB x")
    assert failures(alice.received())[0][:2] == ("WEBPUSH", "INVALID_PARAMS")
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")
    assert alice.received() == [
        Message("WEBPUSH", ("REGISTER", ENDPOINT, KEYS), "socketchat.local")
    ]
    alice.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")  # the same device again: replaced
    alice.send(f"WEBPUSH REGISTER {ENDPOINT}2 {KEYS}")
    alice.send(f"WEBPUSH REGISTER {ENDPOINT}3 {KEYS}")
    got = alice.received()
    assert failures(got) == [("WEBPUSH", "MAX_REGISTRATIONS", "REGISTER", ENDPOINT + "3")]
    store = persistence(net)
    assert [s.endpoint for s in store.push_subscriptions("alice")] == [ENDPOINT, ENDPOINT + "2"]
    alice.send(f"WEBPUSH UNREGISTER {ENDPOINT}2", "WEBPUSH UNREGISTER https://never.example/")
    assert [m.params for m in alice.received()] == [
        ("UNREGISTER", ENDPOINT + "2"),
        ("UNREGISTER", "https://never.example/"),
    ]
    net.server.flush()  # committed: kept across a restart
    store.backend.close()
    from socketchat.storage.sqlite import SqliteBackend

    again = SqliteBackend(tmp_path / "socketchat.db")
    kept = again.push_subscriptions("alice")
    assert [(s.account, s.endpoint, s.p256dh, s.auth) for s in kept] == [
        ("alice", ENDPOINT, P256DH, AUTH)
    ]
    again.close()


def test_endpoint_rules_and_the_allow_list() -> None:
    assert check_endpoint(ENDPOINT, ()) is None
    assert check_endpoint("https://[::1]/x", ()) is not None
    assert check_endpoint("https://[::ffff:127.0.0.1]/x", ()) is not None
    assert check_endpoint("http://127.0.0.1:8123/p", ("127.0.0.1",)) is None
    assert check_endpoint("http://127.0.0.1:8123/p", ("127.0.0.1:8123",)) is None
    assert check_endpoint("http://127.0.0.1:8123/p", ("127.0.0.1:9",)) is not None
    assert check_endpoint("ftp://push.example.net/x", ()) is not None
    assert check_endpoint("https://push.example.net/" + "x" * 1100, ()) is not None
    assert parse_keys(KEYS) == (P256DH, AUTH)
    assert parse_keys("auth=" + AUTH) is None


def test_mentions_are_whole_words() -> None:
    assert mentions("alice: hi", "alice")
    assert mentions("hi @Alice!", "alice")
    assert mentions("سلام alice، خوبی؟", "alice")
    assert mentions("سلام علی", "علی")
    assert not mentions("malice aforethought", "alice")
    assert not mentions("ask alice_bot", "alice")
    assert not mentions("see alice://thing", "alice")
    assert not mentions("علیرضا آمد", "علی")


def subscribed(net: Net, nick: str = "alice") -> Client:
    c = account_client(net, nick)
    c.send(f"WEBPUSH REGISTER {ENDPOINT} {KEYS}")
    assert c.received()[0].command == "WEBPUSH"
    return c


def line_of(payload: bytes) -> Message:
    assert not payload.endswith(b"\r\n")
    return parse_message(payload.decode())


def test_a_mention_is_pushed_after_the_delay_while_unread(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=30.0)
    alice = subscribed(net)
    bob = net.client("bob", "server-time")
    alice.send("JOIN #room")
    bob.send("JOIN #room")
    bob.send("PRIVMSG #room :nothing for anyone", "PRIVMSG #room :alice: lunch?")
    push = net.server.push
    assert not push.queue  # a device is connected: it may be looking
    net.clock.advance(29)
    net.server.tick()
    assert not push.queue
    net.clock.advance(2)
    net.server.tick()
    [job] = push.queue
    assert (job.account, job.endpoint, job.p256dh, job.auth) == ("alice", ENDPOINT, P256DH, AUTH)
    msg = line_of(job.payload)
    assert (msg.command, msg.params, msg.source.split("!")[0]) == (
        "PRIVMSG",
        ("#room", "alice: lunch?"),
        "bob",
    )
    assert set(msg.tags) == {"time", "msgid"}  # bob has no account
    live = next(m for m in alice.received() if m.param(1) == "alice: lunch?")
    assert msg.tags["msgid"] == live.tags["msgid"]


def test_what_another_device_read_is_not_pushed(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=30.0)
    laptop = subscribed(net)
    phone = account_client(net, "alicephone", "alice")
    bob = net.client("bob", "server-time")
    for c in (laptop, phone, bob):
        c.send("JOIN #room")
    bob.send("PRIVMSG #room :alice: are you there?")
    stamp = next(m for m in phone.received() if m.command == "PRIVMSG").tags["time"]
    net.clock.advance(5)
    phone.send(f"MARKREAD #room timestamp={stamp}")  # read on the phone
    net.clock.advance(30)
    net.server.tick()
    assert not net.server.push.queue
    assert net.server.push.suppressed == 1
    # a private message read on another device: not pushed either
    bob.send("PRIVMSG alice :psst")
    stamp = next(m for m in laptop.received() if m.param(1) == "psst").tags["time"]
    laptop.send(f"MARKREAD bob timestamp={stamp}")
    net.clock.advance(31)
    net.server.tick()
    assert not net.server.push.queue
    assert net.server.push.suppressed == 2


def test_a_private_message_is_pushed_when_the_device_leaves_without_reading_it(
    tmp_path: Path,
) -> None:
    net = push_net(tmp_path, delay=30.0)
    alice = subscribed(net)
    carol = account_client(net, "carol")
    carol.send("PRIVMSG alice :\x01ACTION waves\x01", "PRIVMSG alice :\x01VERSION\x01")
    carol.send("NOTICE alice :notices are not pushed", "TAGMSG alice")
    alice.send("QUIT :bye")  # gone before reading it
    net.clock.advance(31)
    net.server.tick()
    [job] = net.server.push.queue
    msg = line_of(job.payload)
    assert msg.params == ("alice", "\x01ACTION waves\x01")
    assert msg.tags["account"] == "carol"


def test_an_account_with_no_device_connected_is_pushed_at_once(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=30.0)
    alice = subscribed(net)
    alice.send("QUIT")
    bob = net.client("bob")
    out = Message("PRIVMSG", ("alice", "offline hello"), bob.session.prefix, {"time": "x"})
    net.server.push.private_message(bob.session, "alice", out)  # always-on / offline messages
    [job] = net.server.push.queue
    assert line_of(job.payload).params == ("alice", "offline hello")


def test_no_push_for_non_mentions_own_lines_or_without_subscriptions(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=0.0)
    alice = subscribed(net)
    other = account_client(net, "alicetoo", "alice")  # alice's other device
    dave = account_client(net, "dave")  # an account with no subscription
    bob = net.client("bob")
    for c in (alice, other, dave, bob):
        c.send("JOIN #room")
    bob.send("PRIVMSG #room :malice and alice_bot", "PRIVMSG #room :dave: hi")
    other.send("PRIVMSG #room :alice: note to self", "PRIVMSG alice :to myself")
    bob.send("PRIVMSG @#room :alice: ops only")  # STATUSMSG: not pushed
    net.server.tick()
    assert not net.server.push.queue
    bob.send("PRIVMSG #room :ALICE!")
    assert len(net.server.push.queue) == 1  # one push per account, not per device


def test_gone_subscriptions_are_removed(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=0.0)
    subscribed(net)
    bob = net.client("bob")
    bob.send("PRIVMSG alice :one")
    [job] = net.server.push.queue
    push = net.server.push
    push.delivered(job, 201)
    push.delivered(job, 500)
    assert persistence(net).push_subscriptions("alice")
    push.delivered(job, 410)
    assert persistence(net).push_subscriptions("alice") == []
    assert (push.sent, push.failed, push.removed) == (1, 1, 1)


def test_the_queue_is_bounded(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=0.0, max_queue=3)
    subscribed(net)
    bob = net.client("bob")
    for i in range(5):
        bob.send(f"PRIVMSG alice :m{i}")
    assert len(net.server.push.queue) == 3
    assert net.server.push.dropped == 2


def test_config_table(tmp_path: Path) -> None:
    from socketchat.server.config import ConfigError, config_from_dict, validate

    config = config_from_dict(
        {"webpush": {"delay": 5, "allowed_hosts": ["127.0.0.1"], "subscriber": "mailto:a@b.c"}}
    )
    assert config.webpush.allowed_hosts == ("127.0.0.1",)
    assert validate(config).webpush.delay == 5
    for bad in ({"delay": -1}, {"subscriber": "admin@example.org"}, {"frob": 1}):
        try:
            validate(config_from_dict({"webpush": bad}))
        except ConfigError:
            continue
        raise AssertionError(bad)
    assert ServerConfig().webpush.enabled


def test_a_multiline_message_is_pushed_as_one_line(tmp_path: Path) -> None:
    net = push_net(tmp_path, delay=0.0)
    alice = subscribed(net)
    bob = net.client("bob", "batch draft/multiline")
    alice.send("JOIN #room")
    bob.send("JOIN #room")
    bob.send(
        "BATCH +m1 draft/multiline #room",
        "@batch=m1 PRIVMSG #room :first line,",
        "@batch=m1 PRIVMSG #room :alice: second",
        "@batch=m1;draft/multiline-concat PRIVMSG #room : half",
        "BATCH -m1",
    )
    [job] = net.server.push.queue
    assert line_of(job.payload).params == ("#room", "first line, alice: second half")
    bob.send(
        "BATCH +m2 draft/multiline alice",
        "@batch=m2 PRIVMSG alice :one",
        "@batch=m2 PRIVMSG alice :two",
        "BATCH -m2",
    )
    assert line_of(net.server.push.queue[-1].payload).params == ("alice", "one two")


def test_only_the_senders_own_node_pushes(tmp_path: Path) -> None:
    """In a cluster another node's connection is a shadow, not in `Server.sessions`: the line
    it sent is applied here too, but pushed by its own node only."""
    net = push_net(tmp_path, delay=0.0)
    subscribed(net)
    bob = net.client("bob")
    net.server.sessions.discard(bob.session)  # as a shadow of another node's connection
    out = Message("PRIVMSG", ("alice", "hi"), bob.session.prefix, {})
    net.server.push.private_message(bob.session, "alice", out)
    assert not net.server.push.queue
    net.server.sessions.add(bob.session)
    net.server.push.private_message(bob.session, "alice", out)
    assert len(net.server.push.queue) == 1


def test_an_always_on_account_with_no_device_is_pushed_at_once(tmp_path: Path) -> None:
    """Always-on (the default for accounts): alice's last device left, she stays in #room and
    reachable; a mention or a private message is pushed at once (no device could read it)."""
    net = push_net(tmp_path, delay=30.0)
    alice = subscribed(net)
    alice.send("JOIN #room")
    bob = net.client("bob")
    bob.send("JOIN #room")
    alice.send("PRIVMSG NickServ :SET ALWAYS-ON ON", "QUIT :off to the bus")
    bob.received()
    bob.send("PRIVMSG #room :alice: still there?")
    [job] = net.server.push.queue
    assert line_of(job.payload).params == ("#room", "alice: still there?")
    bob.send("PRIVMSG alice :a word for later")
    assert len(net.server.push.queue) == 2
    assert line_of(net.server.push.queue[1].payload).params == ("alice", "a word for later")


def test_an_offline_account_gets_its_private_messages_pushed(tmp_path: Path) -> None:
    """With always-on off, a private message to the account nobody uses is kept for it (not
    401) and pushed at once."""
    net = push_net(tmp_path, delay=30.0)
    alice = subscribed(net)
    alice.send("PRIVMSG NickServ :SET ALWAYS-ON OFF")
    alice.send("QUIT")
    bob = net.client("bob")
    bob.send("PRIVMSG alice :are you there?")
    assert "401" not in [m.command for m in bob.received()]
    [job] = net.server.push.queue
    assert line_of(job.payload).params == ("alice", "are you there?")
