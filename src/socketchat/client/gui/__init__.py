"""The desktop client (tkinter): a thin view on the shared client core.

- `render` — pure functions: a `ChatLine` as tagged text segments, tab labels, user-list rows.
- `theme` — fonts, colours, the ttk style and the Text tags every chat view uses.
- `login` — the dialog that asks for nick, host and port when ``--nick`` is not given.
- `window` — `ChatWindow`: notebook of chat tabs, user list, entry line and status bar; it drains
  the events of a `socketchat.client.threaded.ThreadedClient` with ``root.after``.
- `app` — ``socketchat gui``: `gui_main(args)`.

Network I/O never runs on the Tk thread: the connection (and the core) live in the
`ThreadedClient`'s background thread, which holds no reference to any Tk object.
"""
