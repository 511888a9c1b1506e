"""`ChatWindow`: the desktop client's main window, a thin view on the client core.

Layout: the topic line on top; a ttk.Notebook with one ScrolledText per buffer (status, channels,
private conversations; unread counts on the tab labels) beside the user list (a Listbox:
double-click opens a private tab); the entry line with a Send button; the status bar (connected /
reconnecting in N s / nick / queued messages).

Scrolling a chat to its top (or PageUp there) asks for older history, which the server sends
where it keeps history; it appears above what is shown, which stays in place.

The core and its connection run in a `ThreadedClient` background thread. The window polls the
client's event queue with ``root.after`` and draws what the events say; what the user does goes back
through the client's thread-safe calls. The window never reads the core's state, and the
background thread never sees a Tk object (so it can neither block nor crash the Tk thread).
"""

from __future__ import annotations

import dataclasses
import time
import tkinter as tk
import tkinter.font as tkfont
import webbrowser
from collections import deque
from dataclasses import dataclass, field
from tkinter import scrolledtext, ttk

from socketchat.client import rtl
from socketchat.client.connection import Backoff
from socketchat.client.core import ClientConfig
from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferKind,
    BufferOpened,
    BufferRenamed,
    BufferReset,
    ChatLine,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    HistoryInserted,
    Member,
    MembersChanged,
    NickChanged,
    StatusChanged,
    TopicChanged,
    UnreadChanged,
)
from socketchat.client.formatting import strip_formatting
from socketchat.client.gui.render import Rows, line_rows, member_row, tab_label
from socketchat.client.gui.theme import (
    BORDER,
    CHAT_BACKGROUND,
    MUTED,
    SELECT_BG,
    STATE_COLORS,
    TEXT,
    Theme,
    configure_chat_tags,
)
from socketchat.client.helpers import NickCompleter, nick_color
from socketchat.client.threaded import ThreadedClient

__all__ = ["ChatWindow"]

POLL_MS = 25  # how often the event queue is looked at
POLL_BUDGET = 0.02  # seconds of drawing per turn of the Tk loop, at most (about)
EVENTS_PER_SLICE = 50
MAX_TEXT_LINES = 2000


class _Notebook(ttk.Notebook):
    """ttk.Notebook with typed accessors (typeshed leaves these untyped)."""

    def paths(self) -> list[str]:
        return [str(p) for p in self.tk.splitlist(self.tk.call(str(self), "tabs"))]

    def selected(self) -> str:
        return str(self.tk.call(str(self), "select"))

    def show(self, frame: tk.Misc) -> None:
        self.tk.call(str(self), "select", str(frame))

    def label(self, path: str) -> str:
        return str(self.tk.call(str(self), "tab", path, "-text"))

    def set_label(self, frame: tk.Misc, text: str) -> None:
        self.tk.call(str(self), "tab", str(frame), "-text", text)

    def index_at(self, x: int, y: int) -> int | None:
        """The index of the tab at (x, y), or None."""
        try:
            index = int(self.tk.call(str(self), "index", f"@{x},{y}"))
        except (tk.TclError, ValueError):
            return None
        return index if 0 <= index < len(self.paths()) else None


@dataclass(eq=False)
class _Tab:
    """What the view keeps per buffer (the core's state stays in its thread)."""

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
    unread: int = 0
    highlight: bool = False
    members: tuple[Member, ...] = ()
    topic: str = ""


class ChatWindow:
    """The main window. `start()` connects; `close()` leaves (QUIT) and destroys the window."""

    def __init__(
        self,
        root: tk.Tk,
        theme: Theme,
        config: ClientConfig,
        host: str = "127.0.0.1",
        port: int = 6667,
        *,
        tls: bool = False,
        tls_insecure: bool = False,
        backoff: Backoff | None = None,
    ) -> None:
        self.root = root
        self.theme = theme
        self.nick = config.nick
        self.client = ThreadedClient(
            config, host, port, tls=tls, tls_insecure=tls_insecure, backoff=backoff
        )
        self.tabs: dict[str, _Tab] = {}
        self.shown = STATUS_BUFFER
        self.closed = False
        self.completer = NickCompleter()
        self._status: StatusChanged | None = None
        self._status_at = 0.0
        self._after_id: str | None = None
        self._exit = False
        self._sent: list[str] = []  # typed lines, for Up/Down recall
        self._recall = 0
        self._members_shown: tuple[Member, ...] = ()
        self._pending: dict[_Tab, list[ChatLine]] = {}  # lines not yet drawn, per tab
        self._widths: dict[str, float] = {}  # measured strings (prefixes repeat a lot)
        self._fonts: dict[str, tkfont.Font] = {}
        self._rewrap_id: str | None = None
        self._build()
        self._set_title()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        root = self.root
        root.minsize(560, 360)
        root.protocol("WM_DELETE_WINDOW", self.close)
        outer = ttk.Frame(root)
        outer.pack(fill="both", expand=True)

        self.topic = ttk.Label(outer, text="", style="Topic.TLabel", anchor="w")
        self.topic.pack(fill="x")

        self.panes = ttk.PanedWindow(outer, orient="horizontal")
        self.panes.pack(fill="both", expand=True, padx=8, pady=(4, 0))
        self.notebook = _Notebook(self.panes)
        self.notebook.bind("<<NotebookTabChanged>>", self._on_tab_changed)
        self.notebook.bind("<Button-2>", self._on_middle_click)
        self.panes.add(self.notebook, weight=4)

        side = ttk.Frame(self.panes, padding=(8, 0, 0, 0))
        self.users_label = ttk.Label(side, text="Users", style="Side.TLabel")
        self.users_label.pack(fill="x")
        box = tk.Frame(
            side,
            background=CHAT_BACKGROUND,
            highlightthickness=1,
            highlightbackground=BORDER,
            highlightcolor=BORDER,
        )
        box.pack(fill="both", expand=True)
        self.userlist = tk.Listbox(
            box,
            width=18,
            activestyle="none",
            exportselection=False,
            font=self.theme.ui,
            background=CHAT_BACKGROUND,
            foreground=TEXT,
            selectbackground=SELECT_BG,
            selectforeground=TEXT,
            borderwidth=0,
            highlightthickness=0,
        )
        scroll = ttk.Scrollbar(box, orient="vertical", command=self.userlist.yview)
        self.userlist.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.userlist.pack(side="left", fill="both", expand=True, padx=(8, 0), pady=6)
        self.userlist.bind("<Double-Button-1>", self._on_user_double_click)
        self.userlist.bind("<Return>", self._on_user_double_click)
        self.panes.add(side, weight=1)

        bottom = ttk.Frame(outer, padding=(8, 8))
        bottom.pack(fill="x")
        self._bottom = bottom
        # Right-to-left text typed into the entry, shaped and in reading order: Tk's Entry draws
        # characters in the order they are stored (see _update_preview).
        self.preview = ttk.Label(outer, text="", style="Preview.TLabel", anchor="e")
        self.entry_text = tk.StringVar(root)
        self.entry_text.trace_add("write", lambda *_a: self._update_preview())
        self.entry = ttk.Entry(bottom, font=self.theme.ui, textvariable=self.entry_text)
        self.entry.pack(side="left", fill="x", expand=True)
        self.send_button = ttk.Button(bottom, text="Send", command=self._send_entry)
        self.send_button.pack(side="left", padx=(8, 0))
        self.entry.bind("<Return>", self._on_return)
        self.entry.bind("<KP_Enter>", self._on_return)
        self.entry.bind("<Tab>", self._on_tab_key)
        self.entry.bind("<Up>", lambda _e: self._recall_line(-1))
        self.entry.bind("<Down>", lambda _e: self._recall_line(+1))
        self.entry.bind("<Prior>", lambda _e: self._scroll(-1))
        self.entry.bind("<Next>", lambda _e: self._scroll(+1))
        self.entry.bind("<KeyPress>", self._on_other_key, add=True)
        root.bind("<Control-w>", lambda _e: self._close_shown())
        root.bind("<Control-Next>", lambda _e: self._cycle_tab(+1))
        root.bind("<Control-Prior>", lambda _e: self._cycle_tab(-1))

        bar = ttk.Frame(outer, style="Status.TFrame")
        bar.pack(fill="x", side="bottom")
        self.status_dot = tk.Label(
            bar, text="●", foreground=MUTED, background="#e8eaed", font=self.theme.small
        )
        self.status_dot.pack(side="left", padx=(8, 0))
        self.status = ttk.Label(bar, text="starting…", style="Status.TLabel")
        self.status.pack(side="left")
        self.reconnect_button = ttk.Button(
            bar, text="Reconnect now", command=self.client.reconnect_now, style="Toolbutton"
        )
        self._open_tab(STATUS_BUFFER, "status")
        self.entry.focus_set()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the connection thread and the event polling."""
        self.client.start()
        self._after_id = self.root.after(POLL_MS, self._poll)

    def close(self, reason: str = "Leaving") -> None:
        """Leave (QUIT unless already left), join the connection thread, destroy the window."""
        if self.closed:
            return
        self.closed = True
        if self._after_id is not None:
            self.root.after_cancel(self._after_id)
            self._after_id = None
        try:
            self.root.withdraw()
        except tk.TclError:
            pass
        self.client.stop(reason)
        try:
            self.root.destroy()
        except tk.TclError:
            pass

    def _poll(self) -> None:
        """Draw what the core said since the last poll, within a time budget per turn.

        A flood of lines is drawn in slices of at most ~`POLL_BUDGET` seconds, so keyboard and
        mouse events get their turn in between; each tab scrolls once per slice.
        """
        self._after_id = None
        if self.closed:
            return
        deadline = time.monotonic() + POLL_BUDGET
        more = True
        while time.monotonic() < deadline:
            events = self.client.drain(EVENTS_PER_SLICE)
            for event in events:
                self.handle(event)
            self._flush_lines()
            if len(events) < EVENTS_PER_SLICE:
                more = False
                break
        if self._exit:
            self.close()
            return
        self._show_status()
        self._after_id = self.root.after(1 if more else POLL_MS, self._poll)

    # ------------------------------------------------------------------ events

    def handle(self, event: Event) -> None:
        """Draw one event from the core."""
        if not isinstance(event, ChatLine):
            self._flush_lines()  # keep the order of lines and tab changes
        match event:
            case ChatLine():
                self._add_line(event)
            case BufferOpened(buffer=name, kind=kind, focus=focus):
                self._open_tab(name, kind)
                if focus:
                    self.select(name)
            case BufferClosed(buffer=name):
                self._close_tab(name)
            case BufferReset(buffer=name, lines=lines):
                self._reset_tab(name, lines)
            case HistoryInserted(buffer=name, lines=lines):
                self._insert_older(name, lines)
            case BufferRenamed(old=old, new=new):
                self._rename_tab(old, new)
            case CurrentBufferChanged(buffer=name):
                self.select(name)
            case MembersChanged(buffer=name, members=members):
                tab = self.tabs.get(name)
                if tab is not None:
                    tab.members = members
                    if name == self.shown:
                        self._show_members(tab)
            case TopicChanged(buffer=name, topic=topic):
                tab = self.tabs.get(name)
                if tab is not None:
                    tab.topic = topic
                    if name == self.shown:
                        self._show_topic(tab)
            case UnreadChanged(buffer=name, unread=unread, highlight=highlight):
                tab = self.tabs.get(name)
                if tab is not None:
                    shown = name == self.shown  # the core may not know yet that it is shown
                    tab.unread = 0 if shown else unread
                    tab.highlight = highlight and not shown
                    self._relabel(tab)
            case NickChanged(nick=nick):
                self.nick = nick
                self._set_title()
            case StatusChanged():
                self._status = event
                self._status_at = time.monotonic()
                self._show_status()
            case ExitRequested():
                self._exit = True

    def _open_tab(self, name: str, kind: BufferKind) -> _Tab:
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
        text.bind("<ButtonRelease-1>", lambda _e: self._refocus_entry(), add=True)
        tab = self.tabs[name] = _Tab(name, kind, frame, text)
        text.bind("<Configure>", lambda _e: self._resized(tab), add=True)
        text.tag_bind("link", "<Button-1>", lambda e: self._open_link(tab, e))
        text.tag_bind("link", "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind("link", "<Leave>", lambda _e: text.configure(cursor="xterm"))

        def scrolled(first: float | str, last: float | str) -> None:
            # Tk reports the view after each redisplay: the tab follows new lines while the
            # user has it scrolled to the end (a hidden tab keeps what it had).
            bar.set(first, last)
            if text.winfo_ismapped():
                tab.follow = float(last) >= 0.999
                at_top = float(first) <= 0.0 and float(last) < 1.0
                if at_top and not tab.at_top:
                    self.client.load_older(tab.name)
                tab.at_top = at_top

        text.configure(yscrollcommand=scrolled)
        self.notebook.add(frame, text=tab_label(name, 0, False))
        return tab

    def _close_tab(self, name: str) -> None:
        tab = self.tabs.pop(name, None)
        if tab is None:
            return
        self.notebook.forget(tab.frame)
        tab.frame.destroy()

    def _rename_tab(self, old: str, new: str) -> None:
        tab = self.tabs.pop(old, None)
        if tab is None:
            return
        tab.name = new
        self.tabs[new] = tab
        if self.shown == old:
            self.shown = new
        self._relabel(tab)

    def _add_line(self, line: ChatLine) -> None:
        """Queue a line for its tab; `_flush_lines` draws a tab's new lines in one Tcl call."""
        tab = self.tabs.get(line.buffer) or self._open_tab(line.buffer, "query")
        self._pending.setdefault(tab, []).append(line)

    def _flush_lines(self) -> None:
        """Draw the queued lines with a few Tcl calls per tab, however many lines there are.

        Every call back from Tcl may wait for the GIL while the connection thread is busy, so a
        flood drawn line by line (call by call) would freeze the window.
        """
        for tab, lines in self._pending.items():
            if self.tabs.get(tab.name) is not tab:
                continue
            chunks, rows = self._chunks(tab, lines, newline_first=bool(tab.drawn))
            tab.drawn.extend(lines)
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
        self._pending.clear()

    def _reset_tab(self, name: str, lines: tuple[ChatLine, ...]) -> None:
        """Redraw a tab from `lines` (history was merged in before lines already shown)."""
        tab = self.tabs.get(name)
        if tab is None:
            return
        self._pending.pop(tab, None)
        self._redraw(tab, list(lines[-MAX_TEXT_LINES:]))

    def _redraw(self, tab: _Tab, lines: list[ChatLine]) -> None:
        tab.text.configure(state="normal")
        tab.text.delete("1.0", "end")
        tab.text.configure(state="disabled")
        tab.drawn.clear()
        tab.rows.clear()
        self._pending[tab] = lines
        self._flush_lines()

    def _insert_older(self, name: str, lines: tuple[ChatLine, ...]) -> None:
        """Older lines above the others; the line at the top of the view stays there."""
        tab = self.tabs.get(name)
        if tab is None or not lines:
            return
        text = tab.text
        top = int(str(text.index("@0,0")).split(".")[0])
        chunks, rows = self._chunks(tab, list(lines), newline_first=False)
        if tab.drawn:
            chunks.append("\n")
        text.configure(state="normal")
        text.insert("1.0", *chunks)  # type: ignore[arg-type]  # text, tags, text, tags…
        text.configure(state="disabled")
        tab.drawn.extendleft(reversed(lines))
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

    def _text_width(self, tab: _Tab) -> float:
        """The pixels a line may take in `tab` (unknown until the widget is laid out)."""
        widget = tab.text.winfo_width()
        tab.width = widget
        if widget <= 1:
            return float("inf")
        pad = int(str(tab.text.cget("padx"))) + int(str(tab.text.cget("borderwidth")))
        return float(widget - 2 * pad - 6)

    def _chunks(
        self, tab: _Tab, lines: list[ChatLine], *, newline_first: bool
    ) -> tuple[list[str | tuple[str, ...]], list[int]]:
        """Arguments for one Text.insert call (text, tags, text, tags…) for `lines`, and how many
        Text lines each of them takes (a long line is wrapped here, see `render.line_rows`)."""
        width = self._text_width(tab)
        chunks: list[str | tuple[str, ...]] = []
        counts: list[int] = []
        for index, line in enumerate(lines):
            drawn = line_rows(line, width, self._measure)
            counts.append(len(drawn.rows))
            chunks += ["\n" if index or newline_first else "", ()]
            chunks += self._row_chunks(tab, drawn)
        return chunks, counts

    def _row_chunks(self, tab: _Tab, drawn: Rows) -> list[str | tuple[str, ...]]:
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

    def _style_tags(self, tab: _Tab, tags: tuple[str, ...]) -> None:
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
                text.tag_configure(tag, foreground="#0969da", underline=True)
            else:
                tab.tags.add(tag)
                continue
            text.tag_raise(tag)  # over the nick, event and history colours
            tab.tags.add(tag)

    def _font(self, kind: str) -> tkfont.Font:
        font = self._fonts.get(kind)
        if font is None:
            font = self._fonts[kind] = tkfont.Font(
                self.root,
                font=self.theme.chat,
                weight="bold" if "b" in kind else "normal",
                slant="italic" if "i" in kind else "roman",
            )
        return font

    def _open_link(self, tab: _Tab, event: tk.Event[tk.Misc]) -> None:
        index = tab.text.index(f"@{event.x},{event.y}")
        for tag in tab.text.tag_names(index):
            if tag.startswith("url:"):
                webbrowser.open(tag[4:])
                return

    def _resized(self, tab: _Tab) -> None:
        """The chat got wider or narrower: wrap its lines anew (once the resizing settles)."""
        if tab.text.winfo_width() == tab.width or not tab.drawn:
            return
        if self._rewrap_id is not None:
            self.root.after_cancel(self._rewrap_id)
        self._rewrap_id = self.root.after(60, lambda: self._rewrap(tab))

    def _rewrap(self, tab: _Tab) -> None:
        self._rewrap_id = None
        if self.closed or self.tabs.get(tab.name) is not tab:
            return
        first = float(tab.text.yview()[0])
        follow = tab.follow
        self._redraw(tab, list(tab.drawn))
        if not follow:
            tab.text.yview_moveto(first)

    def _relabel(self, tab: _Tab) -> None:
        self.notebook.set_label(tab.frame, tab_label(tab.name, tab.unread, tab.highlight))

    # ------------------------------------------------------------------ what is shown

    def select(self, name: str) -> None:
        """Show the tab of buffer `name` (as if the user clicked it)."""
        tab = self.tabs.get(name)
        if tab is not None and self.notebook.selected() != str(tab.frame):
            self.notebook.show(tab.frame)

    def _on_tab_changed(self, _event: object) -> None:
        selected = self.notebook.selected()
        tab = next((t for t in self.tabs.values() if str(t.frame) == selected), None)
        if tab is None:
            return
        self.shown = tab.name
        self.completer.reset()
        if tab.unread or tab.highlight:
            tab.unread, tab.highlight = 0, False
            self._relabel(tab)
        self.client.set_current(tab.name)
        self._show_members(tab)
        self._show_topic(tab)
        self._set_title()
        self._refocus_entry()

    def _show_members(self, tab: _Tab) -> None:
        self.userlist.delete(0, "end")
        members: tuple[Member, ...] = tab.members
        if tab.kind == "query":
            members = (Member(tab.name), Member(self.nick))
        for index, member in enumerate(members):
            self.userlist.insert("end", member_row(member))
            color = MUTED if member.away else nick_color(member.nick)
            self.userlist.itemconfigure(index, foreground=color)
        count = f" ({len(members)})" if tab.kind == "channel" else ""
        self.users_label.configure(text=f"Users{count}")
        self._members_shown = members

    def _show_topic(self, tab: _Tab) -> None:
        if tab.kind == "channel":
            text = f"{tab.name} — {tab.topic}" if tab.topic else f"{tab.name} — no topic"
        elif tab.kind == "query":
            text = f"Private conversation with {tab.name}"
        else:
            text = "Server messages · type /help for the commands"
        self.topic.configure(text=rtl.display_text(strip_formatting(text)))

    def _show_status(self) -> None:
        status = self._status
        if status is None:
            return
        if status.state == "reconnecting" and status.retry_in is not None:
            left = max(0.0, status.retry_in - (time.monotonic() - self._status_at))
            status = dataclasses.replace(status, retry_in=left + 0.499)
        text = status.describe()
        if str(self.status.cget("text")) != text:
            self.status.configure(text=text)
            self.status_dot.configure(foreground=STATE_COLORS.get(status.state, MUTED))
        retry = status.state == "reconnecting"
        if retry != bool(self.reconnect_button.winfo_ismapped()):
            if retry:
                self.reconnect_button.pack(side="right", padx=4, pady=1)
            else:
                self.reconnect_button.pack_forget()

    def _set_title(self) -> None:
        self.root.title(f"socketchat — {self.nick}")

    # ------------------------------------------------------------------ user input

    def _update_preview(self) -> None:
        """Show what the entry holds as it will read, when it holds right-to-left text.

        Tk's Entry can only show its text in storage order (no bidi, no shaping), and drawing
        it reordered in the entry itself would make the cursor and selection jump about, so the
        reordered, joined text is shown in a line of its own, right-aligned, above the entry.
        """
        text = self.entry_text.get()
        if rtl.has_rtl(text):
            self.preview.configure(text=rtl.display_text(text))
            if not self.preview.winfo_ismapped():
                self.preview.pack(fill="x", padx=8, before=self._bottom)
        elif self.preview.winfo_ismapped() or str(self.preview.cget("text")):
            self.preview.configure(text="")
            self.preview.pack_forget()

    def preview_text(self) -> str:
        """What the preview line above the entry shows ("" when hidden)."""
        return str(self.preview.cget("text")) if self.preview.winfo_manager() else ""

    def _on_return(self, _event: object) -> str:
        self._send_entry()
        return "break"

    def _send_entry(self) -> None:
        text = self.entry.get()
        if not text.strip():
            return
        self.entry.delete(0, "end")
        self._sent.append(text)
        self._recall = len(self._sent)
        self.client.send_input(text, self.shown)
        self._refocus_entry()

    def _on_tab_key(self, _event: object) -> str:
        text = self.entry.get()
        cursor = self.entry.index("insert")
        new, position = self.completer.complete(text, cursor, self._nick_candidates())
        if new != text:
            self.entry.delete(0, "end")
            self.entry.insert(0, new)
        self.entry.icursor(position)
        return "break"

    def _on_other_key(self, event: tk.Event[tk.Misc]) -> None:
        if event.keysym not in ("Tab", "Shift_L", "Shift_R"):
            self.completer.reset()

    def _nick_candidates(self) -> list[str]:
        tab = self.tabs.get(self.shown)
        if tab is None:
            return []
        if tab.kind == "query":
            return [tab.name, self.nick]
        return [m.nick for m in tab.members if m.nick != self.nick]

    def _recall_line(self, step: int) -> str:
        if not self._sent:
            return "break"
        self._recall = max(0, min(len(self._sent), self._recall + step))
        self.entry.delete(0, "end")
        if self._recall < len(self._sent):
            self.entry.insert(0, self._sent[self._recall])
        return "break"

    def _scroll(self, pages: int) -> str:
        tab = self.tabs.get(self.shown)
        if tab is not None:
            if pages < 0 and float(tab.text.yview()[0]) <= 0.0:
                self.client.load_older(tab.name)  # PageUp at the top: older history
            tab.text.yview_scroll(pages, "pages")
        return "break"

    def _on_user_double_click(self, _event: object) -> str:
        selection = self.userlist.tk.splitlist(
            self.userlist.tk.call(str(self.userlist), "curselection")
        )
        members = self._members_shown
        if not selection or int(selection[0]) >= len(members):
            return "break"
        nick = members[int(selection[0])].nick
        if nick != self.nick:
            self.client.send_input(f"/query {nick}", self.shown)
        self._refocus_entry()
        return "break"

    def _on_middle_click(self, event: tk.Event[tk.Misc]) -> None:
        index = self.notebook.index_at(event.x, event.y)
        if index is None:
            return
        frame = self.notebook.paths()[index]
        tab = next((t for t in self.tabs.values() if str(t.frame) == frame), None)
        if tab is not None and tab.kind != "status":
            self.client.close_buffer(tab.name)

    def _close_shown(self) -> None:
        if self.shown != STATUS_BUFFER:
            self.client.close_buffer(self.shown)

    def _cycle_tab(self, step: int) -> str:
        paths = self.notebook.paths()
        if paths:
            current = paths.index(self.notebook.selected())
            self.notebook.show(self.root.nametowidget(paths[(current + step) % len(paths)]))
        return "break"

    def _refocus_entry(self) -> None:
        if not self.closed:
            self.entry.focus_set()

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
            out.append(" ".join(row.strip() for row in shown[at : at + count]))
            at += count
        out += shown[at:]  # not counted yet (never, between two polls)
        return "\n".join(out)

    def rows_of(self, buffer: str) -> list[str]:
        """The Text lines of a buffer as drawn (a wrapped chat line takes several)."""
        tab = self.tabs.get(buffer)
        return tab.text.get("1.0", "end-1c").split("\n") if tab else []

    def tab_labels(self) -> list[str]:
        return [self.notebook.label(path) for path in self.notebook.paths()]

    def user_rows(self) -> list[str]:
        return [str(row) for row in self.userlist.get(0, "end")]

    def status_text(self) -> str:
        return str(self.status.cget("text"))
