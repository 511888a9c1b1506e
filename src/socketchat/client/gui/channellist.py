"""/list in the desktop client: the server's channels in a window of their own, to browse.

A ttk.Treeview with the channel, how many are in it and its topic (shaped and in reading
order), the largest first; typing in the filter box narrows it, a click on a heading sorts by
that column, and a double-click (or Enter) joins the channel. It draws the core's `ChannelList`
(kept by the view state) and nothing else.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from socketchat.client import rtl
from socketchat.client.events import ChannelEntry
from socketchat.client.formatting import strip_formatting
from socketchat.client.gui.theme import Theme
from socketchat.client.i18n import _, is_rtl, ngettext

__all__ = ["ChannelListWindow"]

COLUMNS = ("channel", "people", "topic")


class ChannelListWindow:
    """The channel list; `on_join(channel)` when one is chosen."""

    def __init__(
        self,
        root: tk.Tk,
        theme: Theme,
        entries: tuple[ChannelEntry, ...],
        on_join: Callable[[str], None],
    ) -> None:
        self.entries = entries
        self.on_join = on_join
        self.sort_by = "people"
        self.top = top = tk.Toplevel(root)
        count = ngettext("{count} channel", "{count} channels", len(entries))
        top.title(rtl.display_text("socketchat — " + count.format(count=len(entries))))
        top.geometry("640x420")
        top.configure(background=theme.palette.background)
        top.bind("<Escape>", lambda _e: self.close())
        frame = ttk.Frame(top, padding=8)
        frame.pack(fill="both", expand=True)
        bar = ttk.Frame(frame)
        bar.pack(fill="x", pady=(0, 6))
        side: Literal["left", "right"] = "right" if is_rtl() else "left"
        ttk.Label(bar, text=rtl.display_text(_("filter"))).pack(side=side, padx=4)
        self.filter = tk.StringVar(top)
        self.filter.trace_add("write", lambda *_a: self.fill())
        self.filter_entry = ttk.Entry(bar, textvariable=self.filter)
        self.filter_entry.pack(side=side, fill="x", expand=True)
        self.tree = ttk.Treeview(frame, columns=COLUMNS, show="headings", selectmode="browse")
        names = {"channel": _("channel"), "people": _("people"), "topic": _("topic")}
        for column in COLUMNS:
            self.tree.heading(
                column,
                text=rtl.display_text(names[column]),
                command=lambda c=column: self.sort(c),  # type: ignore[misc]
            )
        anchor: Literal["e", "w"] = "e" if is_rtl() else "w"
        self.tree.column("channel", width=160, anchor=anchor, stretch=False)
        self.tree.column("people", width=70, anchor="center", stretch=False)
        self.tree.column("topic", width=380, anchor=anchor)
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        scroll.pack(side="left" if is_rtl() else "right", fill="y")
        self.tree.pack(fill="both", expand=True)
        self.tree.bind("<Double-Button-1>", lambda _e: self.join_selected())
        self.tree.bind("<Return>", lambda _e: self.join_selected())
        hint = _("Enter joins, Escape closes, type to filter")
        ttk.Label(frame, text=rtl.display_text(hint), style="Muted.TLabel").pack(
            fill="x", pady=(6, 0)
        )
        self.fill()
        self.tree.focus_set()

    def fill(self) -> None:
        """The rows that match the filter, in the chosen order."""
        self.tree.delete(*self.tree.get_children())
        needle = self.filter.get().casefold()
        if self.sort_by == "people":
            order = sorted(self.entries, key=lambda e: (-e.users, e.name.casefold()))
        elif self.sort_by == "topic":
            order = sorted(self.entries, key=lambda e: e.topic.casefold())
        else:
            order = sorted(self.entries, key=lambda e: e.name.casefold())
        for entry in order:
            if needle and needle not in (entry.name + " " + entry.topic).casefold():
                continue
            topic = rtl.display_text(strip_formatting(entry.topic))
            self.tree.insert(
                "", "end", iid=entry.name, values=(rtl.display_text(entry.name), entry.users, topic)
            )
        children = self.tree.get_children()
        if children:
            self.tree.selection_set(children[0])
            self.tree.focus(children[0])

    def sort(self, column: str) -> None:
        self.sort_by = column
        self.fill()

    def rows(self) -> list[tuple[str, ...]]:
        """The rows as shown (for tests)."""
        return [
            tuple(str(v) for v in self.tree.item(iid, "values")) for iid in self.tree.get_children()
        ]

    def join_selected(self) -> None:
        selection = self.tree.selection()
        if selection:
            self.on_join(str(selection[0]))
            self.close()

    def close(self) -> None:
        try:
            self.top.destroy()
        except tk.TclError:
            pass
