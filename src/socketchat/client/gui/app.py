"""``socketchat gui``: the desktop client's entry point.

What the command line leaves out comes from the settings file (client/settings.py): the nick and
server prefill the sign-in dialog, the theme and the language apply, and the conversations open
last time are opened again; what is used is saved back when the window closes.
"""

from __future__ import annotations

import argparse
import sys
import tkinter as tk

from socketchat.client import rtl, settings
from socketchat.client.core import ClientConfig
from socketchat.client.gui.login import LoginDialog
from socketchat.client.gui.theme import Theme, palette_named
from socketchat.client.gui.window import ChatWindow
from socketchat.client.helpers import channel_name, default_port
from socketchat.client.i18n import _, pick_language, set_language

__all__ = ["gui_main"]


def gui_main(args: argparse.Namespace) -> int:
    """Ask for the nick (and server) when not given, then run the chat window until /exit."""
    path = settings.settings_path()
    saved = settings.load(path)
    saved = saved.replace(
        language=args.lang or saved.language, theme=args.theme or saved.theme or "light"
    )
    set_language(pick_language(saved.language or None))
    tls = bool(args.tls or (saved.tls and not args.host))
    host: str = args.host or saved.host or "127.0.0.1"
    same_server = host == (saved.host or "127.0.0.1")
    port: int = args.port or (saved.port if same_server else None) or default_port(tls)
    try:
        root = tk.Tk(className="socketchat")
    except tk.TclError as exc:
        print(f"socketchat gui: cannot open a window ({exc})", file=sys.stderr)
        return 1
    theme = Theme.install(root, palette=palette_named(saved.theme))
    nick: str | None = args.nick
    account: str | None = args.account
    account_password: str | None = args.account_password
    if not nick:
        root.withdraw()
        login = LoginDialog(root, theme, saved.nick, host, port).show()
        if login is None:
            root.destroy()
            return 1
        nick, host, port = login.nick, login.host, login.port
        same_server = same_server and host == (saved.host or "127.0.0.1")
        if login.password:
            account, account_password = login.nick, login.password
        root.deiconify()
    elif account and not account_password:  # no SOCKETCHAT_PASSWORD and no terminal to ask on
        from tkinter import simpledialog

        root.withdraw()  # the dialog alone, as with the sign-in dialog
        account_password = simpledialog.askstring(
            rtl.display_text(_("socketchat: password")),
            rtl.display_text(_("Password for account {account}:").format(account=account)),
            show="*",
            parent=root,
        )
        root.deiconify()
    root.geometry("900x560")
    if args.channel:
        channels: tuple[str, ...] = (channel_name(args.channel),)
    else:
        channels = (saved.channels if same_server else ()) or ("#lobby",)
    config = ClientConfig(
        nick=nick,
        channels=channels,
        password=args.password,
        account=account,
        account_password=account_password,
        ask_nick=True,  # a refused nick is asked again (NickRefused), never renamed
        queries=saved.queries if same_server and not args.channel else (),
    )
    window = ChatWindow(
        root,
        theme,
        config,
        host,
        port,
        tls=tls,
        tls_insecure=args.tls_insecure,
        remembered=saved,
        settings_file=path,
    )
    window.start()
    try:
        root.mainloop()
    except KeyboardInterrupt:
        pass
    finally:
        window.close()
    return 0
