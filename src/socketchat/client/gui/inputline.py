"""The input line of the desktop client: the entry, its Send button, Up/Down recall of what was
typed, Tab completion of nicks, and a preview of right-to-left text in reading order.

Tk's Entry can only show its text in storage order (no bidi, no shaping), and drawing it
reordered in the entry itself would make the cursor and selection jump about, so the reordered,
joined text is shown in a line of its own, right-aligned, above the entry (`preview`).

Shift+Enter puts a line break in the message, and a paste of several lines keeps them all: the
entry shows each break as ``⏎`` (an Entry holds one line), the preview shows the lines, and the
message goes out as one (draft/multiline where the server has it). `on_change(draft)` is told
every change (typing notifications).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Literal

from socketchat.client import rtl
from socketchat.client.gui.theme import Theme
from socketchat.client.helpers import NickCompleter
from socketchat.client.i18n import _, is_rtl
from socketchat.client.inputhistory import InputHistory

__all__ = ["LINE_BREAK", "InputLine"]

LINE_BREAK = "⏎"  # a line break in the entry (an Entry holds one line)


class InputLine:
    """The entry line in `bottom` (and the preview above it, in `outer`).

    `on_submit(text)`: a line to send; `candidates()`: the nicks Tab completes;
    `on_page(pages)`: PageUp/PageDown.
    """

    def __init__(
        self,
        root: tk.Tk,
        outer: ttk.Frame,
        theme: Theme,
        on_submit: Callable[[str], None],
        candidates: Callable[[], list[str]],
        on_page: Callable[[int], None],
        on_change: Callable[[str], None] = lambda _draft: None,
    ) -> None:
        self.on_submit = on_submit
        self.on_change = on_change
        self.candidates = candidates
        self.on_page = on_page
        self.completer = NickCompleter()
        self.history = InputHistory()
        self.bottom = ttk.Frame(outer, padding=(8, 8))
        self.bottom.pack(fill="x")
        self.preview = ttk.Label(outer, text="", style="Preview.TLabel", anchor="e")
        self.text = tk.StringVar(root)
        self.text.trace_add("write", lambda *_a: self._update_preview())
        self.entry = ttk.Entry(self.bottom, font=theme.ui, textvariable=self.text)
        self.entry.pack(side="left", fill="x", expand=True)
        self.send_button = ttk.Button(
            self.bottom, text=rtl.display_text(_("Send")), command=self.submit
        )
        self.send_button.pack(side="left", padx=(8, 0))
        entry = self.entry
        entry.bind("<Shift-Return>", self._line_break)
        entry.bind("<<Paste>>", self._on_paste)
        entry.bind("<Return>", self._on_return)
        entry.bind("<KP_Enter>", self._on_return)
        entry.bind("<Tab>", self._on_tab_key)
        entry.bind("<Up>", lambda _e: self._recall(self.history.older))
        entry.bind("<Down>", lambda _e: self._recall(self.history.newer))
        entry.bind("<Prior>", lambda _e: self._page(-1))
        entry.bind("<Next>", lambda _e: self._page(+1))
        entry.bind("<KeyPress>", self._on_other_key, add=True)

    def relabel(self) -> None:
        """The button's text in the interface language, on the side the language reads from."""
        self.send_button.configure(text=rtl.display_text(_("Send")))
        side: Literal["left", "right"] = "right" if is_rtl() else "left"
        self.entry.pack_configure(side=side)
        self.send_button.pack_configure(side=side, padx=(0, 8) if is_rtl() else (8, 0))

    def focus(self) -> None:
        self.entry.focus_set()

    def draft(self) -> str:
        """The message as it is sent: ``⏎`` stands for a line break."""
        return self.entry.get().replace(LINE_BREAK, "\n")

    def _line_break(self, _event: object) -> str:
        self.entry.insert("insert", LINE_BREAK)
        return "break"

    def _on_paste(self, _event: object) -> str:
        try:
            text = str(self.entry.clipboard_get())
        except tk.TclError:
            return "break"
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        if self.entry.selection_present():
            self.entry.delete("sel.first", "sel.last")
        self.entry.insert("insert", text.replace("\n", LINE_BREAK))
        return "break"

    def submit(self) -> None:
        text = self.draft()
        if not text.strip():
            return
        self.entry.delete(0, "end")
        self.history.add(text)
        self.on_submit(text)

    def preview_text(self) -> str:
        """What the preview line above the entry shows ("" when hidden)."""
        return str(self.preview.cget("text")) if self.preview.winfo_manager() else ""

    def _update_preview(self) -> None:
        text = self.draft()
        self.on_change(text)
        if rtl.has_rtl(text) or "\n" in text:
            lines = text.split("\n")[-6:]
            self.preview.configure(text="\n".join(rtl.display_text(line) for line in lines))
            if not self.preview.winfo_ismapped():
                self.preview.pack(fill="x", padx=8, before=self.bottom)
        elif self.preview.winfo_ismapped() or str(self.preview.cget("text")):
            self.preview.configure(text="")
            self.preview.pack_forget()

    def _on_return(self, _event: object) -> str:
        self.submit()
        return "break"

    def _on_tab_key(self, _event: object) -> str:
        text = self.entry.get()
        cursor = self.entry.index("insert")
        new, position = self.completer.complete(text, cursor, self.candidates())
        if new != text:
            self.entry.delete(0, "end")
            self.entry.insert(0, new)
        self.entry.icursor(position)
        return "break"

    def _on_other_key(self, event: tk.Event[tk.Misc]) -> None:
        if event.keysym not in ("Tab", "Shift_L", "Shift_R"):
            self.completer.reset()

    def _recall(self, step: Callable[[str], str]) -> str:
        text = step(self.entry.get())
        self.entry.delete(0, "end")
        self.entry.insert(0, text)
        return "break"

    def _page(self, pages: int) -> str:
        self.on_page(pages)
        return "break"
