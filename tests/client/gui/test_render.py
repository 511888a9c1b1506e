"""How chat lines, tab labels and user rows are drawn, and the login form's checks (no display)."""

from __future__ import annotations

from datetime import datetime

from socketchat.client.events import ChatLine, Member
from socketchat.client.gui.login import LoginInfo, check_login
from socketchat.client.gui.render import line_segments, member_row, nick_tag, tab_label

AT = datetime(2024, 5, 1, 9, 7).astimezone()


def text(line: ChatLine) -> str:
    return "".join(s.text for s in line_segments(line))


def test_message_has_time_and_a_coloured_nick() -> None:
    line = ChatLine("#lobby", AT, "Bob", "hi there")
    segments = line_segments(line)
    assert text(line) == "09:07 <Bob> hi there"
    assert segments[0].tags == ("time",)
    nick = next(s for s in segments if s.text == "Bob")
    assert nick_tag("Bob") in nick.tags and nick_tag("Bob") == nick_tag("bob")


def test_kinds_are_drawn_distinctly() -> None:
    assert text(ChatLine("#l", AT, "bob", "waves", "action")) == "09:07 * bob waves"
    assert text(ChatLine("#l", AT, "srv", "note", "notice")) == "09:07 -srv- note"
    assert text(ChatLine("#l", AT, "", "oops", "error")) == "09:07 !! oops"
    assert text(ChatLine("#l", AT, "bob", "bob joined", "join")) == "09:07 -- bob joined"
    assert text(ChatLine("#l", AT, "", "Connected", "info")) == "09:07 -- Connected"
    highlighted = line_segments(ChatLine("#l", AT, "bob", "alice: hi", highlight=True))
    assert "highlight" in highlighted[-1].tags
    replayed = line_segments(ChatLine("#l", AT, "bob", "old", history=True))
    assert "history" in replayed[-1].tags


def test_tab_labels_and_member_rows() -> None:
    assert tab_label("#lobby", 0, False) == "#lobby"
    assert tab_label("#lobby", 3, False) == "#lobby (3)"
    assert tab_label("bob", 1, True) == "bob (1!)"
    assert member_row(Member("bob", "@+")) == "@bob"
    assert member_row(Member("carol", away=True)) == "carol  (away)"


def test_login_form_checks() -> None:
    assert check_login(" alice ", "irc.example.org", "6667") == LoginInfo(
        "alice", "irc.example.org", 6667
    )
    assert "Nick" in str(check_login("", "h", "6667"))
    assert "Nick" in str(check_login("9lives", "h", "6667"))
    assert "Nick" in str(check_login("a b", "h", "6667"))
    assert "Server" in str(check_login("alice", "", "6667"))
    assert "Port" in str(check_login("alice", "h", "70000"))
    assert "Port" in str(check_login("alice", "h", "²"))
    assert check_login("alice", "h", "6667", "pw").password == "pw"  # type: ignore[union-attr]
    assert "Password" in str(check_login("alice", "h", "6667", "a b"))


def test_formatting_becomes_tags_and_no_text_is_lost() -> None:
    line = ChatLine("#l", AT, "bob", "\x02b\x02 \x1di\x1d \x034,2c\x03 \x16r\x16 x\x1e")
    segments = line_segments(line)
    assert text(line) == "09:07 <bob> b i c r x"
    tags = {s.text: s.tags for s in segments}
    assert "font:b" in tags["b"] and "font:i" in tags["i"]
    assert {"fg#ff0000", "bg#00007f"} <= set(tags["c"])
    assert {"fg#ffffff", "bg#1f2328"} <= set(tags["r"])  # reverse with default colours


def test_span_tags_of_a_link_and_combined_fonts() -> None:
    from socketchat.client.formatting import parse_formatting
    from socketchat.client.gui.render import span_tags

    (span,) = parse_formatting("\x02\x1dhttps://example.org")
    assert span_tags(span) == ("font:bi", "link", "url:https://example.org")


def test_line_rows_wrap_under_the_text_column_and_reorder() -> None:
    from socketchat.client.gui.render import line_rows
    from socketchat.client.rtl import shape

    line = ChatLine("#l", AT, "sara", "یک دو سه چهار پنج شش هفت")
    drawn = line_rows(line, width=26, measure=len)
    assert "".join(s.text for s in drawn.prefix) == "09:07 <sara> "
    assert drawn.indent == len("09:07 <sara> ")
    assert len(drawn.rows) > 1
    first = "".join(s.text for s in drawn.rows[0])
    assert first.endswith(shape("یک")[::-1]) and len(first) <= 26 - drawn.indent
    unwrapped = line_rows(line)
    assert len(unwrapped.rows) == 1


def test_right_to_left_names_in_labels() -> None:
    from socketchat.client.rtl import shape

    assert tab_label("سارا", 2, True) == shape("سارا")[::-1] + " (2!)"
    assert member_row(Member("سارا", "@")) == "@" + shape("سارا")[::-1]


def test_a_persian_nick_in_its_column_is_shaped_and_reordered() -> None:
    """Tk draws in storage order: the nick column gets the nick as drawn, joined and reversed
    (it was drawn as stored, letters reversed: نیما read as امین); its colour stays the nick's."""
    from socketchat.client.gui.render import line_rows
    from socketchat.client.rtl import shape

    for kind, left, right in (("message", "<", ">"), ("action", "* ", " "), ("notice", "-", "-")):
        rows = line_rows(ChatLine("#l", AT, "نیما", "hi", kind))
        shown = "".join(s.text for s in rows.prefix)
        assert shown.rstrip() == f"09:07 {left}{shape('نیما')[::-1]}{right}".rstrip(), shown
        nick = next(s for s in rows.prefix if "nick" in s.tags)
        assert nick_tag("نیما") in nick.tags
    stored = line_rows(ChatLine("#l", AT, "نیما", "hi"), bidi=False)  # the view reorders itself
    assert "".join(s.text for s in stored.prefix) == "09:07 <نیما> "
