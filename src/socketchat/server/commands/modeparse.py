"""Mode strings, sans-I/O: parse `+ov-b alice bob *!*@bad` into changes, and format them back.

Channel modes follow the ISUPPORT tokens the server advertises: `CHANMODES=beI,k,l,Cimnst`,
`PREFIX=(ov)@+` and `MODES=4`:

- type A, lists (`b` bans, `e` ban exceptions, `I` invite exceptions): a parameter adds or
  removes a mask; without one it asks for the list;
- type B (`k`): a parameter when set; when unset the parameter is optional here (clients differ);
- type C (`l`): a parameter only when set;
- type D flags (`Cimnst`): never a parameter;
- prefix modes (`o`, `v`): always a nick.

At most `max_params` modes that take a parameter are parsed from one line; the rest are dropped.
Nothing here knows about channels or sessions: `commands/modes.py` applies the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LIST_MODES = "beI"
KEY_MODES = "k"
SET_PARAM_MODES = "l"
FLAG_MODES = "Cimnst"  # C: no CTCP but ACTION (Modern)
PREFIX_MODES = "ov"
CHANNEL_MODES = LIST_MODES + KEY_MODES + SET_PARAM_MODES + FLAG_MODES + PREFIX_MODES
USER_MODES = "Biow"  # B: a bot (IRCv3 bot-mode, ISUPPORT BOT=B); w: receives WALLOPS
BOT_MODE = "B"
MAX_PARAM_MODES = 4


@dataclass(frozen=True, slots=True)
class ModeChange:
    adding: bool
    mode: str
    param: str | None = None

    @property
    def is_list_query(self) -> bool:
        return self.mode in LIST_MODES and self.param is None


@dataclass(frozen=True, slots=True)
class ParsedModes:
    changes: tuple[ModeChange, ...]
    unknown: tuple[str, ...] = ()  # mode letters we do not know (472 / 501)
    missing_param: tuple[str, ...] = ()  # modes that needed a parameter and had none (696)


def _takes_param(mode: str, adding: bool) -> bool | None:
    """True: needs one; None: takes one if present; False: never."""
    if mode in PREFIX_MODES:
        return True
    if mode in KEY_MODES:
        return True if adding else None
    if mode in LIST_MODES:
        return None
    if mode in SET_PARAM_MODES:
        return adding
    return False


def parse_channel_modes(
    modestring: str, params: Sequence[str], max_params: int = MAX_PARAM_MODES
) -> ParsedModes:
    changes: list[ModeChange] = []
    unknown: list[str] = []
    missing: list[str] = []
    queue = list(params)
    used = 0
    adding = True
    for c in modestring:
        if c in "+-":
            adding = c == "+"
            continue
        if c not in CHANNEL_MODES:
            if c not in unknown:
                unknown.append(c)
            continue
        wants = _takes_param(c, adding)
        if wants is False:
            changes.append(ModeChange(adding, c))
            continue
        if queue and used < max_params:
            used += 1
            changes.append(ModeChange(adding, c, queue.pop(0)))
        elif queue:
            continue  # over the MODES limit: dropped
        elif wants is None:
            changes.append(ModeChange(adding, c))
        else:
            missing.append(c)
    return ParsedModes(tuple(changes), tuple(unknown), tuple(missing))


def parse_user_modes(modestring: str) -> ParsedModes:
    changes: list[ModeChange] = []
    unknown: list[str] = []
    adding = True
    for c in modestring:
        if c in "+-":
            adding = c == "+"
        elif c in USER_MODES:
            changes.append(ModeChange(adding, c))
        elif c not in unknown:
            unknown.append(c)
    return ParsedModes(tuple(changes), tuple(unknown))


def format_modes(changes: Iterable[ModeChange]) -> tuple[str, ...]:
    """Applied changes as MODE parameters: `("+ov-b", "alice", "bob", "*!*@bad")`."""
    letters: list[str] = []
    params: list[str] = []
    sign = ""
    for ch in changes:
        want = "+" if ch.adding else "-"
        if want != sign:
            letters.append(want)
            sign = want
        letters.append(ch.mode)
        if ch.param is not None:
            params.append(ch.param)
    return ("".join(letters), *params) if letters else ()
