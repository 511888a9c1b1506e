"""The dialogs that ask for a nick: `LoginDialog` (nick, server, port, password) before
connecting, like the original did, and `NickDialog` when the server refused the nick while
connecting (taken, or not allowed), saying why and asking again.

An optional password logs in to the account named like the nick (SASL PLAIN while connecting);
register one first with ``/register <password>`` in the chat. Both dialogs say what a nick may
be (Persian nicks too: `nickrules`) and show a right-to-left nick shaped and in reading order
under its field, since Tk's Entry draws it in storage order.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk

from socketchat.client import rtl
from socketchat.client.formatting import Span
from socketchat.client.gui.theme import Theme
from socketchat.client.i18n import _, is_rtl
from socketchat.client.nickrules import MAX_NICK, check_nick, nick_rules

__all__ = ["MAX_NICK", "LoginDialog", "LoginInfo", "NickDialog", "check_login"]


@dataclass(frozen=True, slots=True)
class LoginInfo:
    nick: str
    host: str
    port: int
    password: str = ""  # account password: log in as the nick's account when set


def check_login(nick: str, host: str, port: str, password: str = "") -> LoginInfo | str:
    """The dialog's fields as a `LoginInfo`, or what is wrong with them."""
    nick, host, port = nick.strip(), host.strip(), port.strip()
    problem = check_nick(nick)
    if problem:
        return _("Nick: {problem}").format(problem=problem)
    if not host or any(c.isspace() for c in host):
        return _("Server: a host name or address")
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return _("Port: a number from 1 to 65535")
    if password and (password != password.strip() or " " in password):
        return _("Password: no spaces")
    return LoginInfo(nick, host, int(port), password)


def _shown(text: str) -> str:
    return rtl.display_text(text)


WRAP = 380  # pixels: the width of the dialogs' sentences


def _wrapped(text: str, font: tkfont.Font, width: int = WRAP) -> str:
    """`text` wrapped to `width` here, then each row reordered: Tk's own wrapping of a reordered
    right-to-left sentence would put its end on the first row."""
    rows = rtl.display_rows([Span(text)], width, font.measure)
    return "\n".join("".join(span.text for span in row) for row in rows)


def _columns() -> tuple[int, int]:
    """The grid columns of a field's label and its entry: mirrored in Persian."""
    return (1, 0) if is_rtl() else (0, 1)


class _NickField:
    """A nick entry with its preview (reading order) and the rules under it."""

    def __init__(self, frame: ttk.Frame, row: int, value: str, font: tkfont.Font) -> None:
        _label, column = _columns()
        self.entry = ttk.Entry(frame, width=28)
        self.entry.insert(0, value)
        self.entry.grid(row=row, column=column, sticky="ew", pady=3)
        self.preview = ttk.Label(frame, text="", anchor="e")
        self.preview.grid(row=row + 1, column=column, sticky="ew")
        self.rules = ttk.Label(frame, text=_wrapped(nick_rules(), font), style="Muted.TLabel")
        self.rules.configure(justify="right" if is_rtl() else "left")
        self.rules.grid(row=row + 2, column=0, columnspan=2, sticky="ew", pady=(0, 6))
        self.entry.bind("<KeyRelease>", lambda _e: self.update_preview(), add=True)
        self.update_preview()

    def update_preview(self) -> None:
        value = self.entry.get()
        self.preview.configure(text=_shown(value) if rtl.has_rtl(value) else "")

    def get(self) -> str:
        return self.entry.get()


class LoginDialog:
    """A small window with Nick / Server / Port; `result` is set when the user presses Connect.

    `show()` waits (the Tk event loop keeps running) until the dialog is closed and returns the
    result, or None when the user cancelled.
    """

    def __init__(self, root: tk.Tk, theme: Theme, nick: str, host: str, port: int) -> None:
        self.root = root
        self.result: LoginInfo | None = None
        self.top = top = tk.Toplevel(root)
        top.title(_shown(_("socketchat — sign in")))
        top.resizable(False, False)
        top.configure(background=theme.palette.background)
        top.protocol("WM_DELETE_WINDOW", self.cancel)
        frame = ttk.Frame(top, padding=(20, 16))
        frame.pack(fill="both", expand=True)
        side = "e" if is_rtl() else "w"
        ttk.Label(frame, text=_shown(_("Join the chat")), font=theme.ui_bold).grid(
            row=0, column=0, columnspan=2, sticky=side, pady=(0, 10)
        )
        self._label(frame, 1, _("Nick"))
        self.nick_field = _NickField(frame, 1, nick, theme.ui)
        self.font = theme.ui
        self.nick = self.nick_field.entry
        self.host = self._field(frame, 4, _("Server"), host)
        self.port = self._field(frame, 5, _("Port"), str(port))
        self.password = self._field(frame, 6, _("Password"), "")
        self.password.configure(show="•")
        ttk.Label(
            frame, text=_shown(_("optional: log in to your account")), style="Muted.TLabel"
        ).grid(row=7, column=_columns()[1], sticky=side)
        self.error = ttk.Label(frame, text="", style="Error.TLabel")
        self.error.grid(row=8, column=0, columnspan=2, sticky=side, pady=(6, 0))
        buttons = ttk.Frame(frame)
        buttons.grid(row=9, column=0, columnspan=2, sticky="w" if is_rtl() else "e", pady=(12, 0))
        ttk.Button(buttons, text=_shown(_("Cancel")), command=self.cancel).pack(side="right")
        self.connect_button = ttk.Button(buttons, text=_shown(_("Connect")), command=self.submit)
        self.connect_button.pack(side="right", padx=(0, 8))
        top.bind("<Return>", lambda _e: self.submit())
        top.bind("<Escape>", lambda _e: self.cancel())
        self.nick.focus_set()
        self.nick.select_range(0, "end")

    @staticmethod
    def _label(frame: ttk.Frame, row: int, label: str) -> None:
        column, _entry = _columns()
        ttk.Label(frame, text=_shown(label)).grid(
            row=row, column=column, sticky="e" if is_rtl() else "w", padx=12, pady=3
        )

    def _field(self, frame: ttk.Frame, row: int, label: str, value: str) -> ttk.Entry:
        self._label(frame, row, label)
        entry = ttk.Entry(frame, width=28)
        entry.insert(0, value)
        entry.grid(row=row, column=_columns()[1], sticky="ew", pady=3)
        return entry

    def submit(self) -> None:
        checked = check_login(
            self.nick.get(), self.host.get(), self.port.get(), self.password.get()
        )
        if isinstance(checked, str):
            self.error.configure(text=_wrapped(checked, self.font))
            return
        self.result = checked
        self.top.destroy()

    def cancel(self) -> None:
        self.result = None
        self.top.destroy()

    def show(self) -> LoginInfo | None:
        self.top.wait_visibility()
        self.top.grab_set()
        self.nick.focus_force()
        self.root.wait_window(self.top)
        return self.result


class NickDialog:
    """The server refused a nick while connecting: `problem` says why; `on_done(nick)` gets the
    new choice, or None when the user gives up. Not modal: the chat window keeps drawing (the
    server waits for the answer until its registration timeout, then the client reconnects and
    asks again)."""

    def __init__(
        self,
        root: tk.Tk,
        theme: Theme,
        nick: str,
        problem: str,
        on_done: Callable[[str | None], None],
    ) -> None:
        self.on_done = on_done
        self.top = top = tk.Toplevel(root)
        top.title(_shown(_("socketchat — choose another nickname")))
        top.transient(root)
        top.resizable(False, False)
        top.configure(background=theme.palette.background)
        top.protocol("WM_DELETE_WINDOW", self.cancel)
        frame = ttk.Frame(top, padding=(20, 16))
        frame.pack(fill="both", expand=True)
        side = "e" if is_rtl() else "w"
        self.font = theme.ui
        self.problem = ttk.Label(frame, text=_wrapped(problem, self.font), style="Error.TLabel")
        self.problem.configure(justify="right" if is_rtl() else "left")
        self.problem.grid(row=0, column=0, columnspan=2, sticky=side, pady=(0, 10))
        ttk.Label(frame, text=_shown(_("Nick"))).grid(
            row=1, column=_columns()[0], sticky=side, padx=12
        )
        self.field = _NickField(frame, 1, nick, theme.ui)
        buttons = ttk.Frame(frame)
        buttons.grid(row=4, column=0, columnspan=2, sticky="w" if is_rtl() else "e", pady=(8, 0))
        ttk.Button(buttons, text=_shown(_("Leave")), command=self.cancel).pack(side="right")
        self.ok = ttk.Button(buttons, text=_shown(_("Try this nick")), command=self.submit)
        self.ok.pack(side="right", padx=(0, 8))
        top.bind("<Return>", lambda _e: self.submit())
        top.bind("<Escape>", lambda _e: self.cancel())
        self.field.entry.focus_set()
        self.field.entry.select_range(0, "end")

    def show_problem(self, problem: str) -> None:
        self.problem.configure(text=_wrapped(problem, self.font))

    def submit(self) -> None:
        nick = self.field.get().strip()
        problem = check_nick(nick)
        if problem:
            self.show_problem(problem)
            return
        self.top.destroy()
        self.on_done(nick)

    def cancel(self) -> None:
        self.top.destroy()
        self.on_done(None)
