"""Case-insensitive names under the advertised CASEMAPPING (`ascii`), and name validation."""

from __future__ import annotations

CASEMAPPING = "ascii"
CHANTYPES = "#&"

_NICK_FIRST = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz[]\\`_^{|}")
_NICK_REST = _NICK_FIRST | set("0123456789-")
_CHANNEL_FORBIDDEN = set(" ,\x07\x00\r\n:")


def casefold(name: str) -> str:
    """Fold a nick or channel name for comparison (ASCII letters only)."""
    return (
        name.lower()
        if name.isascii()
        else "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
    )


def is_channel(name: str) -> bool:
    return bool(name) and name[0] in CHANTYPES


def valid_nick(nick: str, maxlen: int) -> bool:
    if not nick or len(nick) > maxlen:
        return False
    if nick[0] not in _NICK_FIRST:
        return False
    return all(c in _NICK_REST for c in nick[1:])


def valid_channel(name: str, maxlen: int) -> bool:
    if len(name) < 2 or len(name.encode("utf-8")) > maxlen or name[0] not in CHANTYPES:
        return False
    return not any(c in _CHANNEL_FORBIDDEN for c in name)
