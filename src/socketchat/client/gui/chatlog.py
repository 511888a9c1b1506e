"""The chat log of the desktop client: one Text widget per tab, drawn from the core's lines.

Lines are queued per tab (`add_line`) and drawn a slice at a time with a few Tcl calls
(`flush`); each line is wrapped here (`render.line_rows`, so right-to-left text is reordered per
row) and wrapped again when the widget is resized. A tab follows new lines unless the user has
scrolled up; reaching the top asks for older history (`on_top`), which `insert_older` puts above
what is shown without moving it. The window (`gui/window.py`) owns the notebook the tabs live in.

Runs of joins, parts and quits are folded into one line (client/runs.py; a click on it shows
them one by one, again folds them): the run's rows count as its last line's, the others take
none. The "new since you last read" line (`marker_for`, from the view state) is an entry of its
own in `LogTab.drawn` (`MARKER`), so rows and lines stay in step.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
import webbrowser
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from tkinter import scrolledtext, ttk

from socketchat.client.events import BufferKind, ChatLine, Reaction
from socketchat.client.gui.render import (
    Rows,
    Segment,
    line_rows,
    marker_rows,
    run_rows,
    tab_label,
)
from socketchat.client.gui.theme import Theme, configure_chat_tags
from socketchat.client.runs import Marker, Run, fold, in_run

MarkerFor = Callable[[str, Sequence[ChatLine]], ChatLine | None]
# A line as it is to be drawn now (taken back since?) and the reactions under it.
AsDrawn = Callable[[ChatLine], tuple[ChatLine, tuple[Reaction, ...]]]

# Stands for the unread marker line among a tab's drawn lines (compared by identity).
MARKER = ChatLine("", datetime(1970, 1, 1, tzinfo=UTC), "", "", "info")

__all__ = ["MAX_TEXT_LINES", "ChatLog", "LogTab"]

MAX_TEXT_LINES = 2000


@dataclass(eq=False)
class LogTab:
    """One tab's chat: its Text widget and what is drawn in it."""

    name: str
    kind: BufferKind
    frame: ttk.Frame
    text: scrolledtext.ScrolledText
    drawn: deque[ChatLine] = field(default_factory=deque)  # the lines shown, oldest first
    rows: deque[int] = field(default_factory=deque)  # how many Text lines each of them took
    width: int = 0  # the text widget's width the lines were wrapped for
    tags: set[str] = field(default_factory=set)  # the lazily configured tags
    follow: bool = True  # scroll to new lines (False while the user reads further up)
    at_top: bool = False  # scrolled to the top (older history was asked for on arrival)
    expand: bool = False  # runs of joins/parts/quits shown line by line
    marker: ChatLine | None = None  # the line the unread marker was drawn above

    def lines(self) -> list[ChatLine]:
        """The chat lines drawn, without the marker."""
        return [line for line in self.drawn if line is not MARKER]


class ChatLog:
    """The chat Text of every tab, in `notebook`. `on_top(buffer)`: scrolled to the top;
    `on_click()`: the chat was clicked (the window gives the keyboard back to the entry)."""

    def __init__(
        self,
        root: tk.Tk,
        notebook: ttk.Notebook,
        theme: Theme,
        on_top: Callable[[str], None],
        on_click: Callable[[], None],
        marker_for: MarkerFor = lambda _name, _lines: None,
        as_drawn: AsDrawn = lambda line: (line, ()),
        on_menu: Callable[[ChatLine, int, int], None] = lambda _line, _x, _y: None,
    ) -> None:
        self.root = root
        self.notebook = notebook
        self.theme = theme
        self.on_top = on_top
        self.on_click = on_click
        self.marker_for = marker_for
        self.as_drawn = as_drawn
        self.on_menu = on_menu
        self.tabs: dict[str, LogTab] = {}
        self.closed = False
        self._pending: dict[LogTab, list[ChatLine]] = {}  # lines not yet drawn, per tab
        self._widths: dict[str, float] = {}  # measured strings (prefixes repeat a lot)
        self._fonts: dict[str, tkfont.Font] = {}
        self._rewrap_id: str | None = None

    def open(self, name: str, kind: BufferKind) -> LogTab:
        tab = self.tabs.get(name)
        if tab is not None:
            return tab
        frame = ttk.Frame(self.notebook)
        text = scrolledtext.ScrolledText(frame, height=10, width=60, state="disabled")
        configure_chat_tags(text, self.theme)
        # The themed scrollbar instead of ScrolledText's classic one, to match the user list.
        # (ScrolledText copies its frame's pack methods onto itself: use tk.Pack's directly.)
        text.vbar.destroy()
        tk.Pack.pack_forget(text)
        bar = ttk.Scrollbar(text.frame, orient="vertical", command=text.yview)
        bar.pack(side="right", fill="y")
        tk.Pack.pack_configure(text, side="left", fill="both", expand=True)
        text.frame.pack(fill="both", expand=True)
        # A click in the chat keeps the keyboard in the entry line (text stays selectable).
        text.bind("<ButtonRelease-1>", lambda _e: self.on_click(), add=True)
        tab = self.tabs[name] = LogTab(name, kind, frame, text)
        text.bind("<Configure>", lambda _e: self._resized(tab), add=True)
        text.tag_bind("link", "<Button-1>", lambda e: self._open_link(tab, e))
        text.tag_bind("link", "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind("link", "<Leave>", lambda _e: text.configure(cursor="xterm"))
        text.tag_bind("run", "<Button-1>", lambda _e: self.toggle_runs(tab.name))
        text.bind("<Button-3>", lambda e: self._menu(tab, e), add=True)
        text.tag_bind("run", "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind("run", "<Leave>", lambda _e: text.configure(cursor="xterm"))

        def scrolled(first: float | str, last: float | str) -> None:
            # Tk reports the view after each redisplay: the tab follows new lines while the
            # user has it scrolled to the end (a hidden tab keeps what it had). "At the end" is
            # the last row being on screen: after see("end") Tk's fraction can stay a few pixels
            # short of 1.0 (rows of other heights, a window not a whole number of rows high),
            # and a test of the fraction alone stopped following after a join (issue 14).
            bar.set(first, last)
            if text.winfo_ismapped():
                tab.follow = float(last) >= 0.999 or text.dlineinfo("end-1c") is not None
                at_top = float(first) <= 0.0 and float(last) < 1.0
                if at_top and not tab.at_top:
                    self.on_top(tab.name)
                tab.at_top = at_top

        text.configure(yscrollcommand=scrolled)
        self.notebook.add(frame, text=tab_label(name, 0, False))
        return tab

    def close(self, name: str) -> None:
        tab = self.tabs.pop(name, None)
        if tab is None:
            return
        self.notebook.forget(tab.frame)
        tab.frame.destroy()

    def rename(self, old: str, new: str) -> None:
        tab = self.tabs.pop(old, None)
        if tab is None:
            return
        tab.name = new
        self.tabs[new] = tab

    def add_line(self, line: ChatLine) -> None:
        """Queue a line for its tab; `_flush_lines` draws a tab's new lines in one Tcl call."""
        tab = self.tabs.get(line.buffer) or self.open(line.buffer, "query")
        self._pending.setdefault(tab, []).append(line)

    def flush(self) -> None:
        """Draw the queued lines with a few Tcl calls per tab, however many lines there are.

        Every call back from Tcl may wait for the GIL while the connection thread is busy, so a
        flood drawn line by line (call by call) would freeze the window.
        """
        pending, self._pending = self._pending, {}
        for tab, lines in pending.items():
            if self.tabs.get(tab.name) is not tab:
                continue
            before = tab.lines()
            marker = self.marker_for(tab.name, before + lines)
            joins_run = not tab.expand and bool(before) and in_run(before[-1]) and in_run(lines[0])
            if joins_run or marker is not tab.marker:  # a run grows, or the marker moved
                self._clear(tab)
                lines = before + lines
            tab.marker = marker
            chunks, entries, rows = self._chunks(tab, lines, newline_first=bool(tab.drawn))
            tab.drawn.extend(entries)
            tab.rows.extend(rows)
            text = tab.text
            text.configure(state="normal")
            text.insert("end", *chunks)  # type: ignore[arg-type]  # text, tags, text, tags…
            if len(tab.drawn) > MAX_TEXT_LINES:
                drop = 0
                while len(tab.drawn) > MAX_TEXT_LINES:
                    tab.drawn.popleft()
                    drop += tab.rows.popleft()
                text.delete("1.0", f"{drop + 1}.0")
            text.configure(state="disabled")
            if tab.follow:
                text.see("end")

    def reset(self, name: str, lines: tuple[ChatLine, ...]) -> None:
        """Redraw a tab from `lines` (history was merged in before lines already shown)."""
        tab = self.tabs.get(name)
        if tab is None:
            return
        self._pending.pop(tab, None)
        self._redraw(tab, list(lines[-MAX_TEXT_LINES:]))

    def redraw(self, name: str) -> None:
        """Draw a tab again (the marker or the language changed)."""
        tab = self.tabs.get(name)
        if tab is not None:
            self._redraw(tab, tab.lines() + self._pending.pop(tab, []))

    def toggle_runs(self, name: str) -> None:
        """Show the tab's runs of joins, parts and quits line by line, or folded again."""
        tab = self.tabs.get(name)
        if tab is not None:
            tab.expand = not tab.expand
            self.redraw(name)

    def _clear(self, tab: LogTab) -> None:
        tab.text.configure(state="normal")
        tab.text.delete("1.0", "end")
        tab.text.configure(state="disabled")
        tab.drawn.clear()
        tab.rows.clear()

    def _redraw(self, tab: LogTab, lines: list[ChatLine]) -> None:
        self._clear(tab)
        tab.marker = None
        self._pending[tab] = lines
        if lines:
            self.flush()

    def show_line(self, name: str, msgid: str) -> bool:
        """Scroll tab `name` to its line `msgid` and mark it (a search result's place, after
        ``/jump``); False if it is not drawn there."""
        tab = self.tabs.get(name)
        if tab is None:
            return False
        self.flush()
        row = 1
        for line, rows in zip(tab.drawn, tab.rows, strict=False):
            if line is not MARKER and line.msgid == msgid:
                text = tab.text
                text.tag_remove("jumped", "1.0", "end")
                text.tag_configure("jumped", background=self.theme.palette.select_bg)
                text.tag_add("jumped", f"{row}.0", f"{row + rows - 1}.end")
                text.see(f"{row}.0")
                tab.follow = False  # stay on it while new lines arrive
                return True
            row += rows
        return False

    def insert_older(self, name: str, lines: tuple[ChatLine, ...]) -> None:
        """Older lines above the others; the line at the top of the view stays there."""
        tab = self.tabs.get(name)
        if tab is None or not lines:
            return
        text = tab.text
        top = int(str(text.index("@0,0")).split(".")[0])
        chunks, entries, rows = self._chunks(tab, list(lines), newline_first=False, marker=None)
        if tab.drawn:
            chunks.append("\n")
        text.configure(state="normal")
        text.insert("1.0", *chunks)  # type: ignore[arg-type]  # text, tags, text, tags…
        text.configure(state="disabled")
        tab.drawn.extendleft(reversed(entries))
        tab.rows.extendleft(reversed(rows))
        if tab.follow:
            text.see("end")
        else:
            text.yview(f"{top + sum(rows)}.0")

    # ------------------------------------------------------------------ drawing lines

    def _measure(self, text: str) -> float:
        """The width of `text` in the chat's bold font (the widest it is drawn in), cached."""
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) > 20_000:
                self._widths.clear()
            width = self._widths[text] = float(self.theme.chat_bold.measure(text))
        return width

    def _text_width(self, tab: LogTab) -> float:
        """The pixels a line may take in `tab` (unknown until the widget is laid out)."""
        widget = tab.text.winfo_width()
        tab.width = widget
        if widget <= 1:
            return float("inf")
        pad = int(str(tab.text.cget("padx"))) + int(str(tab.text.cget("borderwidth")))
        return float(widget - 2 * pad - 6)

    def _chunks(
        self,
        tab: LogTab,
        lines: list[ChatLine],
        *,
        newline_first: bool,
        marker: ChatLine | bool | None = True,
    ) -> tuple[list[str | tuple[str, ...]], list[ChatLine], list[int]]:
        """Arguments for one Text.insert call (text, tags, text, tags…) for `lines`, the entries
        for `LogTab.drawn` (the lines, and `MARKER`) and how many Text lines each of them takes
        (a long line is wrapped here, see `render.line_rows`; a folded run's rows are its last
        line's). `marker`: True for the tab's."""
        width = self._text_width(tab)
        chunks: list[str | tuple[str, ...]] = []
        entries: list[ChatLine] = []
        counts: list[int] = []
        above = tab.marker if marker is True else marker
        for item in fold(lines, above if isinstance(above, ChatLine) else None, expand=tab.expand):
            if isinstance(item, Run):
                drawn = run_rows(item, width, self._measure)
                entries += item.lines
                counts += [0] * (len(item.lines) - 1) + [len(drawn.rows)]
            elif isinstance(item, Marker):
                drawn = marker_rows()
                entries.append(MARKER)
                counts.append(1)
            else:
                shown, reactions = self.as_drawn(item)
                drawn = line_rows(shown, width, self._measure, reactions=reactions)
                if tab.expand and in_run(item):  # a click on it folds the runs again
                    rows = [[Segment(g.text, (*g.tags, "run")) for g in row] for row in drawn.rows]
                    drawn = Rows(drawn.prefix, rows, drawn.indent)
                entries.append(item)
                counts.append(len(drawn.rows))
            chunks += ["\n" if chunks or newline_first else "", ()]
            chunks += self._row_chunks(tab, drawn)
        return chunks, entries, counts

    def _row_chunks(self, tab: LogTab, drawn: Rows) -> list[str | tuple[str, ...]]:
        indent = round(drawn.indent)
        hang, cont = f"hang{indent}", f"indent{indent}"
        if hang not in tab.tags:
            tab.text.tag_configure(hang, lmargin2=indent)
            tab.text.tag_configure(cont, lmargin1=indent, lmargin2=indent)
            tab.tags.update((hang, cont))
        chunks: list[str | tuple[str, ...]] = []
        for segment in drawn.prefix:
            chunks += [segment.text, ("line", hang, *segment.tags)]
        for number, row in enumerate(drawn.rows):
            if number:
                chunks += ["\n", ("line", cont)]
            for segment in row:
                self._style_tags(tab, segment.tags)
                chunks += [segment.text, ("line", cont if number else hang, *segment.tags)]
        return chunks

    def _style_tags(self, tab: LogTab, tags: tuple[str, ...]) -> None:
        """Configure the formatting tags (`render.span_tags`) the first time a tab meets them."""
        for tag in tags:
            if tag in tab.tags:
                continue
            text = tab.text
            if tag.startswith("fg#"):
                text.tag_configure(tag, foreground=tag[2:])
            elif tag.startswith("bg#"):
                text.tag_configure(tag, background=tag[2:])
            elif tag.startswith("font:"):
                text.tag_configure(tag, font=self._font(tag[5:]))
            elif tag == "u":
                text.tag_configure(tag, underline=True)
            elif tag == "s":
                text.tag_configure(tag, overstrike=True)
            elif tag == "link":
                text.tag_configure(tag, foreground=self.theme.palette.accent, underline=True)
            else:
                tab.tags.add(tag)
                continue
            text.tag_raise(tag)  # over the nick, event and history colours
            tab.tags.add(tag)

    def _font(self, kind: str) -> tkfont.Font:
        font = self._fonts.get(kind)
        if font is None:
            # a copy of the chat font, then configured: tkinter's Font(font=..., weight=...)
            # silently drops the options when `font` is given, and bold was drawn plain
            font = self._fonts[kind] = self.theme.chat.copy()
            font.configure(
                weight="bold" if "b" in kind else "normal",
                slant="italic" if "i" in kind else "roman",
            )
        return font

    def _open_link(self, tab: LogTab, event: tk.Event[tk.Misc]) -> None:
        index = tab.text.index(f"@{event.x},{event.y}")
        for tag in tab.text.tag_names(index):
            if tag.startswith("url:"):
                webbrowser.open(tag[4:])
                return

    def line_at(self, buffer: str, row: int) -> ChatLine | None:
        """The chat line drawn on Text line `row` (1-based) of `buffer`, if any."""
        tab = self.tabs.get(buffer)
        if tab is None:
            return None
        at = 0
        for line, count in zip(tab.drawn, tab.rows, strict=False):
            at += count
            if count and row <= at:
                return None if line is MARKER else line
        return None

    def _menu(self, tab: LogTab, event: tk.Event[tk.Misc]) -> None:
        """A right-click on a line: the window offers what can be done with it."""
        row = int(str(tab.text.index(f"@{event.x},{event.y}")).split(".")[0])
        line = self.line_at(tab.name, row)
        if line is not None:
            self.on_menu(line, event.x_root, event.y_root)

    def _resized(self, tab: LogTab) -> None:
        """The chat got wider or narrower: wrap its lines anew (once the resizing settles)."""
        if tab.text.winfo_width() == tab.width or not tab.drawn:
            return
        if self._rewrap_id is not None:
            self.root.after_cancel(self._rewrap_id)
        self._rewrap_id = self.root.after(60, lambda: self._rewrap(tab))

    def _rewrap(self, tab: LogTab) -> None:
        self._rewrap_id = None
        if self.closed or self.tabs.get(tab.name) is not tab:
            return
        first = float(tab.text.yview()[0])
        follow = tab.follow
        self._redraw(tab, tab.lines())
        if not follow:
            tab.text.yview_moveto(first)

    # ------------------------------------------------------------------ for tests and scripts

    def text_of(self, buffer: str) -> str:
        """The text shown in a buffer's ScrolledText, one chat line per line (the rows of a
        wrapped line joined by a space, in the order they are drawn)."""
        tab = self.tabs.get(buffer)
        if tab is None:
            return ""
        shown = tab.text.get("1.0", "end-1c").split("\n")
        out: list[str] = []
        at = 0
        for count in tab.rows:
            if count:  # a folded run's earlier lines take no rows
                out.append(" ".join(row.strip() for row in shown[at : at + count]))
            at += count
        out += shown[at:]  # not counted yet (never, between two polls)
        return "\n".join(out)

    def rows_of(self, buffer: str) -> list[str]:
        """The Text lines of a buffer as drawn (a wrapped chat line takes several)."""
        tab = self.tabs.get(buffer)
        return tab.text.get("1.0", "end-1c").split("\n") if tab else []
