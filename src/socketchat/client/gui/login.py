"""The dialog that asks for a nick (and the server) before connecting, like the original did.

An optional password logs in to the account named like the nick (SASL PLAIN while connecting);
register one first with ``/register <password>`` in the chat.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk

from socketchat.client.gui.theme import ERROR, MUTED, Theme
from socketchat.irc.casemap import valid_nick

__all__ = ["LoginDialog", "LoginInfo", "check_login"]

MAX_NICK = 30


@dataclass(frozen=True, slots=True)
class LoginInfo:
    nick: str
    host: str
    port: int
    password: str = ""  # account password: log in as the nick's account when set


def check_login(nick: str, host: str, port: str, password: str = "") -> LoginInfo | str:
    """The dialog's fields as a `LoginInfo`, or what is wrong with them."""
    nick, host, port = nick.strip(), host.strip(), port.strip()
    if not valid_nick(nick, MAX_NICK):
        return "Nick: a letter first, then letters, digits or _-[]{}|^` (at most 30)"
    if not host or any(c.isspace() for c in host):
        return "Server: a host name or address"
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return "Port: a number from 1 to 65535"
    if password and (password != password.strip() or " " in password):
        return "Password: no spaces"
    return LoginInfo(nick, host, int(port), password)


class LoginDialog:
    """A small window with Nick / Server / Port; `result` is set when the user presses Connect.

    `show()` waits (the Tk event loop keeps running) until the dialog is closed and returns the
    result, or None when the user cancelled.
    """

    def __init__(self, root: tk.Tk, theme: Theme, nick: str, host: str, port: int) -> None:
        self.root = root
        self.result: LoginInfo | None = None
        self.top = top = tk.Toplevel(root)
        top.title("socketchat — sign in")
        top.resizable(False, False)
        top.protocol("WM_DELETE_WINDOW", self.cancel)
        frame = ttk.Frame(top, padding=(20, 16))
        frame.pack(fill="both", expand=True)
        ttk.Label(frame, text="Join the chat", font=theme.ui_bold).grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 10)
        )
        self.nick = self._field(frame, 1, "Nick", nick)
        self.host = self._field(frame, 2, "Server", host)
        self.port = self._field(frame, 3, "Port", str(port))
        self.password = self._field(frame, 4, "Password", "")
        self.password.configure(show="•")
        ttk.Label(frame, text="optional: log in to your account", foreground=MUTED).grid(
            row=5, column=1, sticky="w"
        )
        self.error = ttk.Label(frame, text="", foreground=ERROR, wraplength=320)
        self.error.grid(row=6, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(frame)
        buttons.grid(row=7, column=0, columnspan=2, sticky="e", pady=(12, 0))
        ttk.Button(buttons, text="Cancel", command=self.cancel).pack(side="right")
        self.connect_button = ttk.Button(buttons, text="Connect", command=self.submit)
        self.connect_button.pack(side="right", padx=(0, 8))
        top.bind("<Return>", lambda _e: self.submit())
        top.bind("<Escape>", lambda _e: self.cancel())
        self.nick.focus_set()
        self.nick.select_range(0, "end")

    @staticmethod
    def _field(frame: ttk.Frame, row: int, label: str, value: str) -> ttk.Entry:
        ttk.Label(frame, text=label).grid(row=row, column=0, sticky="w", padx=(0, 12), pady=3)
        entry = ttk.Entry(frame, width=28)
        entry.insert(0, value)
        entry.grid(row=row, column=1, sticky="ew", pady=3)
        return entry

    def submit(self) -> None:
        checked = check_login(
            self.nick.get(), self.host.get(), self.port.get(), self.password.get()
        )
        if isinstance(checked, str):
            self.error.configure(text=checked)
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
