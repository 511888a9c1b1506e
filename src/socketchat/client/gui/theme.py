"""Fonts, colours and styles of the desktop client, in one place.

`Theme.install(root)` creates the named fonts and the ttk style; `configure_chat_tags(text)` gives a
chat Text widget the tags `socketchat.client.gui.render` refers to.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from tkinter import ttk

from socketchat.client.helpers import NICK_COLORS

__all__ = ["Theme", "configure_chat_tags"]

_SANS = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Helvetica", "Arial")
_MONO = ("DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "Courier New", "Courier")

BACKGROUND = "#f4f5f7"
CHAT_BACKGROUND = "#ffffff"
TEXT = "#1f2328"
MUTED = "#6e7781"
ACCENT = "#0969da"
ERROR = "#cf222e"
BORDER = "#c7ccd1"
HIGHLIGHT_BG = "#fff4c2"
SELECT_BG = "#dbe9ff"
STATE_COLORS = {
    "connected": "#1a7f37",
    "registering": "#9a6700",
    "connecting": "#9a6700",
    "reconnecting": "#bc4c00",
    "disconnected": ERROR,
}


def _family(root: tk.Misc, wanted: tuple[str, ...], fallback: str) -> str:
    available = {f.lower(): f for f in tkfont.families(root)}
    for name in wanted:
        if name.lower() in available:
            return available[name.lower()]
    return tkfont.nametofont(fallback, root).actual("family")


@dataclass(frozen=True)
class Theme:
    ui: tkfont.Font
    ui_bold: tkfont.Font
    chat: tkfont.Font
    chat_bold: tkfont.Font
    chat_italic: tkfont.Font
    small: tkfont.Font

    @classmethod
    def install(cls, root: tk.Tk, size: int = 11) -> Theme:
        sans = _family(root, _SANS, "TkDefaultFont")
        mono = _family(root, _MONO, "TkFixedFont")
        theme = cls(
            ui=tkfont.Font(root, family=sans, size=size),
            ui_bold=tkfont.Font(root, family=sans, size=size, weight="bold"),
            chat=tkfont.Font(root, family=mono, size=size),
            chat_bold=tkfont.Font(root, family=mono, size=size, weight="bold"),
            chat_italic=tkfont.Font(root, family=mono, size=size, slant="italic"),
            small=tkfont.Font(root, family=sans, size=size - 1),
        )
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
            tkfont.nametofont(name, root).configure(family=sans, size=size)
        root.configure(background=BACKGROUND)
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure(".", background=BACKGROUND, foreground=TEXT, font=theme.ui)
        style.configure("TNotebook", background=BACKGROUND, borderwidth=0, tabmargins=(6, 6, 6, 0))
        style.configure("TNotebook.Tab", padding=(12, 5), font=theme.ui)
        style.map(
            "TNotebook.Tab",
            background=[("selected", CHAT_BACKGROUND), ("!selected", "#e4e7eb")],
            foreground=[("selected", TEXT), ("!selected", MUTED)],
        )
        style.configure("TEntry", padding=(6, 5), fieldbackground=CHAT_BACKGROUND)
        style.configure("TButton", padding=(12, 4))
        style.configure("Topic.TLabel", foreground=MUTED, padding=(10, 6, 10, 0))
        style.configure("Side.TLabel", font=theme.ui_bold, padding=(2, 6, 2, 4))
        style.configure("Preview.TLabel", foreground=TEXT, padding=(10, 4, 10, 0))
        style.configure("Status.TFrame", background="#e8eaed")
        style.configure("Status.TLabel", background="#e8eaed", font=theme.small, padding=(8, 3))
        return theme


def configure_chat_tags(text: tk.Text, theme: Theme) -> None:
    """The tags `render.line_segments` uses, plus one colour tag per nick colour."""
    text.configure(
        font=theme.chat,
        background=CHAT_BACKGROUND,
        foreground=TEXT,
        selectbackground=SELECT_BG,
        padx=10,
        pady=8,
        spacing1=2,
        spacing3=2,
        wrap="word",
        borderwidth=0,
        highlightthickness=0,
    )
    # Wrapped lines continue under the text, not under the timestamp.
    text.tag_configure("line", lmargin2=theme.chat.measure("00:00 "))
    text.tag_configure("time", foreground=MUTED)
    text.tag_configure("nick", font=theme.chat_bold)
    text.tag_configure("self", underline=False)
    text.tag_configure("action", font=theme.chat_italic)
    text.tag_configure("notice", foreground="#8250df")
    text.tag_configure("event", foreground=MUTED)
    text.tag_configure("info", foreground=ACCENT)
    text.tag_configure("error", foreground=ERROR, font=theme.chat_bold)
    text.tag_configure("highlight", background=HIGHLIGHT_BG)
    text.tag_configure("history", foreground="#57606a")
    for index, color in enumerate(NICK_COLORS):
        text.tag_configure(f"nick{index}", foreground=color)
    text.tag_raise("history")
    for index in range(len(NICK_COLORS)):
        text.tag_raise(f"nick{index}")
