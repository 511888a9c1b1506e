"""What the nick prompts of the terminal and desktop clients say: what a nickname may be, and
why the server refused one (`NickRefused`), in the interface language.

The rules are socketchat's (irc/casemap.py, the server's own check, run here first so most
mistakes are caught before connecting): a letter first, then letters, digits and ``_-[]{}|^```;
letters may be Persian or of any other one script, not mixed (``مهسا`` or ``sara``, not a
Latin-Cyrillic look-alike). Other servers may allow less; their refusal is then shown as they
word it, and the prompt asks again.
"""

from __future__ import annotations

from socketchat.client.events import NickRefused
from socketchat.client.i18n import _
from socketchat.irc.casemap import nick_problem

__all__ = ["MAX_NICK", "check_nick", "nick_rules", "refusal_text"]

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
    return _("Not a nickname: {why}").format(why=problem.removeprefix("Erroneous nickname: "))


def refusal_text(event: NickRefused) -> str:
    """Why the server did not take `event.nick`, and what to do."""
    if event.taken:
        return _(
            "{nick} is taken (someone is using it, or a nick that looks like it). "
            "Please choose another."
        ).format(nick=event.nick)
    return _("The server refused {nick}: {reason}. Please choose another.").format(
        nick=event.nick, reason=event.reason.removeprefix("Erroneous nickname: ")
    )
