"""The window's urgency hint: "this window wants you" (a blinking taskbar entry).

Tk 8.6 has no command for it (`wm attributes` knows -alpha, -topmost, -zoomed, -fullscreen and
-type on X11; Tk 9 adds nothing here either), so on X11 this sets the ICCCM ``UrgencyHint``
flag of the ``WM_HINTS`` property of the toplevel's window itself, through libX11 with ctypes
(on a connection of its own: the flag belongs to the window, not to Tk's connection). Window
managers and taskbars show it (GNOME, KDE, Xfce, i3...). The client clears it when the window
gets the focus (ICCCM: the client owns the flag). Elsewhere (Windows, macOS) there is no hint:
the tab still blinks (`window.py`) and Tk rings the bell.

Every failure (no libX11, no display, a window gone) leaves the hint alone: it is a nicety.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import tkinter as tk

log = logging.getLogger("socketchat.gui")

URGENCY_HINT = 1 << 8  # XUrgencyHint in Xutil.h


class _XWMHints(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_long),
        ("input", ctypes.c_int),
        ("initial_state", ctypes.c_int),
        ("icon_pixmap", ctypes.c_ulong),
        ("icon_window", ctypes.c_ulong),
        ("icon_x", ctypes.c_int),
        ("icon_y", ctypes.c_int),
        ("icon_mask", ctypes.c_ulong),
        ("window_group", ctypes.c_ulong),
    ]


class Urgency:
    """Sets and clears the urgency hint of `root`'s window (X11 only; see the module)."""

    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        self.x11 = str(root.tk.call("tk", "windowingsystem")) == "x11"
        self._lib: ctypes.CDLL | None = None
        self._display: int | None = None
        self.urgent = False

    def _connect(self) -> bool:
        if self._display is not None:
            return True
        if not self.x11:
            return False
        name = ctypes.util.find_library("X11")
        if name is None:
            return False
        try:
            lib = ctypes.CDLL(name)
            lib.XOpenDisplay.restype = ctypes.c_void_p
            lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
            lib.XGetWMHints.restype = ctypes.POINTER(_XWMHints)
            lib.XGetWMHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
            lib.XAllocWMHints.restype = ctypes.POINTER(_XWMHints)
            lib.XSetWMHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XWMHints)]
            lib.XFree.argtypes = [ctypes.c_void_p]
            lib.XFlush.argtypes = [ctypes.c_void_p]
            lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
            display = lib.XOpenDisplay(str(self.root.winfo_screen()).encode())
        except (OSError, AttributeError) as exc:
            log.debug("no urgency hint: %s", exc)
            return False
        if not display:
            return False
        self._lib, self._display = lib, int(display)
        return True

    def window_id(self) -> int:
        """The X window that carries WM_HINTS: the toplevel's wrapper (`wm frame`)."""
        return int(str(self.root.wm_frame()), 16)

    def set(self, on: bool) -> None:
        """Raise (or clear) the hint; a no-op where there is none."""
        if on == self.urgent:
            return
        self.urgent = on
        if not self._connect():
            if on:
                self.root.bell()  # no hint to show: at least the bell
            return
        lib, display = self._lib, self._display
        assert lib is not None and display is not None
        window = self.window_id()
        hints = lib.XGetWMHints(display, window)
        if not hints:
            hints = lib.XAllocWMHints()
            if not hints:
                return
        if on:
            hints.contents.flags |= URGENCY_HINT
        else:
            hints.contents.flags &= ~URGENCY_HINT
        lib.XSetWMHints(display, window, hints)
        lib.XFree(hints)
        lib.XFlush(display)

    def close(self) -> None:
        if self._lib is not None and self._display is not None:
            self._lib.XCloseDisplay(self._display)
        self._display = None
