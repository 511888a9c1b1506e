"""The terminal client (Textual): a thin view over `ClientCore`.

Layout: tabs (one per buffer, with unread counts) / topic / chat log + member list / input /
status line. Everything protocol-related happens in the core; this module only draws its events
and forwards what the user types. Keys: Enter sends, Tab completes a nick, Ctrl+N / Ctrl+P (or
Alt+Right / Alt+Left) switch tabs, Ctrl+W closes a tab, Ctrl+Q quits (like /exit), PageUp /
PageDown scroll the log, Ctrl+O shows folded join/part/quit runs one by one (and folds them
again), Alt+Up / Alt+Down (or Ctrl+Up / Ctrl+Down) choose a message to answer: Enter then
sends what is typed as a reply to it, ``/react 👍`` reacts to it (without a chosen message: to
the newest one here), Escape lets it go; Ctrl+J puts a line break in the message (Shift+Enter
and Alt+Enter too, in terminals that report them apart from Enter), and a pasted block keeps
its lines: one multi-line message.
PageUp (or the mouse wheel) at the top of the log fetches older history from the server (where
it keeps history), which appears above without moving what is shown.

A refused nick (taken, or not allowed by the server) asks again with the server's reason
(`ClientConfig.ask_nick`). Runs of joins, parts and quits are folded into one line and the first
unread line gets a "new since you last read" line above it (client/runs.py, shared with the
desktop client). Every string is translatable (client/i18n.py: ``--lang``, ``/lang fa``); the
theme is dark or light (``--theme``, ``/theme``); both, the nick, the server and the open
conversations are remembered in the settings file (client/settings.py) by `chat_main`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import time
import unicodedata
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events as tev
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, RichLog, Static, Tab, Tabs

from socketchat.client import rtl, settings
from socketchat.client.connection import Backoff, Connection
from socketchat.client.core import ClientConfig, ClientCore
from socketchat.client.events import (
    BufferClosed,
    BufferOpened,
    BufferRenamed,
    BufferReset,
    ChannelEntry,
    ChatLine,
    CurrentBufferChanged,
    Event,
    ExitRequested,
    HistoryInserted,
    NickChanged,
    NickRefused,
    Reaction,
    StatusChanged,
)
from socketchat.client.formatting import Span, parse_formatting
from socketchat.client.helpers import NickCompleter, channel_name, default_port, nick_color
from socketchat.client.i18n import _, is_rtl, language, ngettext, pick_language, set_language
from socketchat.client.inputhistory import InputHistory
from socketchat.client.nickrules import check_nick, nick_rules, refusal_text
from socketchat.client.notify import AlertThrottle, alert_text, terminal_mode, terminal_sequence
from socketchat.client.notify import wants_alert as _wants_alert
from socketchat.client.runs import Marker, Run, fold, in_run, summary
from socketchat.client.viewstate import (
    ViewState,
    body_text,
    local_command,
    quote_line,
    reactions_line,
    status_text,
    tab_name,
)

__all__ = ["ChatApp", "chat_main", "render_line"]


def _rich_style(span: Span, base: str) -> Style:
    st = span.style
    fg, bg = st.fg, st.bg
    style = Style.parse(base) if base else Style()
    return style + Style(
        bold=st.bold or None,
        italic=st.italic or None,
        underline=st.underline or bool(span.link) or None,
        strike=st.strike or None,
        reverse=st.reverse or None,
        color=fg,
        bgcolor=bg,
        link=span.link,
    )


def bidi_enabled() -> bool:
    """Reorder and shape right-to-left text here, unless the terminal does it itself
    (``SOCKETCHAT_BIDI=terminal``, e.g. VTE with BiDi on: it would be reversed twice)."""
    return os.environ.get("SOCKETCHAT_BIDI", "").lower() not in ("terminal", "off", "0", "no")


def render_line(
    line: ChatLine,
    width: int | None = None,
    *,
    bidi: bool | None = None,
    dark: bool = True,
    reactions: tuple[Reaction, ...] = (),
    selected: bool = False,
) -> Text:
    """One chat line as Rich text: ``HH:MM <nick> text`` with a coloured nick; the line chosen
    to reply or react to (Alt+Up) starts with ``▶`` and its time reversed.

    The message text is parsed for IRC formatting (client/formatting.py) and, when `width` (in
    cells) is given, wrapped to the columns right of the time and nick, the rows after the first
    indented under the first; each row is then shaped and reordered for right-to-left scripts
    (client/rtl.py), so the time and nick stay at the left while the text reads right to left.
    """
    if bidi is None:
        bidi = bidi_enabled()
    prefix = Text(line.time.strftime("%H:%M") + " ", style="dim")
    if selected:
        prefix = Text("▶", style="bold") + Text(line.time.strftime("%H:%M"), style="reverse")
        prefix.append(" ")
    color = nick_color(line.nick, dark=dark) if line.nick else ""
    nick = rtl.display_text(line.nick, reorder=bidi)
    body_style = ""
    body = body_text(line)
    if line.kind == "message":
        prefix.append("<")
        prefix.append(nick, style=f"bold {color}")
        prefix.append("> ")
        body_style = "bold" if line.highlight else ""
    elif line.kind == "action":
        prefix.append("* ")
        prefix.append(nick, style=f"bold {color}")
        prefix.append(" ")
        body_style = "italic"
    elif line.kind == "notice":
        prefix.append("-")
        prefix.append(nick, style=color)
        prefix.append("- ")
    elif line.kind == "error":
        prefix.append("!! ", style="bold red")
        body_style = "bold red"
    elif line.kind == "info":
        prefix.append("-- ", style="cyan")
        body_style = "cyan"
    else:  # join, part, quit, kick, nick, topic, mode
        prefix.append("-- ", style="dim")
        body_style = "dim"
    if line.redacted:
        body, body_style = body_text(line), "dim italic"
    indent = prefix.cell_len
    column = float("inf") if width is None or width - indent < 10 else width - indent
    text = prefix
    quote = quote_line(line)
    if quote:  # a reply: what it answers, quoted above it
        quoted = rtl.display_rows(parse_formatting(quote), column, cell_len, reorder=bidi)
        for row in quoted[:1]:
            for span in row:
                text.append(span.text, style=_rich_style(span, "dim italic"))
        text.append("\n" + " " * indent)
    first = True
    for paragraph in body.split("\n"):  # a multi-line message keeps its line breaks
        for row in rtl.display_rows(parse_formatting(paragraph), column, cell_len, reorder=bidi):
            if not first:
                text.append("\n" + " " * indent)
            first = False
            for span in row:
                text.append(span.text, style=_rich_style(span, body_style))
    if line.highlight and line.kind in ("message", "action"):
        text.stylize("on #3a3000" if dark else "on #fff4c2", 6)
    under = reactions_line(reactions)
    if under:  # the reactions, under the line
        text.append("\n" + " " * indent)
        text.append(under, style="bold" if any(r.mine for r in reactions) else "")
    return text


def render_item(
    item: ChatLine | Run | Marker,
    width: int | None = None,
    *,
    bidi: bool | None = None,
    dark: bool = True,
) -> Text:
    """A chat line, a folded run of joins/parts/quits, or the unread marker, as Rich text."""
    if isinstance(item, ChatLine):
        return render_line(item, width, bidi=bidi, dark=dark)
    if bidi is None:
        bidi = bidi_enabled()
    if isinstance(item, Run):
        prefix = Text(item.lines[-1].time.strftime("%H:%M") + " ", style="dim")
        prefix.append("-- ", style="dim")
        text = rtl.display_text(summary(item.lines), reorder=bidi)
        return prefix + Text(text, style="dim")
    label = rtl.display_text(" " + _("new since you last read") + " ", reorder=bidi)
    rule = max(4, ((width or 60) - cell_len(label)) // 2 - 1)
    return Text("─" * rule + label + "─" * rule, style="bold red")


def styled_text(line: str, base: str = "") -> Text:
    """One line of IRC-formatted text (a topic) as Rich text, shaped and reordered, unwrapped."""
    text = Text()
    for row in rtl.display_rows(parse_formatting(line), reorder=bidi_enabled()):
        for span in row:
            text.append(span.text, style=_rich_style(span, base))
    return text


class ChatLog(RichLog):
    """The chat log; scrolling up with the mouse wheel at its top asks for older history."""

    class ReachedTop(Message):
        """The user scrolled up while at the top of the log."""

    class Resized(Message):
        """The log's width changed: its lines are wrapped anew."""

    _drawn_width = 0

    def text_width(self) -> int | None:
        """The cells a line may take (None before the first layout: Rich wraps then)."""
        width = self.scrollable_content_region.width
        return width - 1 if width > 10 else None

    def on_resize(self, _event: tev.Resize) -> None:
        width = self.scrollable_content_region.width
        if width != self._drawn_width:
            self._drawn_width = width
            self.post_message(self.Resized())

    def _on_mouse_scroll_up(self, event: tev.MouseScrollUp) -> None:
        super()._on_mouse_scroll_up(event)
        if self.scroll_y <= 0:
            self.post_message(self.ReachedTop())


RENDER_CACHE = 4000  # drawn lines remembered (two tabs' worth of scrollback)
RUN_REDRAW_DELAY = 0.05  # seconds: a burst of joins/quits is drawn again once
LINE_BREAK = "⏎"  # a line break in the input line (Input holds one line)


class ChatInput(Input):
    """The input line; Tab completes a nick from the current buffer's members."""

    def __init__(self, completer: NickCompleter, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completer = completer
        self.history = InputHistory()

    def draft(self) -> str:
        """What to send: a line break stands where ``⏎`` is shown (a paste of several lines,
        Shift+Enter or Alt+Enter: one message, draft/multiline)."""
        return self.value.replace(LINE_BREAK, "\n")

    def _on_paste(self, event: tev.Paste) -> None:
        if "\n" in event.text or "\r" in event.text:
            # Input keeps only the first line of a paste: keep them all, shown as ⏎
            event.stop()
            event.prevent_default()
            text = event.text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
            self.insert_text_at_cursor(text.replace("\n", LINE_BREAK))
            return
        super()._on_paste(event)

    async def _on_key(self, event: tev.Key) -> None:
        char = event.character
        if char is not None and len(char) == 1 and unicodedata.category(char) == "Cf":
            # ZWNJ (U+200C, which Persian needs inside words), ZWJ, LRM/RLM: Input only inserts
            # characters that str.isprintable() accepts, and these format characters are not.
            event.stop()
            event.prevent_default()
            if self.selection.is_empty:
                self.insert_text_at_cursor(char)
            else:
                self.replace(char, *self.selection)
            return
        if event.key == "tab":
            event.stop()
            event.prevent_default()
            app = self.app
            if isinstance(app, ChatApp):
                app.complete_nick()
            return
        if event.key in ("shift+enter", "alt+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.insert_text_at_cursor(LINE_BREAK)
            return
        if event.key in ("up", "down"):
            # Up/Down: the lines typed before (what was being typed comes back after the newest)
            event.stop()
            event.prevent_default()
            step = self.history.older if event.key == "up" else self.history.newer
            self.value = step(self.value)
            self.cursor_position = len(self.value)
            return
        self.completer.reset()
        await super()._on_key(event)


class NickScreen(ModalScreen[str | None]):
    """Asks for a nickname: before connecting, and again when the server refuses one (`problem`
    says why). Escape gives up (None). Persian nicks are typed as they are stored; the line
    under the box shows them shaped and in reading order."""

    DEFAULT_CSS = """
    NickScreen { align: center middle; }
    NickScreen > Vertical { width: 64; height: auto; border: round $accent; padding: 1 2; }
    NickScreen #nick-error { color: $error; }
    NickScreen #nick-rules, NickScreen #nick-preview { color: $text-muted; }
    NickScreen.-rtl Label { width: 100%; text-align: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "give_up", show=False)]

    def __init__(self, default: str, problem: str = "") -> None:
        super().__init__()
        self.default = default
        self.problem = problem

    WIDTH = 58  # cells inside the box (64, less the border and padding)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.paragraph(_("Choose a nickname:")))
            yield Input(value=self.default, placeholder=_("nickname"), id="nick-input")
            yield Label("", id="nick-preview")
            yield Label(self.paragraph(nick_rules()), id="nick-rules")
            yield Label(self.paragraph(self.problem), id="nick-error")

    def on_mount(self) -> None:
        self.set_class(is_rtl(), "-rtl")  # Persian: the lines right-aligned

    def paragraph(self, text: str) -> str:
        """`text` wrapped to the box, then each row reordered: wrapping a reordered Persian
        sentence would cut its beginning off (it is at the right end)."""
        if not bidi_enabled() or not rtl.has_rtl(text):
            return text
        rows = rtl.display_rows([Span(text)], self.WIDTH, cell_len)
        return "\n".join("".join(span.text for span in row) for row in rows)

    def on_input_changed(self, event: Input.Changed) -> None:
        show = bidi_enabled() and rtl.has_rtl(event.value)
        self.query_one("#nick-preview", Label).update(rtl.display_text(event.value) if show else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = check_nick(event.value)
        if problem:
            self.query_one("#nick-error", Label).update(self.paragraph(problem))
            return
        self.dismiss(event.value.strip())

    def action_give_up(self) -> None:
        self.dismiss(None)


class ChannelListScreen(ModalScreen[str | None]):
    """/list as a table to browse: channel, people, topic; type to filter, Enter joins the
    channel under the cursor, Escape closes."""

    DEFAULT_CSS = """
    ChannelListScreen { align: center middle; }
    ChannelListScreen > Vertical { width: 90%; height: 80%; border: round $accent; }
    ChannelListScreen DataTable { height: 1fr; }
    ChannelListScreen #list-title { padding: 0 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, entries: tuple[ChannelEntry, ...]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        bidi = bidi_enabled()
        title = ngettext("{count} channel", "{count} channels", len(self.entries)).format(
            count=len(self.entries)
        )
        hint = _("Enter joins, Escape closes, type to filter")
        with Vertical():
            yield Label(rtl.display_text(f"{title} · {hint}", reorder=bidi), id="list-title")
            yield Input(placeholder=_("filter"), id="list-filter")
            yield DataTable(id="channels", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#channels", DataTable)
        table.add_columns(_("channel"), _("people"), _("topic"))
        self._fill("")
        table.focus()

    def _fill(self, needle: str) -> None:
        table = self.query_one("#channels", DataTable)
        table.clear()
        needle = needle.casefold()
        bidi = bidi_enabled()
        for entry in sorted(self.entries, key=lambda e: (-e.users, e.name.casefold())):
            if needle and needle not in (entry.name + " " + entry.topic).casefold():
                continue
            topic = rtl.display_text(entry.topic, reorder=bidi)
            name = rtl.display_text(entry.name, reorder=bidi)
            table.add_row(name, str(entry.users), topic, key=entry.name)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#channels", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)


class ChatApp(App[int]):
    """The socketchat terminal client."""

    TITLE = "socketchat"
    ENABLE_COMMAND_PALETTE = False  # Ctrl+P switches tabs here
    CSS = """
    Screen { layout: vertical; }
    #tabs { height: 2; }
    #topic { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    #main { height: 1fr; }
    #log { width: 1fr; border: none; padding: 0 1; }
    #members { width: 24; height: 100%; border-left: solid $primary; padding: 0 1; }
    #input { dock: none; }
    #preview { height: auto; max-height: 6; padding: 0 2; color: $text-muted; display: none; }
    #typing { height: 1; padding: 0 2; color: $text-muted; text-style: italic; display: none; }
    #chosen { height: 1; padding: 0 2; background: $boost; display: none; }
    #status { height: 1; background: $primary-background; padding: 0 1; }
    .-rtl #members { dock: left; border-left: none; border-right: solid $primary; }
    .-rtl #topic, .-rtl #status, .-rtl #preview, .-rtl #typing, .-rtl #chosen {
        text-align: right;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n,alt+right", "next_tab", "Next tab", show=False),
        Binding("ctrl+p,alt+left", "previous_tab", "Previous tab", show=False),
        Binding("ctrl+w", "close_tab", "Close tab", show=False),
        Binding("pageup", "page_up", "Older", show=False),
        Binding("pagedown", "page_down", "Newer", show=False),
        Binding("ctrl+o", "toggle_runs", "Show joins and parts", show=False),
        Binding("alt+up,ctrl+up", "select_line(-1)", "Choose an older message", show=False),
        Binding("alt+down,ctrl+down", "select_line(1)", "Choose a newer message", show=False),
        Binding("escape", "unselect", "Let the message go", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        nick: str | None,
        host: str = "127.0.0.1",
        port: int = 6667,
        *,
        tls: bool = False,
        tls_insecure: bool = False,
        channels: tuple[str, ...] = ("#lobby",),
        password: str | None = None,
        account: str | None = None,
        account_password: str | None = None,
        backoff: Backoff | None = None,
        queries: tuple[str, ...] = (),
        theme: str = "dark",
        language: str | None = None,
        remembered: settings.Settings | None = None,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.nick = nick
        self.host = host
        self.port = port
        self.tls = tls
        self.tls_insecure = tls_insecure
        self.channels = channels
        self.password = password
        self.account = account
        self.account_password = account_password
        self.backoff = backoff
        self.queries = queries
        self.dark = theme != "light"
        set_language(pick_language(language))
        self.remembered = remembered or settings.Settings()
        self.settings_file = settings_file  # None: remember nothing (tests)
        self.expand_runs = False
        self.selected: str | None = None  # the msgid of the message chosen to answer (Alt+Up)
        self._selected_row: int | None = None  # where it was drawn in the log
        self._last_line: ChatLine | None = None  # the shown tab's newest line drawn
        self._runs_timer: Timer | None = None  # a redraw for a growing run, coming
        self._render_cache: dict[tuple[object, ...], Text] = {}
        self.core: ClientCore | None = None
        self.connection: Connection | None = None
        self.viewstate = ViewState(nick or "")
        self.completer = NickCompleter()
        self._tab_ids: dict[str, str] = {}  # buffer name → tab id
        self._next_tab = 0
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._conn_task: asyncio.Task[None] | None = None
        # alerts (client/notify.py): the bell, and OSC 9/777 where the terminal shows them
        self.notify_mode = terminal_mode(os.environ)
        self._in_tmux = bool(os.environ.get("TMUX"))
        self._alerts = AlertThrottle(time.monotonic)
        self.alerts: list[str] = []  # what was written for each alert (tests read it)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Tabs(id="tabs")
        yield Static("", id="topic")
        with Horizontal(id="main"):
            yield ChatLog(id="log", wrap=True, markup=False, min_width=20)
            yield Static("", id="members")
        yield Static("", id="typing")
        yield Static("", id="chosen")
        yield Static("", id="preview")
        yield ChatInput(self.completer, id="input", placeholder=_("Type a message or /help"))
        yield Static(_("starting…"), id="status")

    def on_mount(self) -> None:
        self.theme = "textual-dark" if self.dark else "textual-light"
        self.set_class(is_rtl(), "-rtl")
        self.query_one("#input", ChatInput).focus()
        if self.nick:
            self.start(self.nick)
        else:
            default = os.environ.get("USER") or getpass.getuser() or ""
            self.push_screen(NickScreen(default), self.start)

    def start(self, nick: str | None) -> None:
        """Create the core and connect (called at once, or when the nick prompt is answered)."""
        if not nick:
            self.exit(1)
            return
        self.nick = nick
        self.viewstate.nick = nick
        config = ClientConfig(
            nick=nick,
            channels=self.channels,
            password=self.password,
            account=self.account,
            account_password=self.account_password,
            ask_nick=True,  # a refused nick is asked again (NickRefused), never renamed
            queries=self.queries,  # the private conversations open when the client last ran
        )
        self.core = ClientCore(config)
        self.connection = Connection(
            self.core,
            self.host,
            self.port,
            tls=self.tls,
            tls_insecure=self.tls_insecure,
            on_event=self._events.put_nowait,
            backoff=self.backoff,
        )
        self._tasks.append(asyncio.create_task(self._consume_events()))
        self._conn_task = asyncio.create_task(self.connection.run())
        self.query_one("#input", ChatInput).focus()

    # ------------------------------------------------------------------ events from the core

    async def _consume_events(self) -> None:
        while True:
            event = await self._events.get()
            try:
                await self._apply(event)
            except Exception as exc:  # never let a drawing bug kill the client
                self.log.error(f"cannot draw {event!r}: {exc!r}")

    @property
    def shown(self) -> str:
        """The buffer whose tab is shown (`ViewState`, shared with the desktop client)."""
        return self.viewstate.shown

    async def _apply(self, event: Event) -> None:
        tabs = self.query_one("#tabs", Tabs)
        change = self.viewstate.apply(event) if not isinstance(event, ChatLine) else None
        if change is not None:
            for buffer in change.relabel:
                self._relabel(buffer)
            if change.members:
                self._draw_members()
            if change.topic:
                self._draw_topic()
            if self.shown in change.redraw:
                self._draw_log(keep_view=not self._at_end())
            if change.typing:
                self._draw_typing()
            if change.channels:
                self._show_channel_list()
        if isinstance(event, ChatLine):
            if event.buffer == self.shown:
                self._draw_line(event)
            self._maybe_alert(event)
        elif isinstance(event, BufferReset):
            if event.buffer == self.shown:
                self._draw_log()
        elif isinstance(event, HistoryInserted):
            if event.buffer == self.shown:
                self._draw_log(keep_view=True)
        elif isinstance(event, BufferOpened):
            tab_id = self._tab_id(event.buffer)
            await tabs.add_tab(Tab(self._label(event.buffer), id=tab_id))
            if event.focus:
                tabs.active = tab_id
        elif isinstance(event, BufferClosed):
            tab_id = self._tab_ids.pop(event.buffer, "")
            if tab_id:
                await tabs.remove_tab(tab_id)
        elif isinstance(event, BufferRenamed):
            tab_id = self._tab_ids.pop(event.old, "")
            if tab_id:
                self._tab_ids[event.new] = tab_id
                self._relabel(event.new)
        elif isinstance(event, CurrentBufferChanged):
            current = self._tab_ids.get(event.buffer, "")
            if current:
                tabs.active = current
        elif isinstance(event, StatusChanged | NickChanged):
            self._draw_status()
        elif isinstance(event, NickRefused):
            self._ask_nick_again(event)
        elif isinstance(event, ExitRequested):
            if self._conn_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(self._conn_task), 3)
            self.exit(0)

    def _maybe_alert(self, line: ChatLine) -> None:
        """A mention or private message we are not looking at (another tab, or the terminal
        has lost the focus, as it reports): the bell, and a notification where it shows one.
        One we are looking at is read: the server hears it (MARKREAD), so it is not pushed
        to the account's other devices (docs/notifications.md)."""
        if not _wants_alert(line, self.shown, self.app_focus):
            if line.highlight and not line.history and line.buffer == self.shown:
                self._looking_at(line.buffer)
            return
        if self.notify_mode == "off":
            return
        if not self._alerts.admit(line.buffer):
            return
        tab = self.viewstate.tab(line.buffer)
        title, body = alert_text(line, tab is not None and tab.kind == "channel")
        sequence = terminal_sequence(self.notify_mode, title, body, tmux=self._in_tmux)
        self.alerts.append(sequence)
        driver = self._driver
        if driver is not None and not self.is_headless:
            driver.write(sequence)
            driver.flush()

    def _looking_at(self, buffer: str) -> None:
        if self.connection is not None and self.app_focus:
            self.connection.set_current(buffer)  # MARKREAD, if that moves the marker on

    def on_app_focus(self, _event: tev.AppFocus) -> None:
        """The terminal has the focus again: what the shown tab holds is read now."""
        if self.shown and self.connection is not None:
            self.connection.set_current(self.shown)  # (app_focus may be set after this)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        buffer = next((b for b, t in self._tab_ids.items() if t == event.tab.id), None)
        if buffer is None:
            return
        self.viewstate.show(buffer)
        self.selected = None  # a chosen message belongs to the tab it was chosen in
        self._draw_chosen()
        if self.connection is not None:
            self.connection.set_current(buffer)
        self._redraw()

    # ------------------------------------------------------------------ drawing

    def _tab_id(self, buffer: str) -> str:
        tab_id = self._tab_ids.get(buffer)
        if tab_id is None:
            self._next_tab += 1
            tab_id = self._tab_ids[buffer] = f"buffer-{self._next_tab}"
        return tab_id

    def _label(self, buffer: str) -> Text:
        name = tab_name(buffer)
        tab = self.viewstate.tab(buffer)
        label = Text(rtl.display_text(name, reorder=bidi_enabled()))
        if tab is not None and tab.unread:
            # a mention or a private message stands out from ordinary unread lines
            label.append(f" ({tab.unread})", style="bold red" if tab.highlight else "bold yellow")
        return label

    def _relabel(self, buffer: str) -> None:
        tab_id = self._tab_ids.get(buffer)
        if tab_id is None:
            return
        with contextlib.suppress(Exception):
            self.query_one("#tabs", Tabs).query_one(f"#{tab_id}", Tab).label = self._label(buffer)

    def _redraw(self) -> None:
        self._draw_log()
        self._draw_members()
        self._draw_topic()
        self._relabel(self.shown)

    def _draw_log(self, *, keep_view: bool = False) -> None:
        """Draw the shown buffer's lines; `keep_view`: what was shown stays in place (lines were
        added above it), else the log shows the end."""
        log = self.query_one("#log", ChatLog)
        before, top = len(log.lines), log.scroll_y
        log.clear()
        if self.core is not None:
            self._write_items(self.core.lines(self.shown), scroll_end=not keep_view)
        if keep_view:
            log.scroll_to(y=top + len(log.lines) - before, animate=False)

    def _write_items(self, lines: list[ChatLine], *, scroll_end: bool = True) -> None:
        log = self.query_one("#log", ChatLog)
        self._last_line = lines[-1] if lines else None
        marker = self.viewstate.marker(self.shown, lines)
        width = log.text_width()
        view = self.viewstate
        for item in fold(lines, marker, expand=self.expand_runs):
            chosen = isinstance(item, ChatLine) and bool(item.msgid) and item.msgid == self.selected
            if isinstance(item, ChatLine):
                shown = view.line_as_shown(item)
                drawn = self._rendered(shown, width, view.reactions_of(shown), selected=chosen)
            else:
                drawn = render_item(item, width, dark=self.dark)
            if chosen:
                self._selected_row = len(log.lines)
            log.write(drawn, scroll_end=scroll_end)

    def _rendered(
        self,
        line: ChatLine,
        width: int | None,
        reactions: tuple[Reaction, ...],
        *,
        selected: bool = False,
    ) -> Text:
        """`render_line`, remembered: drawing the log again (a run grew, a reaction came, the
        tab was shown again) would otherwise wrap, shape and reorder every line anew, which
        costs about a millisecond a line. Lines are values, so an equal key is the same
        drawing; the Text is never changed after it is made."""
        key = (line, width, reactions, selected, self.dark, language(), bidi_enabled())
        drawn = self._render_cache.get(key)
        if drawn is None:
            if len(self._render_cache) >= RENDER_CACHE:
                self._render_cache.clear()
            drawn = self._render_cache[key] = render_line(
                line, width, dark=self.dark, reactions=reactions, selected=selected
            )
        return drawn

    def _at_end(self) -> bool:
        log = self.query_one("#log", ChatLog)
        return log.scroll_y >= log.max_scroll_y - 1

    def _draw_line(self, line: ChatLine) -> None:
        """A new line at the end of the shown tab. One that makes a run longer changes the run's
        summary line: the log is drawn again, once for a burst of them (a netsplit's quits),
        up to the last line handled here (the core may have more already, whose events are
        still on their way)."""
        previous, self._last_line = self._last_line, line
        log = self.query_one("#log", ChatLog)
        grows = previous is not None and in_run(previous) and in_run(line)
        if not self.expand_runs and grows:
            if self._runs_timer is None:
                self._runs_timer = self.set_timer(RUN_REDRAW_DELAY, self._redraw_runs)
            return
        log.write(render_line(line, log.text_width(), dark=self.dark))

    def _redraw_runs(self) -> None:
        self._runs_timer = None
        last = self._last_line
        if self.core is None or last is None:
            return
        lines = self.core.lines(self.shown)
        at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i] is last), None)
        if at is None:
            self._draw_log()
            return
        self.query_one("#log", ChatLog).clear()
        self._write_items(lines[: at + 1])

    def _draw_typing(self) -> None:
        widget = self.query_one("#typing", Static)
        text = self.viewstate.typing_line()
        widget.display = bool(text)
        widget.update(rtl.display_text(text, reorder=bidi_enabled()))

    def _show_channel_list(self) -> None:
        """A /list answer: the channels in a table to browse; Enter joins the one chosen."""
        if isinstance(self.screen, ChannelListScreen):
            self.screen.dismiss(None)
        entries = self.viewstate.channels()

        def chosen(channel: str | None) -> None:
            if channel and self.connection is not None:
                self.connection.send_input(f"/join {channel}", self.shown)

        self.push_screen(ChannelListScreen(entries), chosen)

    def _draw_members(self) -> None:
        widget = self.query_one("#members", Static)
        tab = self.viewstate.tab(self.shown)
        if tab is None or tab.kind != "channel":
            widget.display = False
            return
        widget.display = True
        members = tab.members
        here = ngettext("{count} here", "{count} here", len(members)).format(count=len(members))
        text = Text(rtl.display_text(here, reorder=bidi_enabled()) + "\n", style="dim")
        for m in members:
            text.append(m.prefix or " ")
            style = ("dim " if m.away else "") + nick_color(m.nick, dark=self.dark)
            text.append(rtl.display_text(m.nick, reorder=bidi_enabled()), style=style)
            text.append("\n")
        widget.update(text)

    def _draw_topic(self) -> None:
        tab = self.viewstate.tab(self.shown)
        topic = tab.topic if tab is not None else ""
        if tab is not None and tab.modes:
            topic = f"[{tab.modes}] {topic}"
        self.query_one("#topic", Static).update(styled_text(topic or self.shown.strip("*")))

    def _draw_status(self) -> None:
        if self.core is not None:
            text = rtl.display_text(status_text(self.core.status()), reorder=bidi_enabled())
            self.query_one("#status", Static).update(text)

    # ------------------------------------------------------------------ input

    def on_input_changed(self, event: Input.Changed) -> None:
        """Right-to-left text typed into the input line is shown shaped and in reading order
        just above it: Textual's Input draws characters in the order they are stored, and
        editing visual-order text in place would scramble the cursor's moves."""
        if event.input.id != "input" or not isinstance(event.input, ChatInput):
            return
        draft = event.input.draft()
        if self.connection is not None:
            self.connection.composing(draft, self.shown)  # typing notifications, politely
        preview = self.query_one("#preview", Static)
        lines = draft.split("\n")
        show = (bidi_enabled() and rtl.has_rtl(draft)) or len(lines) > 1
        preview.display = show
        if show:
            text = Text()
            for index, line in enumerate(lines[-6:]):
                if index:
                    text.append("\n")
                text.append_text(styled_text(line))
            preview.update(text)

    def on_chat_log_resized(self, _message: ChatLog.Resized) -> None:
        self._draw_log()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "input":
            return
        text = event.input.draft() if isinstance(event.input, ChatInput) else event.value
        event.input.value = ""
        self.completer.reset()
        if text.strip() and isinstance(event.input, ChatInput):
            event.input.history.add(text)
        if self._local_command(text) or self._answer(text):
            return
        if text.strip() and self.connection is not None:
            self.connection.send_input(text, buffer=self.shown)

    # ------------------------------------------------------------------ reply and react

    def _selectable(self) -> list[ChatLine]:
        """The messages of the shown tab one can answer or react to (they have a msgid)."""
        if self.core is None:
            return []
        return [
            ln
            for ln in self.core.lines(self.shown)
            if ln.kind in ("message", "action", "notice") and ln.msgid and not ln.redacted
        ]

    def chosen_line(self) -> ChatLine | None:
        """The message chosen with Alt+Up, if it is still in the shown tab."""
        if self.selected is None:
            return None
        return next((ln for ln in self._selectable() if ln.msgid == self.selected), None)

    def action_select_line(self, step: int) -> None:
        """Alt+Up / Alt+Down: choose the message before or after the chosen one (the first
        Alt+Up chooses the newest); past the newest, none is chosen."""
        lines = self._selectable()
        if not lines:
            return
        at = next((i for i, ln in enumerate(lines) if ln.msgid == self.selected), len(lines))
        at = max(0, at + step)
        self._choose(lines[at].msgid if at < len(lines) else None)

    def action_unselect(self) -> None:
        if self.selected is not None:
            self._choose(None)

    def _choose(self, msgid: str | None) -> None:
        self.selected = msgid
        self._selected_row = None
        self._draw_log(keep_view=True)
        log = self.query_one("#log", ChatLog)
        if self._selected_row is not None:
            rows = log.scrollable_content_region.height
            if not log.scroll_y <= self._selected_row < log.scroll_y + rows:
                log.scroll_to(y=max(0, self._selected_row - rows // 2), animate=False)
        elif msgid is None:
            log.scroll_end(animate=False)
        self._draw_chosen()

    def _draw_chosen(self) -> None:
        widget = self.query_one("#chosen", Static)
        line = self.chosen_line()
        widget.display = line is not None
        if line is None:
            return
        said = " ".join(body_text(line).split())
        said = said[:59] + "…" if len(said) > 60 else said
        text = _("Answering {nick}: {text} — Enter replies, /react 👍 reacts, Esc lets go").format(
            nick=line.nick, text=said
        )
        room = max(20, self.size.width - 4)
        if cell_len(text) > room:  # cut where reading ends, before reordering (not its start)
            while cell_len(text) > room - 1:
                text = text[:-1]
            text += "…"
        widget.update(rtl.display_text(text, reorder=bidi_enabled()))

    def _answer(self, text: str) -> bool:
        """Enter with a message chosen: a reply to it; ``/react <emoji>`` (one word): a
        reaction to it, or without one chosen to the newest message here. True if handled."""
        if self.connection is None or not text.strip():
            return False
        words = text.split()
        if words[0].lower() == "/react" and len(words) == 2:
            line = self.chosen_line() or next(
                (ln for ln in reversed(self._selectable()) if not ln.self_msg), None
            )
            if line is None or line.msgid is None:
                self._note(_("No message here to react to"))
                return True
            self.connection.react(self.shown, line.msgid, words[1])
            self.action_unselect()
            return True
        line = self.chosen_line()
        if line is None or line.msgid is None or text.startswith("/"):
            return False
        self.connection.reply(self.shown, line.msgid, text)
        self.action_unselect()
        return True

    def complete_nick(self) -> None:
        if self.core is None:
            return
        box = self.query_one("#input", ChatInput)
        value, cursor = self.completer.complete(
            box.value, box.cursor_position, self.core.nick_candidates(self.shown)
        )
        box.value = value
        box.cursor_position = cursor

    def _local_command(self, text: str) -> bool:
        """/lang and /theme change this view only; True when `text` was one of them."""
        command = local_command(text)
        if command is None:
            return False
        if command.note:  # and on to the core
            self._note(command.note)
            return False
        if command.error:
            self._note(command.error)
        elif command.language is not None:
            set_language(command.language)
            self.remembered = self.remembered.replace(language=command.language)
            self._relanguage()
        elif command.theme is not None:
            self.dark = command.theme == "dark"
            self.theme = "textual-dark" if self.dark else "textual-light"
            self.remembered = self.remembered.replace(theme=command.theme)
            self._redraw()
            self._draw_members()
        self._save_settings()
        return True

    def _note(self, text: str) -> None:
        log = self.query_one("#log", ChatLog)
        log.write(Text(rtl.display_text(text, reorder=bidi_enabled()), style="cyan"))

    def _relanguage(self) -> None:
        """Draw every string of the interface again in the language now chosen."""
        self.set_class(is_rtl(), "-rtl")
        self.query_one("#input", ChatInput).placeholder = _("Type a message or /help")
        for buffer in self._tab_ids:
            self._relabel(buffer)
        self._redraw()
        self._draw_status()

    def _ask_nick_again(self, event: NickRefused) -> None:
        """The server refused the nick while connecting: ask for another, saying why."""
        if isinstance(self.screen, NickScreen):
            return

        def chosen(nick: str | None) -> None:
            if nick is None:
                self.call_later(self.action_quit)
            elif self.connection is not None:
                self.nick = nick
                self.connection.choose_nick(nick)

        self.push_screen(NickScreen(event.nick, refusal_text(event)), chosen)

    def current_settings(self) -> settings.Settings:
        """What to remember: the nick, the server, the open conversations (and the rest)."""
        core = self.core
        channels = tuple(
            b
            for b in (core.buffer_names() if core else [])
            if core and core.buffer_kind(b) == "channel"
        )
        queries = tuple(
            b
            for b in (core.buffer_names() if core else [])
            if core and core.buffer_kind(b) == "query"
        )
        return self.remembered.replace(
            nick=(core.nick if core else self.nick) or self.remembered.nick,
            host=self.host,
            port=self.port,
            tls=self.tls,
            theme="dark" if self.dark else "light",
            channels=channels or self.channels,
            queries=queries,
        )

    def _save_settings(self) -> None:
        if self.settings_file is None:
            return
        try:
            settings.save(self.current_settings(), self.settings_file)
        except OSError as exc:
            self.log.error(f"cannot save the settings: {exc!r}")

    # ------------------------------------------------------------------ actions

    def action_toggle_runs(self) -> None:
        """Show the joins, parts and quits of folded runs one by one, or fold them again."""
        self.expand_runs = not self.expand_runs
        self._draw_log()

    def action_next_tab(self) -> None:
        self.query_one("#tabs", Tabs).action_next_tab()

    def action_previous_tab(self) -> None:
        self.query_one("#tabs", Tabs).action_previous_tab()

    def on_chat_log_reached_top(self, _message: ChatLog.ReachedTop) -> None:
        self.load_older()

    def load_older(self) -> None:
        """Ask the core for the lines before the oldest one shown (HistoryInserted)."""
        if self.connection is not None:
            self.connection.load_older(self.shown)

    def action_page_up(self) -> None:
        log = self.query_one("#log", ChatLog)
        if log.scroll_y <= 0:
            self.load_older()
        else:
            log.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.query_one("#log", ChatLog).scroll_page_down(animate=False)

    def action_close_tab(self) -> None:
        if self.connection is not None:
            self.connection.close_buffer(self.shown)

    async def action_quit(self) -> None:
        if self.connection is not None and self._conn_task and not self._conn_task.done():
            self.connection.exit()  # ExitRequested → exit once QUIT is out
            return
        self.exit(0)

    async def on_unmount(self) -> None:
        self._save_settings()
        task = self._conn_task
        if self.connection is not None and task is not None and not task.done():
            self.connection.exit()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 2)
        for task in self._tasks:
            task.cancel()


def chat_main(args: argparse.Namespace) -> int:
    """``socketchat chat``: run the terminal client until the user leaves.

    What the command line leaves out comes from the settings file (the nick, the server, the
    theme, the language, the conversations open last time); what is used is saved back."""
    path = settings.settings_path()
    saved = settings.load(path)
    saved = saved.replace(language=args.lang or saved.language)
    tls = bool(args.tls or (saved.tls and not args.host))
    same_server = not args.host or args.host == saved.host
    if args.channel:
        channels: tuple[str, ...] = (channel_name(args.channel),)
    else:
        channels = (saved.channels if same_server else ()) or ("#lobby",)
    app = ChatApp(
        args.nick or saved.nick or None,
        args.host or saved.host or "127.0.0.1",
        args.port or (saved.port if same_server else None) or default_port(tls),
        tls=tls,
        tls_insecure=args.tls_insecure,
        channels=channels,
        password=args.password,
        account=args.account,
        account_password=args.account_password,
        queries=saved.queries if same_server and not args.channel else (),
        theme=args.theme or saved.theme or "dark",
        language=saved.language or None,
        remembered=saved,
        settings_file=path,
    )
    result = app.run()
    return int(result or 0)
