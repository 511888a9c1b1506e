"""What the nick prompts of the terminal and desktop clients say: what a nickname may be, and
why the server refused one (`NickRefused`), in the interface language.

The rules are socketchat's (irc/casemap.py, the server's own check, run here first so most
mistakes are caught before connecting): a letter first, then letters, digits and ``_-[]{}|^```;
letters may be Persian or of any other one script, not mixed (``مهسا`` or ``sara``, not a
Latin-Cyrillic look-alike). Other servers may allow less; their refusal is then shown as they
word it, and the prompt asks again.
"""

from __future__ import annotations

import re

from socketchat.client.events import NickRefused
from socketchat.client.i18n import _
from socketchat.irc.casemap import nick_problem

__all__ = ["MAX_NICK", "check_nick", "nick_rules", "reason_text", "refusal_text"]

MAX_NICK = 30


def nick_rules() -> str:
    """One sentence on what a nickname may be."""
    return _(
        "A letter first (Persian or any one script, e.g. مهسا or sara), then letters, "
        "digits or _-[]{{}}|^` — at most {max} characters."
    ).format(max=MAX_NICK)


def check_nick(nick: str) -> str | None:
    """What is wrong with `nick` before asking the server, or None."""
    if not nick.strip():
        return _("Please choose a nickname.")
    problem = nick_problem(nick.strip(), MAX_NICK)
    if problem is None:
        return None
    return _("Not a nickname: {why}").format(why=reason_text(problem))


def refusal_text(event: NickRefused) -> str:
    """Why the server did not take `event.nick`, and what to do."""
    if event.taken:
        return _(
            "{nick} is taken (someone is using it, or a nick that looks like it). "
            "Please choose another."
        ).format(nick=event.nick)
    return _("The server refused {nick}: {reason}. Please choose another.").format(
        nick=event.nick, reason=reason_text(event.reason)
    )


def N_(message: str) -> str:  # gettext's usual name for "translated later"
    """Marks `message` for the catalog (xgettext ``--keyword=N_``); `_` translates it when shown."""
    return message


# socketchat's own reasons (irc/casemap.py, the words of its 432) → what the prompt says
_REASONS = [
    (r"empty", N_("it is empty")),
    (r"longer than (?P<max>\d+) characters", N_("longer than {max} characters")),
    (r"must start with a letter or one of .*", N_("it must start with a letter")),
    (r"letters, digits and .* only", N_("only letters, digits and _-[]{{}}|^` may follow")),
    (
        r"this server allows ASCII nicknames only.*",
        N_("this server allows only a-z, 0-9, _-[]{{}}|^`"),
    ),
    (r"(?P<char>.+) is not allowed in a nickname", N_("{char} is not allowed in a nickname")),
    (
        r"must not start with a digit, '-' or a combining mark",
        N_("it must not start with a digit, - or a mark"),
    ),
    (r"digits of one kind only.*", N_("digits of one kind only (not ۱ with 1)")),
    (
        r"letters and digits of one script only.*",
        N_("letters of one script only (not Persian with Latin letters)"),
    ),
    (r"repeated or invisible combining marks", N_("repeated or invisible marks")),
    (
        r"(?P<char>.+) is not allowed \(letters and digits only\)",
        N_("{char} is not allowed (letters and digits only)"),
    ),
    (
        r"a right-to-left nickname must start and end .*",
        N_(
            "a right-to-left nickname must start and end with a letter or digit, "
            "without Latin letters"
        ),
    ),
    (
        r"the zero-width non-joiner is allowed only .*",
        N_("the zero-width non-joiner may only stand between joining letters"),
    ),
]


def reason_text(reason: str) -> str:
    """A nick refusal's reason as shown: socketchat's words in the interface language; another
    server's as it words them."""
    why = reason.removeprefix("Erroneous nickname: ")
    for pattern, template in _REASONS:
        match = re.fullmatch(pattern, why)
        if match:
            return _(template).format(**match.groupdict())
    return why
