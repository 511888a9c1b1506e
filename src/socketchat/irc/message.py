"""IRC messages with IRCv3 tags: parse a line into a `Message`, serialise it back.

Grammar (modern.ircdocs.horse, ircv3.net/specs/extensions/message-tags)::

    ['@' tags SPACE] [':' source SPACE] command *(SPACE param) [SPACE ':' trailing]

Tag values are escaped (`\\:` for `;`, `\\s` for space, `\\\\`, `\\r`, `\\n`). A tag without a
value and a tag with an empty value are the same thing; both parse to "".
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
    if not any(c in value for c in _ESCAPES):
        return value
    return "".join(_ESCAPES.get(c, c) for c in value)


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
    return ";".join(f"{k}={escape_tag_value(v)}" if v else k for k, v in tags.items())


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
        """Serialise as a UTF-8 line ending in CRLF."""
        return (self.to_line(tags) + "\r\n").encode("utf-8", "replace")

    def __str__(self) -> str:
        return self.to_line()


def serialize(
    command: str,
    params: tuple[str, ...] | list[str] = (),
    source: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    parts: list[str] = []
    if tags:
        parts.append("@" + format_tags(tags))
    if source:
        parts.append(":" + source)
    parts.append(command)
    if params:
        *middle, last = params
        parts.extend(middle)
        if not last or " " in last or last[0] == ":":
            parts.append(":" + last)
        else:
            parts.append(last)
    return " ".join(parts)


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
