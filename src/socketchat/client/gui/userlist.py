"""The user list of the desktop client: the shown tab's members, a double-click opens a query.

It draws what `ViewState.members_shown` says (a channel's members by rank, a private tab's peer
and the user; away members greyed) and knows nothing of the core.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from socketchat.client import rtl
from socketchat.client.events import BufferKind, Member
from socketchat.client.gui.render import member_row
from socketchat.client.gui.theme import Theme
from socketchat.client.helpers import nick_color
from socketchat.client.i18n import _

__all__ = ["UserList"]


class UserList:
    """A labelled Listbox in `parent`; `on_open(nick)` when a row is double-clicked (or Return)."""

    def __init__(self, parent: tk.Misc, theme: Theme, on_open: Callable[[str], None]) -> None:
        self.on_open = on_open
        self.theme = theme
        self.frame = ttk.Frame(parent, padding=(8, 0, 0, 0))
        self.label = ttk.Label(self.frame, text=rtl.display_text(_("Users")), style="Side.TLabel")
        self.label.pack(fill="x")
        self.box = box = tk.Frame(self.frame, highlightthickness=1)
        box.pack(fill="both", expand=True)
        self.listbox = tk.Listbox(
            box,
            width=18,
            activestyle="none",
            exportselection=False,
            font=theme.ui,
            borderwidth=0,
            highlightthickness=0,
        )
        self.restyle()
        scroll = ttk.Scrollbar(box, orient="vertical", command=self.listbox.yview)
        self.listbox.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.listbox.pack(side="left", fill="both", expand=True, padx=(8, 0), pady=6)
        self.listbox.bind("<Double-Button-1>", self._activated)
        self.listbox.bind("<Return>", self._activated)
        self.shown: tuple[Member, ...] = ()
        self._kind: BufferKind | None = None

    def restyle(self) -> None:
        """The theme's colours (again, after /theme)."""
        p = self.theme.palette
        self.box.configure(
            background=p.chat_background, highlightbackground=p.border, highlightcolor=p.border
        )
        self.listbox.configure(
            background=p.chat_background,
            foreground=p.text,
            selectbackground=p.select_bg,
            selectforeground=p.text,
        )
        if self.listbox.size():
            self.show(self.shown, self._kind)

    def show(self, members: tuple[Member, ...], kind: BufferKind | None) -> None:
        """Draw `members` (of a tab of `kind`: only a channel shows the count)."""
        self.listbox.delete(0, "end")
        for index, member in enumerate(members):
            self.listbox.insert("end", member_row(member))
            p = self.theme.palette
            color = p.muted if member.away else nick_color(member.nick, dark=p.dark)
            self.listbox.itemconfigure(index, foreground=color)
        count = f" ({len(members)})" if kind == "channel" else ""
        self.label.configure(text=rtl.display_text(_("Users") + count))
        self.shown = members
        self._kind = kind

    def rows(self) -> list[str]:
        return [str(row) for row in self.listbox.get(0, "end")]

    def _activated(self, _event: object) -> str:
        selection = self.listbox.tk.splitlist(
            self.listbox.tk.call(str(self.listbox), "curselection")
        )
        if selection and int(selection[0]) < len(self.shown):
            self.on_open(self.shown[int(selection[0])].nick)
        return "break"
