"""Right-to-left text for views that draw characters in storage order (Tk, most terminals).

Tk 8.6 and most terminals have no bidirectional algorithm and no Arabic-script shaping: ``سلام`` is
drawn as ``مالس`` with every letter in its isolated form. This module turns a logical line into
what such a view must draw, left to right:

1. **Shaping** with `arabic_reshaper` (PyPI ``arabic-reshaper``, kept up to date, pure Python, used
   for exactly this by Kivy and pygame apps): each Arabic-script letter becomes its initial,
   medial, final or isolated presentation form (U+FB50-U+FEFF), lam-alef becomes its ligature,
   and the zero-width non-joiner keeps the letters on either side of it apart (``می‌خندد``).
   Diacritics are kept (the library deletes them by default: that would lose text).
2. **Wrapping** the logical text to the width of the view (the caller measures: pixels for Tk,
   terminal cells for Textual).
3. **Reordering** each wrapped row for display with the Unicode Bidirectional Algorithm (UAX #9):
   the embedding levels are resolved once for the whole paragraph, then rules L1, L2 and L4 are
   applied row by row, as UAX #9 says lines must be (reordering a whole paragraph and then
   wrapping it would put the end of a right-to-left sentence on its first row).

Why python-bidi: from 0.5 on it wraps the Rust ``unicode-bidi`` crate (Servo's implementation,
maintained, current with the Unicode version, including isolates and bracket pairs), whereas the
older pure-Python implementations stop at Unicode 6-era rules. Its Python API only returns the
reordered string, but styled text (colours, bold, links) needs to know where each character went,
so the resolved levels are read from the crate's debug output (``get_display(debug=True)``: its
``BidiInfo``, one level per UTF-8 byte) and the per-row reordering is done here. Should that output
ever change shape, the package's own pure-Python algorithm (``bidi.algorithm``) gives the levels
instead; the tests check both against ``get_display``.

Views that do their own bidi (a browser; a terminal such as VTE with BiDi on) must not get this
text: it would be reversed twice. The terminal client lets the user turn it off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import arabic_reshaper
from bidi import get_base_level, get_display
from bidi.mirror import MIRRORED

from socketchat.client.formatting import Span

__all__ = [
    "display_rows",
    "display_text",
    "has_rtl",
    "paragraph_levels",
    "reorder_row",
    "shape",
    "wrap_ranges",
]

_RESHAPER = arabic_reshaper.ArabicReshaper(
    configuration={"delete_harakat": False, "support_ligatures": True}
)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LEVELS = re.compile(r"levels: \[(.*?)\]", re.DOTALL)
_LEVEL = re.compile(r"Level\(\s*(\d+)")
_TRAILING_CLASSES = frozenset({"WS", "FSI", "LRI", "RLI", "PDI", "BN", "LRE", "RLE", "LRO"})


def has_rtl(text: str) -> bool:
    """Whether `text` has any right-to-left character (Hebrew, Arabic script, …)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL", "RLE", "RLO", "RLI") for c in text)


def shape(text: str) -> str:
    """`text` with Arabic-script letters in their joined presentation forms (others unchanged)."""
    return _RESHAPER.reshape(text) if _ARABIC.search(text) else text


@lru_cache(maxsize=4096)
def _levels_cached(text: str, base: int) -> tuple[int, ...]:
    debug = str(get_display(text, base_dir="R" if base else "L", debug=True))
    match = _LEVELS.search(debug)
    per_byte = [int(n) for n in _LEVEL.findall(match.group(1))] if match else []
    encoded = text.encode("utf-8")
    if len(per_byte) == len(encoded):
        levels: list[int] = []
        offset = 0
        for ch in text:
            levels.append(per_byte[offset])
            offset += len(ch.encode("utf-8"))
        return tuple(levels)
    return _python_levels(text, base)  # pragma: no cover - only if the debug output changes


def _python_levels(text: str, base: int) -> tuple[int, ...]:
    """The levels from python-bidi's pure-Python algorithm (the fallback).

    That algorithm drops the characters that rule X9 removes (ZWNJ, ZWJ, …); each of them gets the
    level of the character before it (or the paragraph's), as X9's note suggests.
    """
    from bidi import algorithm

    kept = [i for i, c in enumerate(text) if unicodedata.bidirectional(c) != "BN"]
    storage = algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    algorithm.get_embedding_levels("".join(text[i] for i in kept), storage)
    algorithm.explicit_embed_and_overrides(storage)
    algorithm.resolve_weak_types(storage)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    resolved = [int(c["level"]) for c in storage["chars"]]
    levels = [base] * len(text)
    for index, level in zip(kept, resolved, strict=False):
        levels[index] = level
    for i, c in enumerate(text):
        if unicodedata.bidirectional(c) == "BN" and i:
            levels[i] = levels[i - 1]
    return tuple(levels)


def paragraph_levels(text: str, base: int | None = None) -> tuple[int, ...]:
    """The resolved embedding level of each character of `text` (one paragraph, no newlines).

    `base`: 0 left-to-right, 1 right-to-left, None from the first strong character (P2, P3).
    """
    if not text:
        return ()
    return _levels_cached(text, get_base_level(text) if base is None else base)


def reorder_row(text: str, levels: Sequence[int], base: int) -> list[int]:
    """The visual order of one row (indices into `text`), by UAX #9 rules L1 and L2."""
    levels = list(levels)
    classes = [unicodedata.bidirectional(c) for c in text]
    # L1: segment separators, and whitespace before them or at the end of the row, take the
    # paragraph's level.
    trailing = True
    for i in range(len(text) - 1, -1, -1):
        if classes[i] in ("S", "B"):
            levels[i] = base
            trailing = True
        elif trailing and classes[i] in _TRAILING_CLASSES:
            levels[i] = base
        else:
            trailing = False
    order = list(range(len(text)))
    if not order:
        return order
    highest = max(levels)
    lowest_odd = min(level for level in levels) | 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


def wrap_ranges(text: str, width: float, measure: Callable[[str], float]) -> list[tuple[int, int]]:
    """Where `text` breaks into rows no wider than `width`: (start, end) of each, in storage order.

    Breaks at spaces (the space at a break belongs to neither row); a word wider than a row is
    broken between characters. `measure` gives the width of a string.
    """
    if not text or measure(text) <= width:
        return [(0, len(text))]
    rows: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        if measure(text[start:]) <= width:
            rows.append((start, len(text)))
            break
        end = start
        fit = start  # end of the longest run of whole words that fits
        for match in re.finditer(r"\S+", text[start:]):
            word_end = start + match.end()
            if measure(text[start:word_end]) > width:
                break
            fit = word_end
            end = word_end
        if fit == start:  # a single word wider than the row: break it between characters
            end = start + 1
            while end < len(text) and measure(text[start : end + 1]) <= width:
                end += 1
        rows.append((start, end))
        start = end
        while start < len(text) and text[start] == " ":
            start += 1
    return rows


@dataclass(frozen=True, slots=True)
class _Char:
    ch: str
    span: int


def display_rows(
    spans: Sequence[Span],
    width: float = float("inf"),
    measure: Callable[[str], float] = len,
    *,
    reorder: bool = True,
) -> list[list[Span]]:
    """`spans` (one logical line) as rows of spans in the order to draw them, left to right.

    Shaped, wrapped to `width` and reordered row by row (see the module docstring); with
    ``reorder=False`` only wrapped (for views that do bidi and shaping themselves).
    """
    chars: list[_Char] = []
    for index, span in enumerate(spans):
        text = shape(span.text) if reorder else span.text
        chars += [_Char(c, index) for c in text]
    text = "".join(c.ch for c in chars)
    rows = wrap_ranges(text, width, measure)
    if not reorder:
        return [_runs(chars[a:b], spans, range(b - a)) for a, b in rows]
    if not has_rtl(text):
        return [_runs(chars[a:b], spans, _visible(text, a, range(b - a))) for a, b in rows]
    base = get_base_level(text)
    levels = paragraph_levels(text, base)
    out: list[list[Span]] = []
    for a, b in rows:
        order = _marks_after_bases(reorder_row(text[a:b], levels[a:b], base), text[a:b])
        mirrored = [
            _Char(MIRRORED.get(c.ch, c.ch), c.span) if levels[a + i] % 2 else c
            for i, c in enumerate(chars[a:b])
        ]
        out.append(_runs(mirrored, spans, _visible(text, a, order)))
    return out


ISOLATES = frozenset("\u2066\u2067\u2068\u2069")  # LRI RLI FSI PDI


def _visible(text: str, start: int, order: Sequence[int]) -> list[int]:
    """`order` without the directional isolates: they shape the order (a value such as
    ``#lobby`` put into a Persian sentence keeps its own, `viewstate.body_text`) but a view
    that draws in storage order would show them as boxes."""
    return [i for i in order if text[start + i] not in ISOLATES]


def _marks_after_bases(order: list[int], text: str) -> list[int]:
    """Combining marks (Arabic harakat) after their base letter again, as a renderer that draws
    in storage order needs them (UAX #9 rule L3): reversing a right-to-left run put them first."""
    out: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and unicodedata.combining(text[order[j]]) and order[j] > 0:
            j += 1
        # order[i:j] are marks; in a reversed run their base comes right after them
        if j > i and j < len(order) and order[j] == order[j - 1] - 1:
            out.append(order[j])
            out += order[i:j][::-1]
            i = j + 1
        else:
            out += order[i : j + 1]
            i = j + 1
    return out


def _runs(chars: Sequence[_Char], spans: Sequence[Span], order: Sequence[int]) -> list[Span]:
    runs: list[Span] = []
    current = -1
    buffer: list[str] = []
    for i in order:
        c = chars[i]
        if c.span != current and buffer:
            runs.append(Span("".join(buffer), spans[current].style, spans[current].link))
            buffer = []
        current = c.span
        buffer.append(c.ch)
    if buffer:
        runs.append(Span("".join(buffer), spans[current].style, spans[current].link))
    return runs


def display_text(text: str, *, reorder: bool = True) -> str:
    """One unstyled line (a topic, a nick, a tab name) shaped and reordered for display."""
    if not reorder:
        return text
    if not has_rtl(text):
        return "".join(c for c in text if c not in ISOLATES)
    return "".join(s.text for row in display_rows([Span(text)]) for s in row)
