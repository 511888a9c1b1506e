"""Bidi reordering and shaping for the views without them (Tk, terminals): pure, no widgets."""

from __future__ import annotations

import pytest
from bidi import get_base_level, get_display

from socketchat.client import rtl
from socketchat.client.formatting import Span, Style, parse_formatting
from socketchat.client.rtl import (
    display_rows,
    display_text,
    paragraph_levels,
    reorder_row,
    shape,
    wrap_ranges,
)

MIXED = "جلسه ساعت 10:30 در room B است، OK?"
SAMPLES = [
    MIXED,
    "سلام",
    "hello world",
    "hello سلام world",
    "قیمت (۱۲۰ تومان) است",
    "price (120 تومان) ok",
    "من [hello] گفتم",
    "a < b و c > d",
    "شماره 021-555-1234 تماس",
    "می\u200cخندد",
    "   فاصله   ",
    "email: test@example.org است",
    "۱۲۳ و 456",
    "עברית and English",
    "https://example.org/path لینک",
]


def visual(text: str) -> str:
    base = get_base_level(text)
    levels = paragraph_levels(text, base)
    order = reorder_row(text, levels, base)
    from bidi.mirror import MIRRORED

    return "".join(MIRRORED.get(text[i], text[i]) if levels[i] % 2 else text[i] for i in order)


@pytest.mark.parametrize("text", SAMPLES)
def test_row_reordering_matches_unicode_bidi(text: str) -> None:
    """One row reordered here equals python-bidi's (the Rust crate's) own display string, but for
    mirroring (rule L4), which its get_display leaves out and this module does."""
    brackets = str.maketrans("()[]{}<>", "||||||||")
    assert visual(text).translate(brackets) == str(get_display(text)).translate(brackets)


def test_brackets_face_the_right_way() -> None:
    assert visual("قیمت (۱۲۰ تومان) است") == "تسا (ناموت ۱۲۰) تمیق"
    assert visual("من [hello] گفتم") == "متفگ [hello] نم"


@pytest.mark.parametrize("text", SAMPLES)
def test_fallback_levels_agree(text: str) -> None:
    """The pure-Python fallback gives the same levels on these everyday lines."""
    base = get_base_level(text)
    assert rtl._python_levels(text, base) == paragraph_levels(text, base)


def test_mixed_line_reads_right_to_left() -> None:
    (row,) = display_rows([Span(MIXED)])
    shown = "".join(s.text for s in row)
    # left to right on screen: "?OK", then the last Persian word, ..., the first word at the right
    assert shown.startswith("?OK")
    assert shown.index("room B") < shown.index("10:30")  # 10:30 comes earlier in reading order
    assert shown.endswith(shape("جلسه")[::-1])


def test_styles_follow_their_characters() -> None:
    spans = parse_formatting("سلام \x02دنیا\x02 hello")
    (row,) = display_rows(spans)
    bold = [s.text for s in row if s.style.bold]
    assert bold == [shape("دنیا")[::-1]]
    assert row[0].text.strip() == "hello"  # the LTR word sits at the left end of an RTL line
    assert "".join(s.text for s in row if not s.style.bold).count(shape("سلام")[::-1]) == 1


def test_wrapped_rows_each_read_from_the_right() -> None:
    """Wrapping happens before reordering: the first row has the first words."""
    words = ["یک", "دو", "سه", "چهار", "پنج", "شش"]
    rows = display_rows([Span(" ".join(words))], width=8, measure=len)
    assert len(rows) > 1
    first = "".join(s.text for s in rows[0])
    assert first.endswith(shape("یک")[::-1])  # the first word is at the right of the first row
    everything = "".join(s.text for row in rows for s in row)
    for word in words:
        assert shape(word)[::-1] in everything


def test_wrap_ranges() -> None:
    assert wrap_ranges("aaa bbb ccc", 7, len) == [(0, 7), (8, 11)]
    assert wrap_ranges("abcdefghij", 4, len) == [(0, 4), (4, 8), (8, 10)]
    assert wrap_ranges("short", 100, len) == [(0, 5)]
    assert wrap_ranges("", 10, len) == [(0, 0)]


def test_shaping_joins_letters_and_keeps_zwnj() -> None:
    shaped = shape("می\u200cخندد")
    assert "\u200c" in shaped and len(shaped) == 7
    assert shaped[0] == "\ufee3"  # meem, initial form (joined to the yeh)
    assert shape("سلام") == "\ufeb3\ufefc\ufee1"  # seen initial, lam-alef ligature, meem isolated
    assert shape("بَا") == "\ufe91\u064e\ufe8e"  # the diacritic stays
    assert shape("hello") == "hello"


def test_latin_text_is_untouched() -> None:
    spans = [Span("plain "), Span("bold", Style(bold=True))]
    assert display_rows(spans) == [spans]
    assert display_text("abc (x)") == "abc (x)"


def test_without_reordering_only_wraps() -> None:
    rows = display_rows([Span("سلام دنیا")], width=5, measure=len, reorder=False)
    assert ["".join(s.text for s in r) for r in rows] == ["سلام", "دنیا"]


def test_display_text_of_a_topic() -> None:
    assert display_text("سلام") == shape("سلام")[::-1]


def test_diacritics_stay_after_their_letter() -> None:
    """Reversing a right-to-left run would draw a mark before its letter (on the wrong one)."""
    (row,) = display_rows([Span("حتماً بیا")])
    shown = "".join(s.text for s in row)
    tanwin = shown.index("\u064b")
    assert shown[tanwin - 1] == shape("حتماً")[3]  # the alef (final form) it belongs to
    assert shown.startswith(shape("بیا")[::-1])
