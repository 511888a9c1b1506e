"""Fonts, colours and styles of the desktop client, in one place.

`Theme.install(root)` creates the named fonts and the ttk style; `configure_chat_tags(text)` gives a
chat Text widget the tags `socketchat.client.gui.render` refers to. The colours are a `Palette`,
`LIGHT` or `DARK` (``--theme``, ``/theme``, the settings file); `Theme.use` switches while
running, and the window then gives its plain-Tk widgets (chat texts, user list) the new colours.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from tkinter import ttk

from socketchat.client.helpers import NICK_COLORS, NICK_COLORS_DARK

__all__ = ["DARK", "LIGHT", "Palette", "Theme", "configure_chat_tags", "palette_named"]

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


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the desktop client draws with."""

    name: str
    background: str
    chat_background: str
    text: str
    muted: str
    accent: str
    error: str
    border: str
    highlight_bg: str
    select_bg: str
    status_bg: str
    tab_bg: str
    notice: str
    history: str
    marker: str

    @property
    def dark(self) -> bool:
        return self.name == "dark"

    def state_color(self, state: str) -> str:
        return STATE_COLORS.get(state, self.muted)


LIGHT = Palette(
    "light",
    background=BACKGROUND,
    chat_background=CHAT_BACKGROUND,
    text=TEXT,
    muted=MUTED,
    accent=ACCENT,
    error=ERROR,
    border=BORDER,
    highlight_bg=HIGHLIGHT_BG,
    select_bg=SELECT_BG,
    status_bg="#e8eaed",
    tab_bg="#e4e7eb",
    notice="#8250df",
    history="#57606a",
    marker=ERROR,
)
DARK = Palette(
    "dark",
    background="#1b1f24",
    chat_background="#0d1117",
    text="#e6edf3",
    muted="#8b949e",
    accent="#58a6ff",
    error="#ff7b72",
    border="#30363d",
    highlight_bg="#3a3000",
    select_bg="#1f3a5f",
    status_bg="#161b22",
    tab_bg="#21262d",
    notice="#d2a8ff",
    history="#8b949e",
    marker="#ff7b72",
)


def palette_named(name: str | None) -> Palette:
    return DARK if name == "dark" else LIGHT


def _family(root: tk.Misc, wanted: tuple[str, ...], fallback: str) -> str:
    available = {f.lower(): f for f in tkfont.families(root)}
    for name in wanted:
        if name.lower() in available:
            return available[name.lower()]
    return tkfont.nametofont(fallback, root).actual("family")


@dataclass
class Theme:
    """The fonts, and the palette in use (`use` changes it)."""

    ui: tkfont.Font
    ui_bold: tkfont.Font
    chat: tkfont.Font
    chat_bold: tkfont.Font
    chat_italic: tkfont.Font
    small: tkfont.Font
    palette: Palette = LIGHT

    @classmethod
    def install(cls, root: tk.Tk, size: int = 11, palette: Palette = LIGHT) -> Theme:
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
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        theme.use(root, palette)
        return theme

    def use(self, root: tk.Tk, palette: Palette) -> None:
        """Colour the ttk styles (and the root) with `palette`."""
        self.palette = p = palette
        root.configure(background=p.background)
        style = ttk.Style(root)
        style.configure(".", background=p.background, foreground=p.text, font=self.ui)
        style.configure(".", fieldbackground=p.chat_background, insertcolor=p.text)
        style.configure(".", bordercolor=p.border, lightcolor=p.background)
        style.configure(".", darkcolor=p.background, troughcolor=p.background)
        style.configure("TNotebook", background=p.background, borderwidth=0)
        style.configure("TNotebook", tabmargins=(6, 6, 6, 0))
        style.configure("TNotebook.Tab", padding=(12, 5), font=self.ui)
        style.map(
            "TNotebook.Tab",
            background=[("selected", p.chat_background), ("!selected", p.tab_bg)],
            foreground=[("selected", p.text), ("!selected", p.muted)],
        )
        style.configure("TEntry", padding=(6, 5), fieldbackground=p.chat_background)
        style.configure("TEntry", foreground=p.text)
        style.configure("TButton", padding=(12, 4), background=p.tab_bg, foreground=p.text)
        style.map("TButton", background=[("active", p.select_bg)])
        style.configure("Topic.TLabel", foreground=p.muted, padding=(10, 6, 10, 0))
        style.configure("Side.TLabel", font=self.ui_bold, padding=(2, 6, 2, 4))
        style.configure("Preview.TLabel", foreground=p.text, padding=(10, 4, 10, 0))
        style.configure("Muted.TLabel", foreground=p.muted)
        style.configure("Error.TLabel", foreground=p.error)
        style.configure("Status.TFrame", background=p.status_bg)
        style.configure("Status.TLabel", background=p.status_bg, font=self.small, padding=(8, 3))
        style.configure("Treeview", background=p.chat_background, fieldbackground=p.chat_background)
        style.configure("Treeview", foreground=p.text)
        style.map("Treeview", background=[("selected", p.select_bg)])
        style.map("Treeview", foreground=[("selected", p.text)])


def configure_chat_tags(text: tk.Text, theme: Theme) -> None:
    """The tags `render.line_segments` uses, plus one colour tag per nick colour."""
    p = theme.palette
    text.configure(
        font=theme.chat,
        background=p.chat_background,
        foreground=p.text,
        insertbackground=p.text,
        selectbackground=p.select_bg,
        selectforeground=p.text,
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
    text.tag_configure("time", foreground=p.muted)
    text.tag_configure("nick", font=theme.chat_bold)
    text.tag_configure("self", underline=False)
    text.tag_configure("action", font=theme.chat_italic)
    text.tag_configure("notice", foreground=p.notice)
    text.tag_configure("event", foreground=p.muted)
    text.tag_configure("run", foreground=p.muted)
    text.tag_configure("marker", foreground=p.marker, justify="center", font=theme.chat_bold)
    text.tag_configure("info", foreground=p.accent)
    text.tag_configure("error", foreground=p.error, font=theme.chat_bold)
    text.tag_configure("highlight", background=p.highlight_bg)
    text.tag_configure("history", foreground=p.history)
    text.tag_configure("quote", foreground=p.muted, font=theme.chat_italic)
    text.tag_configure("removed", foreground=p.muted, font=theme.chat_italic)
    text.tag_configure("reactions", foreground=p.accent)
    text.tag_configure("link", foreground=p.accent, underline=True)
    for index, color in enumerate(NICK_COLORS_DARK if p.dark else NICK_COLORS):
        text.tag_configure(f"nick{index}", foreground=color)
    text.tag_raise("history")
    for index in range(len(NICK_COLORS)):
        text.tag_raise(f"nick{index}")
