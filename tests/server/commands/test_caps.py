"""Every capability in CAP LS really works: negotiation, cap-notify, tags, and notifications."""

from pathlib import Path

from socketchat.server.core import BASE_CAPS
from tests.server.commands.helpers import joined, only
from tests.server.harness import Net
from tests.storage.helpers import stored_net


def test_cap_ls_offers_every_base_cap_and_req_acks_them_all() -> None:
    net = Net()
    c = net.client()
    c.send("CAP LS 302")
    offered = {
        item.partition("=")[0]  # CAP LS 302 shows values (draft/metadata-3=max-subs=50,...)
        for item in " ".join(m.params[-1] for m in only(c.received(), "CAP")).split()
    }
    assert set(BASE_CAPS) <= offered
    c.send("CAP REQ :" + " ".join(sorted(BASE_CAPS)))
    (ack,) = only(c.received(), "CAP")
    assert ack.params[1] == "ACK"
    c.send("CAP REQ :nonsense-cap")
    assert only(c.received(), "CAP")[0].params[1] == "NAK"
    c.send("CAP LIST")
    assert set(only(c.received(), "CAP")[0].params[2].split()) == set(BASE_CAPS)


def test_cap_notify_new_and_del() -> None:
    net = Net()
    notified = net.client()  # CAP LS without 302: values are not shown
    notified.send("CAP LS", "CAP REQ cap-notify", "NICK n", "USER n 0 * :n", "CAP END")
    notified.received()
    v302 = net.client()
    v302.send("CAP LS 302")  # 302 implies cap-notify
    v302.send("NICK v", "USER v 0 * :v", "CAP END")
    v302.received()
    plain = net.client("p")
    net.server.add_caps({"sasl": "PLAIN"})
    net.server.flush()
    assert only(notified.received(), "CAP")[0].params[1:] == ("NEW", "sasl")
    assert only(v302.received(), "CAP")[0].params[1:] == ("NEW", "sasl=PLAIN")
    assert plain.received() == []
    notified.send("CAP REQ sasl")
    notified.received()
    net.server.add_caps({"sasl": "PLAIN"})  # nothing new: no message
    net.server.remove_caps(["sasl", "not-offered"])
    net.server.flush()
    assert only(notified.received(), "CAP")[0].params[1:] == ("DEL", "sasl")
    assert "sasl" not in notified.session.caps
    assert "sasl" not in net.server.caps


def test_server_time_msgid_and_client_tags() -> None:
    net = Net()
    a = net.client("a", caps="server-time message-tags")
    b = net.client("b")
    b.send("@+draft/react=x;+typing=active PRIVMSG a :hi")
    (msg,) = only(a.received(), "PRIVMSG")
    assert msg.tags["time"].endswith("Z") and msg.tags["msgid"]
    assert msg.tags["+typing"] == "active" and msg.tags["+draft/react"] == "x"


def test_tagmsg_only_reaches_message_tags_clients() -> None:
    net = Net()
    a = net.client("a", caps="message-tags")
    plain = net.client("plain")
    s = net.client("s", caps="message-tags echo-message")
    joined(net, "#c", a, plain, s)
    s.send("@+typing=active TAGMSG #c")
    (t,) = only(a.received(), "TAGMSG")
    assert t.tags["+typing"] == "active"
    assert plain.received() == []
    assert only(s.received(), "TAGMSG")  # echoed
    s.send("TAGMSG")
    assert only(s.received(), "461")


def test_echo_message_echoes_with_same_msgid() -> None:
    net = Net()
    a = net.client("a", caps="echo-message message-tags")
    b = net.client("b", caps="message-tags")
    a.send("PRIVMSG b :hello")
    (echo,) = only(a.received(), "PRIVMSG")
    (got,) = only(b.received(), "PRIVMSG")
    assert echo.params == ("b", "hello") and echo.tags["msgid"] == got.tags["msgid"]
    c = net.client("c")
    c.send("PRIVMSG b :no echo")
    assert only(c.received(), "PRIVMSG") == []


def test_multi_prefix_and_userhost_in_names() -> None:
    net = Net()
    op = net.client("op", caps="multi-prefix userhost-in-names")
    plain = net.client("plain")
    joined(net, "#c", op, plain)
    op.send("MODE #c +v op")
    op.received(), plain.received()
    op.send("NAMES #c")
    names = only(op.received(), "353")[0].params[-1].split()
    assert "@+op!~op@127.0.0.1" in names and "plain!~plain@127.0.0.1" in names
    plain.send("NAMES #c")
    assert only(plain.received(), "353")[0].params[-1].split() == ["@op", "plain"]


def test_extended_join_carries_account_and_realname() -> None:
    net = Net()
    w = net.client("w", caps="extended-join")
    p = net.client("p")
    joined(net, "#c", w, p)
    a = net.client("a")
    a.session.user.account = "acct"
    a.send("JOIN #c")
    assert only(w.received(), "JOIN")[0].params == ("#c", "acct", "a real")
    assert only(p.received(), "JOIN")[0].params == ("#c",)
    b = net.client("b")
    b.send("JOIN #c")
    assert only(w.received(), "JOIN")[0].params == ("#c", "*", "b real")


def test_account_tag_and_account_notify() -> None:
    net = Net()
    w = net.client("w", caps="account-tag account-notify")
    p = net.client("p", caps="server-time")
    a = net.client("a", caps="account-notify")
    joined(net, "#c", w, p, a)
    a.session.user.account = "alice"
    net.server.account_changed(a.session)
    net.server.flush()
    (acc,) = only(w.received(), "ACCOUNT")
    assert acc.params == ("alice",) and acc.nick == "a"
    assert only(a.received(), "ACCOUNT")[0].params == ("alice",)
    assert only(p.received(), "ACCOUNT") == []
    a.send("PRIVMSG #c :tagged")
    assert only(w.received(), "PRIVMSG")[0].tags["account"] == "alice"
    assert "account" not in only(p.received(), "PRIVMSG")[0].tags
    a.session.user.account = None
    net.server.account_changed(a.session)
    net.server.flush()
    assert only(w.received(), "ACCOUNT")[0].params == ("*",)


def test_labeled_response_single_reply_batch_and_ack() -> None:
    net = Net()
    a = net.client("a", caps="labeled-response batch")
    a.send("@label=one PING :x")
    (pong,) = a.received()
    assert pong.command == "PONG" and pong.tags["label"] == "one"
    a.send("@label=two WHOIS a")
    got = a.received()
    assert got[0].command == "BATCH" and got[0].params[1] == "labeled-response"
    assert got[0].tags["label"] == "two"
    ref = got[0].params[0][1:]
    assert all(m.tags.get("batch") == ref for m in got[1:-1])
    assert {"311", "318"} <= {m.command for m in got[1:-1]}
    assert got[-1].command == "BATCH" and got[-1].params == ("-" + ref,)
    a.send("@label=three AWAY")  # a reply... and PONG to nothing: use a silent command
    a.received()
    a.send("@label=four PONG :x")
    (ack,) = a.received()
    assert ack.command == "ACK" and ack.tags["label"] == "four"


def test_labeled_response_without_batch_cap_sends_plain_lines() -> None:
    net = Net()
    a = net.client("a", caps="labeled-response")
    a.send("@label=x WHOIS a")
    got = a.received()
    assert "BATCH" not in [m.command for m in got] and len(got) > 2


def test_away_notify_setname_chghost_invite_notify_are_cap_gated() -> None:
    # (each has its own detailed test; this one checks that without the cap nothing arrives)
    net = Net()
    a, p = net.client("a"), net.client("p")
    joined(net, "#c", a, p)
    a.send("AWAY :x", "SETNAME :Other")
    assert [m.command for m in p.received()] == []


def test_cap_ls_without_302_is_one_line_even_with_every_cap(tmp_path: Path) -> None:
    """An old client reads one CAP LS line; with values off it still fits one (irctest
    testNoMultiline301Response: the caps of this issue had pushed it onto two)."""
    net = stored_net(tmp_path)  # with storage's caps too (sasl, chathistory, registration)
    c = net.client()
    c.send("CAP LS")
    (ls,) = only(c.received(), "CAP")
    assert set(ls.params[-1].split()) == set(net.server.caps)
    assert len(ls.to_bytes()) <= 512
