"""IRC messages with IRCv3 tags: parse a line into a `Message`, serialise it back.

Grammar (modern.ircdocs.horse, ircv3.net/specs/extensions/message-tags)::

    ['@' tags SPACE] [':' source SPACE] command *(SPACE param) [SPACE ':' trailing]

Tag values are escaped (`\\:` for `;`, `\\s` for space, `\\\\`, `\\r`, `\\n`). A tag without a
value and a tag with an empty value are the same thing; both parse to "".

What the serialiser guarantees, whatever it is given (it never raises: a reply built from odd
client input must still go out as one well-formed line):

- **Middle parameters are words.** A middle parameter that is empty, contains a space or starts
  with `:` would shift or swallow the parameters after it (`401 alice x y :No such nick` reads
  as a reply about `x` with `y` as its text). Handlers validate what they echo; as the last line
  of defence the serialiser sends such a parameter as `*`, IRC's word for "no name" (a middle
  parameter is always a name, a mask, a number or a mode, never free text).
- **Text is a trailing parameter.** The text of PRIVMSG, NOTICE, TOPIC, PART, QUIT, KICK, AWAY,
  ERROR, ... and the last parameter of every numeric is sent with its `:` even when it is one
  word (`PRIVMSG #lobby :hi`), as ergo, InspIRCd and ngIRCd do; other last parameters get the
  `:` only when they need it.
- **512 bytes** (`MAX_BODY`, CRLF included, tags excluded) per encoded line: if a line would be
  longer, `encode_line` cuts middle parameters longer than `MAX_MIDDLE` (echoes of odd input),
  then the last parameter, at UTF-8 boundaries. Relayed text is cut earlier,
  where it enters (see `server/commands/messaging.py`), so what is stored equals what is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY_TAGS: Mapping[str, str] = MappingProxyType({})

_ESCAPES = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


class ParseError(ValueError):
    """A line that is not an IRC message."""


def escape_tag_value(value: str) -> str:
    # five `in` tests (C loops) beat any() over a generator: this runs for every tag of every
    # line a client receives with tags
    if ";" in value or " " in value or "\\" in value or "\r" in value or "\n" in value:
        return "".join(_ESCAPES.get(c, c) for c in value)
    return value


def unescape_tag_value(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == "\\":
            i += 1
            if i < n:
                out.append(_UNESCAPES.get(value[i], value[i]))
            # a trailing lone backslash is dropped (spec)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not key:
            continue
        tags[key] = unescape_tag_value(value)
    return tags


def format_tags(tags: Mapping[str, str]) -> str:
    return ";".join([f"{k}={escape_tag_value(v)}" if v else k for k, v in tags.items()])


@dataclass(frozen=True, slots=True)
class Message:
    """One IRC message. `command` is upper-case; `params` include the trailing one, unescaped."""

    command: str
    params: tuple[str, ...] = ()
    source: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: _EMPTY_TAGS)

    def param(self, index: int, default: str = "") -> str:
        return self.params[index] if index < len(self.params) else default

    @property
    def nick(self) -> str:
        """The nick part of `source` (or the whole source for a server name)."""
        if self.source is None:
            return ""
        return self.source.split("!", 1)[0].split("@", 1)[0]

    def with_tags(self, tags: Mapping[str, str]) -> Message:
        return Message(self.command, self.params, self.source, tags)

    def to_line(self, tags: Mapping[str, str] | None = None) -> str:
        """Serialise without the line ending. `tags` overrides `self.tags` when given."""
        return serialize(
            self.command, self.params, self.source, self.tags if tags is None else tags
        )

    def to_bytes(self, tags: Mapping[str, str] | None = None) -> bytes:
        """Serialise as a UTF-8 line ending in CRLF, within `MAX_BODY` (see `encode_line`)."""
        return encode_line(
            self.command, self.params, self.source, self.tags if tags is None else tags
        )

    def __str__(self) -> str:
        return self.to_line()


# The position of the text parameter of commands that carry text: it is always trailing.
_TEXT_PARAM = {
    "PRIVMSG": 1,
    "NOTICE": 1,
    "TOPIC": 1,
    "PART": 1,
    "KICK": 2,
    "KILL": 1,
    "QUIT": 0,
    "AWAY": 0,
    "ERROR": 0,
    "WALLOPS": 0,
    "SETNAME": 0,
}
TEXT_PARAM: Mapping[str, int] = MappingProxyType(_TEXT_PARAM)
MAX_BODY = 512  # bytes of a line without its tags, CRLF included (RFC 1459 / modern IRC)
MAX_MIDDLE = 200  # bytes a middle parameter keeps when a line is too long (masks: 200 chars)


def serialize(
    command: str,
    params: tuple[str, ...] | list[str] = (),
    source: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """One line, without its line ending; see the module docstring for what it guarantees."""
    head = f":{source} {command}" if source else command
    if tags:
        head = f"@{format_tags(tags)} {head}"
    if not params:
        return head
    last_index = len(params) - 1
    last = params[last_index]
    if last_index == 1:  # the common case (PRIVMSG, most numerics): no slice, no join
        first = params[0]
        if not first or first[0] == ":" or " " in first:
            first = _word(first)
        head = f"{head} {first}"
        if command[0] <= "9":  # a numeric: its last parameter is text
            return f"{head} :{last}"
    elif last_index:
        middle = params[:last_index]
        for p in middle:
            if not p or p[0] == ":" or " " in p:
                middle = [_word(p) for p in middle]
                break
        head = f"{head} {' '.join(middle)}"
        if command[0] <= "9":  # a numeric: its last parameter is text
            return f"{head} :{last}"
    if not last or last[0] == ":" or " " in last or _TEXT_PARAM.get(command) == last_index:
        return f"{head} :{last}"
    return f"{head} {last}"


def _word(param: str) -> str:
    """A middle parameter as it may be sent: itself if it is a word, else `*`."""
    return param if param and param[0] != ":" and " " not in param else "*"


def encode_line(
    command: str,
    params: tuple[str, ...] | list[str] = (),
    source: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> bytes:
    """`serialize` as UTF-8 with CRLF, the last parameter cut so that it fits `MAX_BODY`."""
    data = (serialize(command, params, source, tags) + "\r\n").encode("utf-8", "replace")
    if len(data) <= MAX_BODY:
        return data
    over = _body_len(data) - MAX_BODY
    if over <= 0 or not params:
        return data
    if any(len(p) > MAX_MIDDLE for p in params[:-1]):
        # a middle parameter this long is an echo of odd input (no name or mask is): cut it
        params = [fit_text(p, MAX_MIDDLE) for p in params[:-1]] + [params[-1]]
        data = (serialize(command, params, source, tags) + "\r\n").encode("utf-8", "replace")
        over = _body_len(data) - MAX_BODY
        if over <= 0:
            return data
    last = params[-1].encode("utf-8", "replace")
    keep = len(last) - over
    for _ in range(4):  # the first cut fits unless it dropped a ':' that it then needs
        if keep <= 0:
            break
        cut = last[:keep].decode("utf-8", "ignore")
        data = (serialize(command, (*params[:-1], cut), source, tags) + "\r\n").encode(
            "utf-8", "replace"
        )
        if _body_len(data) <= MAX_BODY:
            return data
        keep -= 1
    return data  # too long even without its last parameter: nothing sane to cut


def _body_len(data: bytes) -> int:
    """Bytes of an encoded line without its tag section."""
    if data[:1] != b"@":
        return len(data)
    space = data.find(b" ")
    return len(data) - space - 1 if space != -1 else 0


def pack_words(words: list[str], budget: int) -> list[str]:
    """Join `words` with spaces into as few lines as possible of at most `budget` UTF-8 bytes
    each (a word longer than the budget gets a line of its own; `encode_line` cuts it)."""
    lines: list[str] = []
    current: list[str] = []
    size = 0
    for word in words:
        n = len(word.encode("utf-8", "replace"))
        if current and size + 1 + n > budget:
            lines.append(" ".join(current))
            current, size = [], 0
        size += n + (1 if current else 0)
        current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines


def fit_text(text: str, budget: int) -> str:
    """`text` cut to at most `budget` UTF-8 bytes, at a character boundary."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= budget:
        return text
    return raw[: max(budget, 0)].decode("utf-8", "ignore")


def parse_message(line: str) -> Message:
    """Parse one line (without its line ending). Raises `ParseError` on an empty command.

    Any other word is a command, even one no server knows (`NONEXISTENT_COMMAND`, `PRIV/MSG`):
    the dispatcher answers those with 421 ERR_UNKNOWNCOMMAND, as RFC 2812 says, not with a
    parse error. Only control characters make a command unparseable.
    """
    line = line.rstrip("\r\n")
    pos = 0
    n = len(line)
    tags: Mapping[str, str] = _EMPTY_TAGS

    def skip_spaces(p: int) -> int:
        while p < n and line[p] == " ":
            p += 1
        return p

    pos = skip_spaces(pos)
    if pos < n and line[pos] == "@":
        end = line.find(" ", pos)
        if end == -1:
            raise ParseError("message has tags but no command")
        tags = parse_tags(line[pos + 1 : end])
        pos = skip_spaces(end)
    source: str | None = None
    if pos < n and line[pos] == ":":
        end = line.find(" ", pos)
        if end == -1:
            raise ParseError("message has a source but no command")
        source = line[pos + 1 : end] or None
        pos = skip_spaces(end)
    end = line.find(" ", pos)
    if end == -1:
        end = n
    command = line[pos:end]
    if not command:
        raise ParseError("empty command")
    if any(c < "!" or c == "\x7f" for c in command):
        raise ParseError(f"invalid command {command[:20]!r}")
    pos = skip_spaces(end)
    params: list[str] = []
    while pos < n:
        if line[pos] == ":":
            params.append(line[pos + 1 :])
            break
        end = line.find(" ", pos)
        if end == -1:
            end = n
        params.append(line[pos:end])
        pos = skip_spaces(end)
    return Message(command.upper(), tuple(params), source, tags)
