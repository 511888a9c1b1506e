"""`ChatWindow`: the desktop client's main window, a thin view on the client core.

Layout: the topic line on top; a ttk.Notebook with one chat log per buffer (status, channels,
private conversations; unread counts on the tab labels) beside the user list (double-click
opens a private tab); the input line with a Send button; the status bar (connected /
reconnecting in N s / nick / queued messages). Each part is a module of its own:
`chatlog.ChatLog` (the Text widgets and how lines are drawn and wrapped), `inputline.InputLine`
(entry, Up/Down recall, Tab completion, right-to-left preview) and `userlist.UserList`; what
they show besides lines (unread counts, mentions, members, topic) is the shared
`socketchat.client.viewstate.ViewState`, which the terminal client uses too.

Scrolling a chat to its top (or PageUp there) asks for older history, which the server sends
where it keeps history; it appears above what is shown, which stays in place.

A nick the server refuses while connecting is asked again (`login.NickDialog`, with the reason).
``/lang fa|en`` and ``/theme dark|light`` are the window's own commands (`viewstate.local_command`):
every string is drawn again in the language (Persian mirrors the layout: the user list on the
left, text anchored right), or every widget in the palette; both, the nick, the server and the
open conversations go to the settings file (`client/settings.py`) when given `settings_file`.

The core and its connection run in a `ThreadedClient` background thread. The window polls the
client's event queue with ``root.after`` and draws what the events say; what the user does goes back
through the client's thread-safe calls. The window never reads the core's state, and the
background thread never sees a Tk object (so it can neither block nor crash the Tk thread).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import tkinter as tk
from datetime import datetime
from pathlib import Path
from tkinter import ttk
from typing import Literal

from socketchat.client import rtl, settings
from socketchat.client.connection import Backoff
from socketchat.client.core import ClientConfig
from socketchat.client.events import (
    STATUS_BUFFER,
    BufferClosed,
    BufferOpened,
    BufferRenamed,
    BufferReset,
    ChatLine,
    CurrentBufferChanged,
    Event,
    HistoryInserted,
    JumpTo,
    LineRedacted,
    NickRefused,
    Reaction,
    StatusChanged,
)
from socketchat.client.formatting import strip_formatting
from socketchat.client.gui.channellist import ChannelListWindow
from socketchat.client.gui.chatlog import MAX_TEXT_LINES, ChatLog, LogTab
from socketchat.client.gui.inputline import InputLine
from socketchat.client.gui.login import NickDialog
from socketchat.client.gui.render import tab_label
from socketchat.client.gui.theme import Theme, configure_chat_tags, palette_named
from socketchat.client.gui.urgency import Urgency
from socketchat.client.gui.userlist import UserList
from socketchat.client.i18n import _, is_rtl, set_language
from socketchat.client.nickrules import refusal_text
from socketchat.client.notify import AlertThrottle, wants_alert
from socketchat.client.threaded import ThreadedClient
from socketchat.client.viewstate import Change, ViewState, local_command, status_text

__all__ = ["MAX_TEXT_LINES", "ChatWindow"]


def _now() -> datetime:
    return datetime.now().astimezone()


REACTIONS = ("👍", "♥", "✔", "😂")  # offered on a line's menu (any emoji: /react)

POLL_MS = 25  # how often the event queue is looked at
POLL_BUDGET = 0.02  # seconds of drawing per turn of the Tk loop, at most (about)
EVENTS_PER_SLICE = 50
FLASH_MS = 500  # a blinking tab changes every half second
FLASH_TOGGLES = 6  # three blinks, then it stays marked by its count ("(1!)")
FLASH_MARK = "● "  # what a blinking tab's label gains


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
        remembered: settings.Settings | None = None,
        settings_file: Path | None = None,
    ) -> None:
        self.root = root
        self.theme = theme
        self.host, self.port, self.tls = host, port, tls
        self.channels = config.channels
        self.remembered = remembered or settings.Settings()
        self.settings_file = settings_file  # None: remember nothing (tests)
        self.client = ThreadedClient(
            config, host, port, tls=tls, tls_insecure=tls_insecure, backoff=backoff
        )
        self.view = ViewState(config.nick)
        self.nick_dialog: NickDialog | None = None
        self.channel_list: ChannelListWindow | None = None
        self.closed = False
        self._status_at = 0.0
        self._after_id: str | None = None
        # alerts (client/notify.py): the urgency hint while the window is not focused, and
        # the tab of the conversation blinks a few times (FLASH_TOGGLES)
        self.urgency = Urgency(root)
        self._alerts = AlertThrottle(time.monotonic)
        self._flashing: dict[str, int] = {}  # buffer -> label changes still to come
        self._flash_id: str | None = None
        self._build()
        self._set_title()
        self._apply_direction()

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
        self.log = ChatLog(
            root,
            self.notebook,
            self.theme,
            self.client.load_older,
            self._refocus,
            self.view.marker,
            self._as_drawn,
            self._line_menu,
        )

        self.users = UserList(self.panes, self.theme, self._open_query)
        self.panes.add(self.users.frame, weight=1)

        self.typing = ttk.Label(outer, text="", style="Muted.TLabel", padding=(10, 2, 10, 0))
        self.input = InputLine(
            root,
            outer,
            self.theme,
            self._send,
            self.view.nick_candidates,
            self._scroll,
            lambda draft: self.client.composing(draft, self.view.shown),
        )
        root.bind("<Control-w>", lambda _e: self._close_shown())
        root.bind("<Control-Next>", lambda _e: self._cycle_tab(+1))
        root.bind("<Control-Prior>", lambda _e: self._cycle_tab(-1))
        root.bind("<FocusIn>", self._on_focus_in, add="+")

        bar = ttk.Frame(outer, style="Status.TFrame")
        bar.pack(fill="x", side="bottom")
        p = self.theme.palette
        self.status_bar = bar
        self.status_dot = tk.Label(
            bar, text="●", foreground=p.muted, background=p.status_bg, font=self.theme.small
        )
        self.status_dot.pack(side="left", padx=(8, 0))
        self.status = ttk.Label(bar, text=rtl.display_text(_("starting…")), style="Status.TLabel")
        self.status.pack(side="left")
        self.reconnect_button = ttk.Button(
            bar,
            text=rtl.display_text(_("Reconnect now")),
            command=self.client.reconnect_now,
            style="Toolbutton",
        )
        self.log.open(STATUS_BUFFER, "status")
        self.input.focus()

    # the parts, under the names tests and scripts use

    @property
    def tabs(self) -> dict[str, LogTab]:
        return self.log.tabs

    @property
    def entry(self) -> ttk.Entry:
        return self.input.entry

    @property
    def preview(self) -> ttk.Label:
        return self.input.preview

    @property
    def userlist(self) -> tk.Listbox:
        return self.users.listbox

    @property
    def shown(self) -> str:
        return self.view.shown

    @property
    def nick(self) -> str:
        return self.view.nick

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the connection thread and the event polling."""
        self.client.start()
        self._after_id = self.root.after(POLL_MS, self._poll)

    def close(self, reason: str = "Leaving") -> None:
        """Leave (QUIT unless already left), join the connection thread, destroy the window."""
        if self.closed:
            return
        self.save_settings()
        self.closed = True
        self.log.closed = True
        if self._flash_id is not None:
            self.root.after_cancel(self._flash_id)
            self._flash_id = None
        self.urgency.close()
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
            self.log.flush()
            if len(events) < EVENTS_PER_SLICE:
                more = False
                break
        if self.view.exit_requested:
            self.close()
            return
        self._show_status()
        self._after_id = self.root.after(1 if more else POLL_MS, self._poll)

    # ------------------------------------------------------------------ events

    def handle(self, event: Event) -> None:
        """Draw one event from the core."""
        if isinstance(event, ChatLine):
            self.log.add_line(event)
            self._maybe_alert(event)
            return
        self.log.flush()  # keep the order of lines and tab changes
        match event:
            case BufferOpened(buffer=name, kind=kind, focus=focus):
                self.log.open(name, kind)
                self._redraw(self.view.apply(event))
                if focus:
                    self.select(name)
                return
            case BufferClosed(buffer=name):
                self.log.close(name)
            case BufferReset(buffer=name, lines=lines):
                self.log.reset(name, lines)
                return
            case JumpTo(buffer=name, msgid=msgid):
                self.log.show_line(name, msgid)  # a search result (/jump): its place
                return
            case HistoryInserted(buffer=name, lines=lines):
                self.log.insert_older(name, lines)
                return
            case BufferRenamed(old=old, new=new):
                self.log.rename(old, new)
            case CurrentBufferChanged(buffer=name):
                self.select(name)
                return
            case StatusChanged():
                self._status_at = time.monotonic()
            case NickRefused():
                self._ask_nick_again(event)
                return
            case LineRedacted(buffer=name):
                self.log.flush()
        self._redraw(self.view.apply(event))

    # ------------------------------------------------------------------ alerts

    @property
    def focused(self) -> bool:
        """Does this window have the keyboard focus (Tk: some widget of it has)?"""
        try:
            return bool(str(self.root.tk.call("focus")))
        except tk.TclError:
            return False

    def _maybe_alert(self, line: ChatLine) -> None:
        """A mention or private message not looked at: blink its tab; if the window is not
        focused, raise the urgency hint too (the taskbar blinks)."""
        if not wants_alert(line, self.view.shown, self.focused):
            if line.highlight and not line.history and line.buffer == self.view.shown:
                self.client.set_current(line.buffer)  # read here: MARKREAD, no push elsewhere
            return
        if not self._alerts.admit(line.buffer):
            return
        if not self.focused:
            self.urgency.set(True)
        self._flashing[line.buffer] = FLASH_TOGGLES
        if self._flash_id is None:
            self._flash_id = self.root.after(FLASH_MS, self._flash)

    def _flash(self) -> None:
        """One blink of every flashing tab: its label with, then without, the mark."""
        self._flash_id = None
        if self.closed:
            return
        for name in list(self._flashing):
            left = self._flashing[name] - 1
            if left <= 0 or name not in self.log.tabs:
                del self._flashing[name]
            else:
                self._flashing[name] = left
            self._label(name)
        if self._flashing:
            self._flash_id = self.root.after(FLASH_MS, self._flash)

    def _stop_flash(self, name: str) -> None:
        if self._flashing.pop(name, None) is not None:
            self._label(name)

    def _on_focus_in(self, _event: object) -> None:
        """The window has the focus again: the hint goes (ICCCM: the client clears it), and
        what the shown tab holds is read now."""
        if self.urgency.urgent:
            self.urgency.set(False)
            self._stop_flash(self.view.shown)
            if self.view.shown:
                self.client.set_current(self.view.shown)

    def _label(self, name: str) -> None:
        """Draw the label of `name`'s tab: unread count, and the blink mark when it is on."""
        tab = self.log.tabs.get(name)
        state = self.view.tab(name)
        if tab is None or state is None:
            return
        label = tab_label(name, state.unread, state.highlight)
        if self._flashing.get(name, 0) % 2 == 1:
            label = FLASH_MARK + label
        self.notebook.set_label(tab.frame, label)

    def _redraw(self, change: Change) -> None:
        """Draw what the view state says changed."""
        for name in change.relabel:
            self._label(name)
        if change.members:
            shown = self.view.tab(self.view.shown)
            self.users.show(self.view.members_shown(), shown.kind if shown else None)
        if change.topic:
            topic = rtl.display_text(strip_formatting(self.view.topic_line()))
            self.topic.configure(text=topic)
        if change.title:
            self._set_title()
        if change.status:
            self._show_status()
        for name in change.redraw:
            self.log.redraw(name)
        if change.typing:
            self._show_typing()
        if change.channels:
            self._show_channel_list()

    # ------------------------------------------------------------------ what is shown

    def select(self, name: str) -> None:
        """Show the tab of buffer `name` (as if the user clicked it)."""
        tab = self.log.tabs.get(name)
        if tab is not None and self.notebook.selected() != str(tab.frame):
            self.notebook.show(tab.frame)

    def _on_tab_changed(self, _event: object) -> None:
        selected = self.notebook.selected()
        tab = next((t for t in self.log.tabs.values() if str(t.frame) == selected), None)
        if tab is None:
            return
        self.input.completer.reset()
        self._stop_flash(tab.name)  # looked at: no more blinking
        if self.view.tab(tab.name) is None:  # a line for a tab the core never opened
            self.view.apply(BufferOpened(tab.name, tab.kind))
        self._redraw(self.view.show(tab.name))
        if self.view.marker(tab.name, tab.lines()) is not tab.marker:
            self.log.redraw(tab.name)  # the unread marker moved (or went)
        self.client.set_current(tab.name)
        self._refocus()

    def _show_status(self) -> None:
        status = self.view.status
        if status is None:
            return
        if status.state == "reconnecting" and status.retry_in is not None:
            left = max(0.0, status.retry_in - (time.monotonic() - self._status_at))
            status = dataclasses.replace(status, retry_in=left + 0.499)
        text = rtl.display_text(status_text(status))
        if str(self.status.cget("text")) != text:
            self.status.configure(text=text)
            self.status_dot.configure(foreground=self.theme.palette.state_color(status.state))
        retry = status.state == "reconnecting"
        if retry != bool(self.reconnect_button.winfo_ismapped()):
            if retry:
                self.reconnect_button.pack(side="right", padx=4, pady=1)
            else:
                self.reconnect_button.pack_forget()

    def _set_title(self) -> None:
        self.root.title(f"socketchat — {rtl.display_text(self.view.nick)}")

    # ------------------------------------------------------------------ user input

    def preview_text(self) -> str:
        """What the preview line above the entry shows ("" when hidden)."""
        return self.input.preview_text()

    def _send(self, text: str) -> None:
        if not self._local_command(text):
            self.client.send_input(text, self.view.shown)
        self._refocus()

    def _local_command(self, text: str) -> bool:
        """/lang and /theme change this window only; True when `text` was one of them."""
        command = local_command(text)
        if command is None:
            return False
        if command.note:  # and on to the core
            self.log.add_line(ChatLine(self.view.shown, _now(), "", command.note, "info"))
            self.log.flush()
            return False
        if command.error:
            self.log.add_line(ChatLine(self.view.shown, _now(), "", command.error, "error"))
            self.log.flush()
        elif command.language is not None:
            self.set_language(command.language)
        elif command.theme is not None:
            self.set_theme(command.theme)
        self.save_settings()
        return True

    def set_language(self, lang: str) -> None:
        """Draw every string of the window again in `lang` (and mirror it for Persian)."""
        self.remembered = self.remembered.replace(language=set_language(lang))
        for name in self.log.tabs:
            self._redraw(Change(relabel=(name,)))
            self.log.redraw(name)
        self.status.configure(text="")  # _show_status draws it anew
        self.reconnect_button.configure(text=rtl.display_text(_("Reconnect now")))
        self._redraw(Change(members=True, topic=True, title=True, status=True))
        self._apply_direction()
        self.log.flush()

    def set_theme(self, name: str) -> None:
        """Colour every widget with the palette `name` (dark or light)."""
        palette = palette_named(name)
        self.remembered = self.remembered.replace(theme=palette.name)
        self.theme.use(self.root, palette)
        for tab in self.log.tabs.values():
            configure_chat_tags(tab.text, self.theme)
            tab.text.tag_configure("link", foreground=palette.accent)
        self.users.restyle()
        self.status_dot.configure(
            background=palette.status_bg, foreground=palette.state_color(self._state())
        )

    def line_menu(self, line: ChatLine) -> tk.Menu:
        """What can be done with a line: reply (the entry starts the /reply), react, copy."""
        menu = tk.Menu(self.root, tearoff=False)
        if line.msgid and line.kind in ("message", "action", "notice") and not line.redacted:
            msgid = line.msgid

            def reply() -> None:
                self.input.entry.delete(0, "end")
                self.input.entry.insert(0, f"/reply {msgid} ")
                self._refocus()

            menu.add_command(label=rtl.display_text(_("Reply")), command=reply)
            for emoji in REACTIONS:
                menu.add_command(
                    label=rtl.display_text(_("React {emoji}").format(emoji=emoji)),
                    command=lambda e=emoji: self.client.send_input(  # type: ignore[misc]
                        f"/react {msgid} {e}", self.view.shown
                    ),
                )
            if line.self_msg:
                menu.add_command(
                    label=rtl.display_text(_("Take back")),
                    command=lambda: self.client.send_input(f"/redact {msgid}", self.view.shown),
                )

        def copy() -> None:
            self.root.clipboard_clear()
            self.root.clipboard_append(line.text)

        menu.add_command(label=rtl.display_text(_("Copy the text")), command=copy)
        return menu

    def _line_menu(self, line: ChatLine, x: int, y: int) -> None:
        menu = self.line_menu(line)
        try:
            menu.tk_popup(x, y)
        finally:
            menu.grab_release()

    def _as_drawn(self, line: ChatLine) -> tuple[ChatLine, tuple[Reaction, ...]]:
        shown = self.view.line_as_shown(line)
        return shown, self.view.reactions_of(shown)

    def _show_typing(self) -> None:
        text = rtl.display_text(self.view.typing_line())
        self.typing.configure(text=text, anchor="e" if is_rtl() else "w")
        if text and not self.typing.winfo_ismapped():
            self.typing.pack(fill="x", before=self.input.bottom)
        elif not text and self.typing.winfo_ismapped():
            self.typing.pack_forget()

    def _show_channel_list(self) -> None:
        """/list answered: a window with the channels to browse (double-click or Enter joins)."""
        if self.channel_list is not None:
            self.channel_list.close()

        def join(channel: str) -> None:
            self.client.send_input(f"/join {channel}", self.view.shown)

        self.channel_list = ChannelListWindow(self.root, self.theme, self.view.channels(), join)

    def _state(self) -> str:
        return self.view.status.state if self.view.status else "disconnected"

    def _apply_direction(self) -> None:
        """Persian reads from the right: the user list goes left of the chat, text to the right."""
        rtl_ui = is_rtl()
        panes = [
            str(p) for p in self.panes.tk.splitlist(self.panes.tk.call(str(self.panes), "panes"))
        ]
        users_first = panes and panes[0] == str(self.users.frame)
        if rtl_ui != bool(users_first):
            self.panes.forget(self.users.frame)
            if rtl_ui:
                self.panes.insert(0, self.users.frame, weight=1)
            else:
                self.panes.add(self.users.frame, weight=1)
        self.topic.configure(anchor="e" if rtl_ui else "w")
        self.users.label.configure(anchor="e" if rtl_ui else "w")
        side: Literal["left", "right"] = "right" if rtl_ui else "left"
        self.status_dot.pack_configure(side=side, padx=(0, 8) if rtl_ui else (8, 0))
        self.status.pack_configure(side=side)
        self.input.relabel()

    def _ask_nick_again(self, event: NickRefused) -> None:
        """The server refused our nick while connecting: ask for another, saying why."""
        if self.nick_dialog is not None:
            with contextlib.suppress(tk.TclError):
                self.nick_dialog.show_problem(refusal_text(event))
            return

        def chosen(nick: str | None) -> None:
            self.nick_dialog = None
            if nick is None:
                self.close()
            else:
                self.client.choose_nick(nick)
                self._refocus()

        self.nick_dialog = NickDialog(
            self.root, self.theme, event.nick, refusal_text(event), chosen
        )

    def current_settings(self) -> settings.Settings:
        """What to remember: the nick, the server, the open conversations, theme and language."""
        kinds = [(name, tab.kind) for name, tab in self.log.tabs.items()]
        channels = tuple(name for name, kind in kinds if kind == "channel")
        return self.remembered.replace(
            nick=self.view.nick,
            host=self.host,
            port=self.port,
            tls=self.tls,
            theme=self.theme.palette.name,
            channels=channels or self.channels,
            queries=tuple(name for name, kind in kinds if kind == "query"),
        )

    def save_settings(self) -> None:
        if self.settings_file is None or self.closed:
            return
        try:
            settings.save(self.current_settings(), self.settings_file)
        except OSError as exc:
            text = _("Cannot save the settings: {error}").format(error=exc)
            self.log.add_line(ChatLine(STATUS_BUFFER, _now(), "", text, "error"))

    def _scroll(self, pages: int) -> None:
        tab = self.log.tabs.get(self.view.shown)
        if tab is not None:
            if pages < 0 and float(tab.text.yview()[0]) <= 0.0:
                self.client.load_older(tab.name)  # PageUp at the top: older history
            tab.text.yview_scroll(pages, "pages")

    def _open_query(self, nick: str) -> None:
        if nick != self.view.nick:
            self.client.send_input(f"/query {nick}", self.view.shown)
        self._refocus()

    def _on_middle_click(self, event: tk.Event[tk.Misc]) -> None:
        index = self.notebook.index_at(event.x, event.y)
        if index is None:
            return
        frame = self.notebook.paths()[index]
        tab = next((t for t in self.log.tabs.values() if str(t.frame) == frame), None)
        if tab is not None and tab.kind != "status":
            self.client.close_buffer(tab.name)

    def _close_shown(self) -> None:
        if self.view.shown != STATUS_BUFFER:
            self.client.close_buffer(self.view.shown)

    def _cycle_tab(self, step: int) -> str:
        paths = self.notebook.paths()
        if paths:
            current = paths.index(self.notebook.selected())
            self.notebook.show(self.root.nametowidget(paths[(current + step) % len(paths)]))
        return "break"

    def _refocus(self) -> None:
        if not self.closed:
            self.input.focus()

    # ------------------------------------------------------------------ for tests and scripts

    def text_of(self, buffer: str) -> str:
        """The text shown in a buffer's chat, one chat line per line (the rows of a wrapped
        line joined by a space, in the order they are drawn)."""
        return self.log.text_of(buffer)

    def rows_of(self, buffer: str) -> list[str]:
        """The Text lines of a buffer as drawn (a wrapped chat line takes several)."""
        return self.log.rows_of(buffer)

    def tab_labels(self) -> list[str]:
        return [self.notebook.label(path) for path in self.notebook.paths()]

    def user_rows(self) -> list[str]:
        return self.users.rows()

    def status_text(self) -> str:
        return str(self.status.cget("text"))
