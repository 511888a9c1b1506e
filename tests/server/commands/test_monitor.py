"""MONITOR + / - / C / L / S: the list, its limit, and the status numerics (730-734)."""

from socketchat.server.monitor import MONITOR_MAX
from tests.server.commands.helpers import only
from tests.server.harness import Net


def test_isupport_advertises_the_limit_and_the_cap_is_offered() -> None:
    net = Net()
    c = net.client()
    c.send("CAP LS 302")
    assert "extended-monitor" in c.received()[0].params[-1].split()
    c.send("NICK a", "USER a 0 * :a", "CAP END")
    tokens = [p for m in only(c.received(), "005") for p in m.params[1:-1]]
    assert f"MONITOR={MONITOR_MAX}" in tokens


def test_adding_answers_online_with_the_full_prefix_and_offline_with_the_nick() -> None:
    net = Net()
    a = net.client("a")
    net.client("Bob")
    a.send("MONITOR + bob,carol")
    got = a.received()
    (on,) = only(got, "730")
    (off,) = only(got, "731")
    assert on.params == ("a", "Bob!~Bob@127.0.0.1")
    assert off.params == ("a", "carol")


def test_list_keeps_the_spelling_and_minus_and_clear_remove_silently() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + Qux,bazbat,QUX")
    a.received()
    a.send("MONITOR L")
    got = a.received()
    assert [m.command for m in got] == ["732", "733"]
    assert got[0].params == ("a", "Qux,bazbat")
    a.send("MONITOR - qux")
    assert a.received() == []
    a.send("MONITOR L")
    assert only(a.received(), "732")[0].params[1] == "bazbat"
    a.send("MONITOR C")
    assert a.received() == []
    a.send("MONITOR L")
    assert a.commands() == ["733"]


def test_status_reports_every_target() -> None:
    net = Net()
    a = net.client("a")
    net.client("b")
    a.send("MONITOR + b,c", "MONITOR S")
    a.received()
    a.send("MONITOR S")
    assert sorted(a.commands()) == ["730", "731"]


def test_masks_are_refused_and_never_added() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + *!u@host,ok")
    got = a.received()
    assert only(got, "432")[0].params[1] == "*!u@host"
    assert only(got, "731")[0].params[1] == "ok"
    a.send("MONITOR L")
    assert only(a.received(), "732")[0].params[1] == "ok"


def test_a_full_list_answers_734_with_the_targets_that_did_not_fit() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR + " + ",".join(f"n{i}" for i in range(MONITOR_MAX - 1)))
    a.received()
    a.send("MONITOR + n0,last,over1,over2")
    got = a.received()
    (full,) = only(got, "734")
    assert full.params[1:3] == (str(MONITOR_MAX), "over1,over2")
    assert only(got, "731")[0].params[1] == "n0,last"  # n0 was already there: no room taken
    a.send("MONITOR L")
    listed = ",".join(m.params[1] for m in only(a.received(), "732")).split(",")
    assert len(listed) == MONITOR_MAX and "over1" not in listed


def test_long_lists_are_split_across_lines() -> None:
    net = Net()
    a = net.client("a")
    nicks = [f"somewhat_long_nick_{i:03d}" for i in range(MONITOR_MAX)]
    for i in range(0, MONITOR_MAX, 10):
        a.send("MONITOR + " + ",".join(nicks[i : i + 10]))
    a.received()
    a.send("MONITOR L")
    lines = only(a.received(), "732")
    assert len(lines) > 1 and all(len(m.params[1]) <= 400 for m in lines)
    assert ",".join(m.params[1] for m in lines).split(",") == nicks


def test_missing_targets_and_unknown_subcommands() -> None:
    net = Net()
    a = net.client("a")
    a.send("MONITOR +", "MONITOR X", "MONITOR")
    assert a.commands() == ["461", "421", "461"]
