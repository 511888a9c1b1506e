"""Case-insensitive names, name validation, and confusable skeletons.

Two casemappings, chosen by the server's `casemapping` setting (`use`):

* ``precis`` (the default): nicknames and channel names may be Unicode, so a Persian student can
  be ``مهسا`` and meet in ``#کلاس``. A nickname is checked with the PRECIS UsernameCaseMapped
  profile (RFC 8265 §3.3, on the IdentifierClass of RFC 8264: letters and digits of any script,
  no symbols or spaces, the zero-width non-joiner only where Arabic-script joining needs it, and
  the Bidi Rule, so a right-to-left nick cannot swallow Latin letters), and folded with the same
  profile (width-mapped, lowercased, NFC), repeated until stable as RFC 8264 §7 asks; this is
  ergo's recipe (`irc/i18n/strings.go`). On top of PRECIS, UTS #39: a nick must be of one script
  (the "highly restrictive" level: Common/Inherited characters such as digits and ``_`` go with
  any script; Latin with Han/Kana/Hangul is allowed), must not mix digit systems, and must not
  repeat combining marks; and no two nicks may share a *skeleton* (`skeleton`), so Cyrillic
  ``раul`` is refused (mixed) and a whole-Cyrillic ``рау`` cannot pose as an existing ``pay``.
  The skeleton maps Arabic ``ي``/``ك`` and Persian ``ی``/``ک`` alike and drops the ZWNJ, so
  ``مهسی`` and ``مهسي`` are one nick: they look the same, and a Persian keyboard and an Arabic
  one type them differently. As in ergo, the skeleton is taken on the nick as typed (folding
  first would lose what makes characters look alike), then casefolded. ASCII nicks keep the
  classic IRC rules, and two *ASCII* nicks never clash by skeleton (``paul1``/``paull``/
  ``pauI`` were always distinct on IRC); an ASCII and a non-ASCII nick do.
* ``ascii``: the traditional rules: ASCII nicks, ASCII-only folding. No library is loaded.

ISUPPORT says ``CASEMAPPING=ascii`` under both, as ergo does: for every ASCII name the two folds
are identical, no published token names PRECIS (modern.ircdocs lists a draft ``rfc7613`` that no
client implements), and clients that see an unknown token fall back to rfc1459, which would be
wrong for ``[]\\~``. A client folding ASCII only just keeps ``Işıl`` and ``işıl`` apart.

Libraries (dependencies in pyproject.toml, since `precis` is the default):

* `precis-i18n` (PRECIS, RFC 8264/8265/8266): maintained, pure Python, typed, implements the
  profiles with their context rules (CONTEXTJ for ZWNJ) and the Bidi Rule, on Python's own
  Unicode data, so it cannot disagree with `str` about what a character is.
* ICU's SpoofChecker via `pyicu-wheels` (UTS #39): ICU is the reference implementation of the
  skeleton algorithm and of restriction levels (with Script_Extensions, which the pure-Python
  packages ignore: `confusable-homoglyphs` has mixed-script checks on Scripts.txt but no
  skeleton, `confusables` ships Unicode 13 data from 2021 and no restriction levels). The PyICU
  project itself publishes no wheels; `pyicu-wheels` is PyICU built with ICU bundled (no
  compiler or libicu-dev needed). Loaded only when a non-ASCII nick is first checked.

The setting is process-wide, like ergo's `globalCasemappingSetting`: it is set when a `Server`
is made, before any connection, and the whole code base folds through `casefold` without having
to carry a server around. Results are cached (`functools.lru_cache`): registration folds the
same names over and over (NICK, then lookups, MONITOR, history keys).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

CASEMAPPING = "ascii"  # the ISUPPORT token, under both casemappings (see above)
CASEMAPPINGS = ("precis", "ascii")
CHANTYPES = "#&"

_NICK_FIRST = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz[]\\`_^{|}")
_NICK_REST = _NICK_FIRST | set("0123456789-")
_CHANNEL_FORBIDDEN = set(" ,\x07\x00\r\n:")

_mapping = "precis"


def use(mapping: str) -> None:
    """Switch the process to `mapping` (one of `CASEMAPPINGS`); a `Server` does this.

    Under `precis` the libraries are loaded here, at start-up, so the first registration does
    not stall the event loop while ICU loads (some 0.2 s). Clients never call this: they load
    PRECIS only when they first fold a non-ASCII name, and ICU never.
    """
    global _mapping
    if mapping not in CASEMAPPINGS:
        raise ValueError(f"casemapping must be one of {', '.join(CASEMAPPINGS)}, not {mapping!r}")
    if mapping != _mapping:
        _mapping = mapping
        _fold_unicode.cache_clear()
    if mapping == "precis":
        _precis()
        _spoof()


def current() -> str:
    """The casemapping in force: "precis" or "ascii"."""
    return _mapping


def casefold(name: str) -> str:
    """Fold a nick or channel name for comparison.

    ASCII names fold to lowercase under both mappings (and PRECIS agrees), the fast path that
    every ASCII-only network takes. Other names fold with PRECIS (`precis`) after any channel
    prefix; a name PRECIS refuses (a channel such as ``#☕``: channel names are not held to
    the nick rules) is NFC-normalized and lowercased instead, so folding never fails.
    """
    return name.lower() if name.isascii() else _fold_unicode(name)


@lru_cache(maxsize=16384)
def _fold_unicode(name: str) -> str:
    if _mapping == "ascii":
        return "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
    start = len(name) - len(name.lstrip(CHANTYPES))
    head, body = name[:start], name[start:]
    folded = _precis_fold(body)
    return head + (folded if folded is not None else unicodedata.normalize("NFC", body).lower())


@lru_cache(maxsize=16384)
def _precis_fold(text: str) -> str | None:
    """UsernameCaseMapped until stable (RFC 8264 §7: one pass is not always idempotent), or
    None if PRECIS refuses `text`. Cached: the check of a new nick and its fold share one run
    (precis-i18n takes some 40 µs for a short name)."""
    profile = _precis()
    for _ in range(4):
        try:
            folded: str = profile.enforce(text)
        except UnicodeError:
            return None
        if folded == text:
            return folded
        text = folded
    return None


@lru_cache(maxsize=1)
def _precis() -> Any:
    from precis_i18n import get_profile

    return get_profile("UsernameCaseMapped")


@lru_cache(maxsize=1)
def _spoof() -> Any:
    """ICU's checker: highly restrictive scripts, one digit system, no repeated marks."""
    import icu  # type: ignore[import-untyped]

    checker = icu.SpoofChecker()
    checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    checker.setChecks(
        icu.USpoofChecks.RESTRICTION_LEVEL
        | icu.USpoofChecks.MIXED_NUMBERS
        | icu.USpoofChecks.INVISIBLE
    )
    return checker


def is_channel(name: str) -> bool:
    return bool(name) and name[0] in CHANTYPES


def valid_nick(nick: str, maxlen: int) -> bool:
    return nick_problem(nick, maxlen) is None


def nick_problem(nick: str, maxlen: int) -> str | None:
    """Why `nick` cannot be a nickname (the text of 432 ERR_ERRONEUSNICKNAME), or None."""
    if not nick:
        return "Erroneous nickname: empty"
    if len(nick) > maxlen:
        return f"Erroneous nickname: longer than {maxlen} characters"
    if nick.isascii():
        if nick[0] not in _NICK_FIRST:
            return "Erroneous nickname: must start with a letter or one of [ ] \\ ` _ ^ { | }"
        if not all(c in _NICK_REST for c in nick[1:]):
            return "Erroneous nickname: letters, digits and [ ] \\ ` _ ^ { | } - only"
        return None
    if _mapping == "ascii":
        return "Erroneous nickname: this server allows ASCII nicknames only (a-z, 0-9, _-[]{}|^`)"
    return _unicode_nick_problem(nick)


@lru_cache(maxsize=4096)
def _unicode_nick_problem(nick: str) -> str | None:
    for c in nick:
        if c.isascii() and c not in _NICK_REST:
            return f"Erroneous nickname: {c!r} is not allowed in a nickname"
    first = nick[0]
    if (first.isascii() and first not in _NICK_FIRST) or unicodedata.category(first)[0] in "NM":
        return "Erroneous nickname: must not start with a digit, '-' or a combining mark"
    if _precis_fold(nick) is None:
        return "Erroneous nickname: " + _precis_reason(nick)
    flags = _spoof().check(nick)
    if flags:
        import icu

        if flags & icu.USpoofChecks.MIXED_NUMBERS:
            return "Erroneous nickname: digits of one kind only (not ۱ with 1)"
        if flags & icu.USpoofChecks.RESTRICTION_LEVEL:
            return (
                "Erroneous nickname: letters and digits of one script only "
                "(not Latin with Cyrillic, nor a-z with ۱۲۳)"
            )
        return "Erroneous nickname: repeated or invisible combining marks"
    return None


def _precis_reason(nick: str) -> str:
    """A human reason for a PRECIS refusal; precis-i18n says e.g. ``DISALLOWED/bidi_rule``."""
    try:
        _precis().enforce(nick)
        why = "unstable"
    except UnicodeError as exc:
        why = str(exc)
    bad = next((c for c in nick if not _allowed_alone(c)), None)
    if bad is not None:
        name = unicodedata.name(bad, f"U+{ord(bad):04X}")
        return f"{name.lower()} is not allowed (letters and digits only)"
    if "bidi_rule" in why:
        return (
            "a right-to-left nickname must start and end with a letter or digit and may not "
            "hold Latin letters"
        )
    if "zero_width" in why:
        return "the zero-width non-joiner is allowed only between joining Arabic-script letters"
    return "not a valid identifier (RFC 8265)"


def _allowed_alone(c: str) -> bool:
    try:
        _precis().enforce("a" + c if unicodedata.category(c)[0] == "M" else c)
    except UnicodeError:
        return c in "\u200c\u200d"
    return True


@lru_cache(maxsize=16384)
def _unicode_skeleton(nick: str) -> str:
    return str(_spoof().getSkeleton(0, unicodedata.normalize("NFKC", nick))).casefold()


def skeleton(nick: str) -> str:
    """The UTS #39 skeleton of `nick`, casefolded: two nicks that look alike share it.

    Under `ascii` it is the fold itself (no confusables among plain ASCII rules, as in ergo).
    """
    if _mapping == "ascii":
        return casefold(nick)
    return _unicode_skeleton(nick)


def clash(a: str, b: str) -> bool:
    """Whether nicks `a` and `b` may not both be held: same fold, or (one of them non-ASCII)
    the same skeleton."""
    if casefold(a) == casefold(b):
        return True
    if _mapping == "ascii" or (a.isascii() and b.isascii()):
        return False
    return skeleton(a) == skeleton(b)


def valid_channel(name: str, maxlen: int) -> bool:
    if len(name) < 2 or len(name.encode("utf-8")) > maxlen or name[0] not in CHANTYPES:
        return False
    return not any(c in _CHANNEL_FORBIDDEN for c in name)
