"""LIST with ELIST=CMNTU: user counts, creation and topic times, masks and !masks."""

from socketchat.server.commands.listfilter import ListFilter, parse_list_filter
from tests.server.commands.helpers import only
from tests.server.harness import Client, Net


def _listed(c: Client, arg: str = "") -> set[str]:
    c.send(f"LIST {arg}" if arg else "LIST")
    got = c.received()
    assert got[0].command == "321" and got[-1].command == "323"
    return {m.params[1] for m in only(got, "322")}


def test_parsing() -> None:
    assert parse_list_filter("") == ListFilter()
    got = parse_list_filter(">3,<60,C>2,c<10,T>1,T<5,#py*,!*-old,>x,!")
    assert got == ListFilter(
        min_users=4,
        max_users=59,
        min_age=120.0,
        max_age=600.0,
        min_topic_age=60.0,
        max_topic_age=300.0,
        masks=("#py*",),
        not_masks=("*-old",),
    )
    assert parse_list_filter("#a,#b").names_only == ("#a", "#b")
    assert parse_list_filter("#a,>1").names_only is None
    assert parse_list_filter("#a*").names_only is None


def test_isupport() -> None:
    net = Net()
    c = net.client()
    c.send("NICK a", "USER a 0 * :a")
    assert "ELIST=CMNTU" in [p for m in only(c.received(), "005") for p in m.params[1:-1]]


def test_user_counts() -> None:
    net = Net()
    foo, bar, baz = net.client("foo"), net.client("bar"), net.client("baz")
    foo.send("JOIN #chan1", "JOIN #chan2")
    bar.send("JOIN #chan2")
    assert _listed(baz, ">0") == {"#chan1", "#chan2"}
    assert _listed(baz, "<1") == set()
    assert _listed(baz, ">1") == {"#chan2"}
    assert _listed(baz, "<2") == {"#chan1"}
    assert _listed(baz, "<100") == {"#chan1", "#chan2"}


def test_masks_and_negated_masks() -> None:
    net = Net()
    foo, bar = net.client("foo"), net.client("bar")
    foo.send("JOIN #chan1", "JOIN #chan2")
    assert _listed(bar, "*an1") == {"#chan1"}
    assert _listed(bar, "#C*N2") == {"#chan2"}
    assert _listed(bar, "*an3") == set()
    assert _listed(bar, "#ch*") == {"#chan1", "#chan2"}
    assert _listed(bar, "!*an1") == {"#chan2"}
    assert _listed(bar, "!#ch*") == set()
    assert _listed(bar, "!*an3") == {"#chan1", "#chan2"}
    assert _listed(bar, "#chan1,#nope") == {"#chan1"}
    assert _listed(bar, "#ch*,>0,!*2") == {"#chan1"}


def test_creation_and_topic_times_in_minutes() -> None:
    net = Net()
    foo, bar = net.client("foo"), net.client("bar")
    foo.send("JOIN #chan1", "JOIN #chan2", "JOIN #notopic", "TOPIC #chan1 :first")
    net.clock.advance(120)
    foo.send("JOIN #chan3", "TOPIC #chan2 :second")
    net.clock.advance(60)
    old = {"#chan1", "#chan2", "#notopic"}
    assert _listed(bar, "C>2") == old
    assert _listed(bar, "C<2") == {"#chan3"}
    assert _listed(bar, "C<0") == set()
    assert _listed(bar, "C>0") == old | {"#chan3"}
    assert _listed(bar, "T>2") == {"#chan1"}
    assert _listed(bar, "T<2") == {"#chan2"}
    assert _listed(bar, "T>0") == {"#chan1", "#chan2"}  # no topic: no topic time to compare


def test_secret_channels_stay_hidden_from_masks() -> None:
    net = Net()
    foo, bar = net.client("foo"), net.client("bar")
    foo.send("JOIN #hidden", "MODE #hidden +s", "JOIN #open")
    foo.received()
    assert _listed(bar, "#*") == {"#open"}
    assert _listed(foo, "#*") == {"#hidden", "#open"}
