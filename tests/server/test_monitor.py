"""Who hears MONITOR notifications: connect, quit, nick changes, and extended-monitor."""

from tests.server.harness import Net


def test_online_on_registration_offline_on_quit_and_again_on_return() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + bar")
    a.received()
    bar = net.client("bar")
    (on,) = a.received()
    assert (on.command, on.params) == ("730", ("a", "bar!~bar@127.0.0.1"))
    bar.send("QUIT :bye")
    (off,) = a.received()
    assert (off.command, off.params) == ("731", ("a", "bar"))
    net.client("BAR")
    assert a.commands() == ["730"]


def test_a_connection_that_never_registers_is_never_announced() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + bar")
    a.received()
    half = net.client()
    half.send("NICK bar")  # holds the nick, but is not registered
    half.session.connection_lost()
    net.server.flush()
    assert a.received() == []


def test_nick_changes_go_offline_and_online_but_not_for_a_change_of_case() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + qux,baz")
    a.received()
    baz = net.client("baz")
    a.received()
    baz.send("NICK qux")
    got = a.received()
    assert [(m.command, m.params[1]) for m in got] == [
        ("731", "baz"),
        ("730", "qux!~baz@127.0.0.1"),
    ]
    baz.send("NICK QUX")
    assert a.received() == []
    baz.send("NICK other")
    assert [(m.command, m.params[1]) for m in a.received()] == [("731", "QUX")]


def test_unmonitoring_and_leaving_stop_notifications() -> None:
    net = Net()
    a, b = net.client("a"), net.client("b")
    a.send("MONITOR + qux")
    b.send("MONITOR + qux", "MONITOR - qux")
    b.received()
    a.received()
    net.client("qux")
    assert a.commands() == ["730"]
    assert b.received() == []
    a.send("QUIT")
    assert net.server.state.watchers("qux") == []  # a's list went with it


def test_extended_monitor_relays_away_setname_account_and_chghost_with_each_cap() -> None:
    from socketchat.server.commands.users import change_host

    net = Net()
    ext = net.client("ext", caps="extended-monitor away-notify setname chghost account-notify")
    plain = net.client("plain", caps="away-notify setname chghost account-notify")
    half = net.client("half", caps="extended-monitor")  # extended-monitor without the others
    for c in (ext, plain, half):
        c.send("MONITOR + bar")
        c.received()
    bar = net.client("bar")
    for c in (ext, plain, half):
        assert c.commands() == ["730"]
    bar.send("AWAY :afk", "AWAY", "SETNAME :new name")
    got = ext.received()
    assert [(m.command, m.nick, m.params) for m in got] == [
        ("AWAY", "bar", ("afk",)),
        ("AWAY", "bar", ()),
        ("SETNAME", "bar", ("new name",)),
    ]
    change_host(net.server, bar.session, host="vhost.example")
    bar.session.user.account = "bar"
    net.server.account_changed(bar.session)
    net.server.flush()
    got = ext.received()
    assert [(m.command, m.params) for m in got] == [
        ("CHGHOST", ("~bar", "vhost.example")),
        ("ACCOUNT", ("bar",)),
    ]
    assert plain.received() == [] and half.received() == []


def test_a_watcher_sharing_a_channel_hears_each_change_once() -> None:
    net = Net()
    ext = net.client("ext", caps="extended-monitor away-notify")
    bar = net.client("bar")
    ext.send("MONITOR + bar", "JOIN #c")
    bar.send("JOIN #c")
    ext.received()
    bar.send("AWAY :afk")
    assert ext.commands() == ["AWAY"]
