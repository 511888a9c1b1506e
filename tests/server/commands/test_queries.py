"""WHO/WHOX, WHOIS, WHOWAS, LIST, ISON, USERHOST, MOTD, LUSERS, VERSION, TIME."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Net

# -- WHO ------------------------------------------------------------------------------------


def test_who_channel_lists_members_with_flags_and_prefixes() -> None:
    net = Net()
    op, bob = net.client("op"), net.client("bob")
    joined(net, "#c", op, bob)
    bob.send("AWAY :lunch")
    bob.received()
    op.send("WHO #c")
    got = op.received()
    rows = {m.params[5]: m.params for m in only(got, "352")}
    assert rows["op"][1:5] == ("#c", "~op", "127.0.0.1", net.server.name)
    assert rows["op"][6] == "H@"
    assert rows["bob"][6] == "G"
    assert rows["bob"][7] == "0 bob real"
    assert only(got, "315")[0].params[1] == "#c"


def test_who_flags_multi_prefix_and_oper_star() -> None:
    net = Net()
    op = net.client("op", caps="multi-prefix")
    joined(net, "#c", op)
    op.send("MODE #c +v op")
    net.server.state.set_user_mode(op.session.user, "o", True)  # as if OPER
    op.received()
    op.send("WHO #c")
    (row,) = only(op.received(), "352")
    assert row.params[6] == "H*@+"


def test_who_mask_and_nick_and_star() -> None:
    net = Net()
    net.client("alice"), net.client("bob")
    a = net.client("alan")
    a.send("WHO al*")
    assert sorted(m.params[5] for m in only(a.received(), "352")) == ["alan", "alice"]
    a.send("WHO b?b")
    assert [m.params[5] for m in only(a.received(), "352")] == ["bob"]
    a.send("WHO bob")
    (row,) = only(a.received(), "352")
    assert row.params[1] == "*"
    for mask in ("*", "0"):
        a.send(f"WHO {mask}")
        assert len(only(a.received(), "352")) == 3
    a.send("WHO nobody")
    got = a.received()
    assert only(got, "352") == [] and only(got, "315")


def test_who_hides_invisible_users_unless_a_channel_is_shared() -> None:
    net = Net()
    hidden, seeker, friend = net.client("hidden"), net.client("seeker"), net.client("friend")
    hidden.send("MODE hidden +i")
    joined(net, "#c", hidden, friend)
    seeker.send("WHO *")
    assert "hidden" not in [m.params[5] for m in only(seeker.received(), "352")]
    seeker.send("WHO #c")
    assert [m.params[5] for m in only(seeker.received(), "352")] == ["friend"]
    friend.send("WHO *")
    assert "hidden" in [m.params[5] for m in only(friend.received(), "352")]


def test_who_secret_channel_empty_for_outsiders() -> None:
    net = Net()
    op, out = net.client("op"), net.client("out")
    joined(net, "#s", op)
    op.send("MODE #s +s")
    out.send("WHO #s")
    got = out.received()
    assert only(got, "352") == [] and only(got, "315")


def test_who_o_flag_only_opers() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    net.server.state.set_user_mode(b.session.user, "o", True)
    a.send("WHO * o")
    assert [m.params[5] for m in only(a.received(), "352")] == ["b"]


def test_whox_fields_in_spec_order_with_token_and_account() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b", ip="10.0.0.7")
    joined(net, "#c", a, b)
    b.session.user.account = "bobacct"
    a.send("WHO #c %nafcuihtsdlor,42")
    rows = {m.params[7]: m.params[1:] for m in only(a.received(), "354")}
    # t c u i h s n f d l a o r
    assert rows["b"] == (
        "42",
        "#c",
        "~b",
        "255.255.255.255",
        "10.0.0.7",
        net.server.name,
        "b",
        "H",
        "0",
        "0",
        "bobacct",
        "n/a",
        "b real",
    )
    assert rows["a"][3] == "127.0.0.1" and rows["a"][10] == "0" and rows["a"][7] == "H@"


def test_whox_subset_and_bad_token() -> None:
    net = Net()
    a = net.client("a")
    a.send("WHO a %na")
    assert only(a.received(), "354")[0].params[1:] == ("a", "0")
    a.send("WHO a %tn,abcd")
    assert only(a.received(), "354")[0].params[1:] == ("0", "a")


# -- WHOIS ----------------------------------------------------------------------------------


def test_whois_full_reply() -> None:
    net = Net()
    a = net.client("a", caps="multi-prefix")
    b = net.client("b", ip="10.1.2.3")
    joined(net, "#one", b)
    joined(net, "#two", a, b)
    b.send("MODE #one +v b", "AWAY :gone")
    b.session.user.account = "bacct"
    net.server.state.set_user_mode(b.session.user, "o", True)
    b.session.secure = True
    net.clock.advance(42)
    a.send("WHOIS b")
    got = a.received()
    codes = [m.command for m in got]
    assert codes[0] == "311" and codes[-1] == "318"
    assert only(got, "311")[0].params[1:] == ("b", "~b", "10.1.2.3", "*", "b real")
    assert set(only(got, "319")[0].params[2].split()) == {"@+#one", "#two"}
    assert only(got, "312")[0].params[2] == net.server.name
    assert only(got, "301")[0].params[2] == "gone"
    assert only(got, "313")
    assert only(got, "330")[0].params[1:3] == ("b", "bacct")
    assert only(got, "671")
    idle = only(got, "317")[0].params
    assert idle[2] == "42" and idle[3] == str(int(net.clock.now - 42))
    assert only(got, "338") == [] and only(got, "378") == []  # not self, not oper


def test_whois_self_shows_actual_host_and_hides_secret_channels_from_others() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    joined(net, "#secret", a)
    a.send("MODE #secret +s")
    a.send("WHOIS a")
    got = a.received()
    assert only(got, "378") and only(got, "338")
    assert "#secret" in only(got, "319")[0].params[2]
    b.send("WHOIS a")
    got = b.received()
    assert only(got, "319") == []
    assert only(got, "330") == [] and only(got, "671") == []


def test_whois_unknown_nick_401_and_318_and_server_form() -> None:
    net = Net()
    a = net.client("a")
    a.send("WHOIS ghost")
    assert [m.command for m in a.received()] == ["401", "318"]
    a.send(f"WHOIS {net.server.name} a")
    assert only(a.received(), "311")
    a.send("WHOIS")
    assert only(a.received(), "461")


# -- WHOWAS ---------------------------------------------------------------------------------


def test_whowas_after_quit_and_nick_change() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    b.send("NICK bee")
    b.send("QUIT :bye")
    a.send("WHOWAS b")
    got = a.received()
    assert only(got, "314")[0].params[1:] == ("b", "~b", "127.0.0.1", "*", "b real")
    assert only(got, "312") and only(got, "369")
    a.send("WHOWAS bee")
    assert len(only(a.received(), "314")) == 1
    a.send("WHOWAS nobody")
    got = a.received()
    assert only(got, "406") and only(got, "369")


def test_whowas_count_limits_entries() -> None:
    net = Net()
    a = net.client("a")
    for _ in range(3):
        x = net.client("x")
        x.send("QUIT")
    a.send("WHOWAS x")
    assert len(only(a.received(), "314")) == 3
    a.send("WHOWAS x 2")
    assert len(only(a.received(), "314")) == 2


# -- LIST -----------------------------------------------------------------------------------


def test_list_all_specific_and_secret() -> None:
    net = Net()
    a, b, c = net.client("a"), net.client("b"), net.client("c")
    joined(net, "#big", a, b)
    joined(net, "#small", c)
    c.send("TOPIC #small :tiny room")
    joined(net, "#hidden", b)
    b.send("MODE #hidden +s")
    a.send("LIST")
    got = a.received()
    assert only(got, "321") and only(got, "323")
    rows = {m.params[1]: m.params[2:] for m in only(got, "322")}
    assert set(rows) == {"#big", "#small"}
    assert rows["#big"][0] == "2"
    assert rows["#small"][1].endswith("tiny room")
    b.send("LIST")
    assert "#hidden" in {m.params[1] for m in only(b.received(), "322")}
    a.send("LIST #small,#hidden,#nope")
    assert [m.params[1] for m in only(a.received(), "322")] == ["#small"]


def test_list_elist_user_counts() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    joined(net, "#two", a, b)
    joined(net, "#one", a)
    a.send("LIST >1")
    assert [m.params[1] for m in only(a.received(), "322")] == ["#two"]
    a.send("LIST <2")
    assert [m.params[1] for m in only(a.received(), "322")] == ["#one"]


# -- ISON, USERHOST ----------------------------------------------------------------------------


def test_ison_and_userhost() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    b.send("AWAY :x")
    net.server.state.set_user_mode(b.session.user, "o", True)
    a.send("ISON b ghost A")
    assert only(a.received(), "303")[0].params[1] == "b a"
    a.send("USERHOST b a ghost")
    assert only(a.received(), "302")[0].params[1] == "b*=-~b@127.0.0.1 a=+~a@127.0.0.1"
    a.send("ISON")
    assert only(a.received(), "461")


# -- server questions -------------------------------------------------------------------------


def test_motd_lusers_version_time() -> None:
    net = Net()
    a = net.client("a")
    net.client()  # an unregistered connection
    a.send("MOTD")
    assert a.commands()[0] == "375"
    a.send("LUSERS")
    got = a.received()
    assert only(got, "251") and only(got, "253")[0].params[1] == "1"
    a.send("VERSION")
    got = a.received()
    assert only(got, "351")[0].params[2] == net.server.name
    assert "WHOX" in " ".join(" ".join(m.params) for m in only(got, "005"))
    a.send("TIME")
    (t,) = only(a.received(), "391")
    assert t.params[1:3] == (net.server.name, str(int(net.clock.now)))
    a.send("VERSION other.server", "TIME other.server", "MOTD other.server")
    assert [m.command for m in a.received()] == ["402", "402", "402"]


def test_no_motd_422() -> None:
    import dataclasses

    from socketchat.server.config import ServerConfig

    net = Net(dataclasses.replace(ServerConfig(), motd=""))
    a = net.client("a")
    a.send("MOTD")
    assert [m.command for m in a.received()] == ["422"]


def test_who_with_an_ip_matches_the_users_connected_from_it() -> None:
    net = Net()
    a = net.client("alice", ip="192.0.2.7")
    net.client("bob", ip="192.0.2.8")
    c = net.client("carol", ip="192.0.2.7")
    for x in (a, c):
        x.send("JOIN #lobby")
    c.received()
    c.send("WHO 192.0.2.7")
    got = c.received()
    assert sorted(m.params[5] for m in got if m.command == "352") == ["alice", "carol"]
    assert got[-1].command == "315"
