"""What the terminal and desktop clients remember between runs, in one small JSON file.

The file is ``$XDG_CONFIG_HOME/socketchat/client.json`` (``~/.config/socketchat/client.json``
when XDG_CONFIG_HOME is unset; ``SOCKETCHAT_CONFIG`` names another file): the nick, the
server (host, port, TLS), the theme (``dark`` or ``light``), the interface language and the
open conversations (channels and private tabs), so the next start reopens them. Command-line
options win over the file for that run; what is used is saved back when the client ends (and
when /lang or /theme changes it). Passwords are never written here.

A missing or damaged file gives the defaults (a damaged one is not overwritten until the
client saves); the file is written atomically (a temporary file, then rename) and private
(0600), since it names the servers one uses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["THEMES", "Settings", "load", "save", "settings_path"]

Theme = Literal["dark", "light"]
THEMES: tuple[Theme, ...] = ("dark", "light")
FILENAME = "client.json"


@dataclass(frozen=True, slots=True)
class Settings:
    """What is remembered; "" / None mean "not set" (the client's own default applies)."""

    nick: str = ""
    host: str = ""
    port: int | None = None
    tls: bool = False
    theme: Theme | None = None  # None: the client's default (terminal dark, desktop light)
    language: str = ""  # "" follows the locale
    channels: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()  # private conversations kept open
    extra: Mapping[str, object] = field(default_factory=dict)  # keys of newer versions, kept

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("SOCKETCHAT_CONFIG"):
        return Path(env["SOCKETCHAT_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "socketchat" / FILENAME


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v and len(v) < 200)[:50]


def load(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there are none (or they cannot be read)."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    known = {f.name for f in dataclasses.fields(Settings)}
    port = data.get("port")
    theme = data.get("theme")
    return Settings(
        nick=str(data.get("nick") or ""),
        host=str(data.get("host") or ""),
        port=port if isinstance(port, int) and 0 < port < 65536 else None,
        tls=data.get("tls") is True,
        theme=theme if theme in THEMES else None,
        language=str(data.get("language") or ""),
        channels=_strings(data.get("channels")),
        queries=_strings(data.get("queries")),
        extra={k: v for k, v in data.items() if k not in known},
    )


def save(settings: Settings, path: Path | None = None) -> None:
    """Write `settings` (atomically, 0600, its folder 0700); errors are the caller's to show."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data: dict[str, object] = dict(settings.extra)
    data.update(
        nick=settings.nick,
        host=settings.host,
        port=settings.port,
        tls=settings.tls,
        theme=settings.theme,
        language=settings.language,
        channels=list(settings.channels),
        queries=list(settings.queries),
    )
    fd, tmp = tempfile.mkstemp(prefix=".client-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
