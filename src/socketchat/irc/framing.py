"""Split a byte stream into IRC lines, enforcing length limits and UTF-8.

`LineBuffer.feed(data)` returns what the bytes completed: `str` lines (without line endings) and
`FramingError` values for lines that were too long or not UTF-8. It never raises: the caller turns
errors into replies. CRLF and bare LF both end a line; empty lines are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

# 512 bytes for the message itself (with CRLF) plus 8191 for the tag section (with '@' and space):
# the most a server may send. (What a server accepts from a client is less: 4096 bytes of tags,
# `Limits.max_tag_bytes`.)
MAX_LINE = 512
MAX_TAGS = 8191


@dataclass(frozen=True, slots=True)
class FramingError:
    kind: str  # "too-long" or "bad-utf8"
    detail: str
    command: str = "*"  # the line's command when it could be read (for FAIL <command> ...)


class LineBuffer:
    """Accumulates bytes; yields complete lines. Limits of 0 switch the length check off."""

    __slots__ = ("_buf", "_discarding", "max_line", "max_tags")

    def __init__(self, max_line: int = MAX_LINE, max_tags: int = MAX_TAGS) -> None:
        self._buf = b""
        self._discarding = False  # inside an over-long line: drop bytes until its end
        self.max_line = max_line
        self.max_tags = max_tags

    @property
    def limit(self) -> int:
        return self.max_line + self.max_tags if self.max_line else 0

    def feed(self, data: bytes) -> list[str | FramingError]:
        out: list[str | FramingError] = []
        buf = self._buf + data if self._buf else data
        start = 0
        limit = self.limit
        while True:
            nl = buf.find(b"\n", start)
            if nl == -1:
                break
            raw = buf[start:nl]
            start = nl + 1
            if self._discarding:
                self._discarding = False
                continue
            self._emit(raw, out, limit)
        rest = buf[start:]
        if self._discarding:
            rest = b""
        elif limit and len(rest) > limit:
            out.append(FramingError("too-long", "Input line too long"))
            self._discarding = True
            rest = b""
        self._buf = rest
        return out

    def _emit(self, raw: bytes, out: list[str | FramingError], limit: int) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            return
        if limit and self._too_long(raw):
            out.append(FramingError("too-long", "Input line too long"))
            return
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(FramingError("bad-utf8", "Input line is not valid UTF-8", _command(raw)))

    def _too_long(self, raw: bytes) -> bool:
        if raw[:1] == b"@":
            space = raw.find(b" ")
            tag_len = space + 1 if space != -1 else len(raw)
            if tag_len > self.max_tags:
                return True
            return len(raw) - tag_len + 2 > self.max_line
        return len(raw) + 2 > self.max_line

    @property
    def pending(self) -> int:
        """Bytes held for an incomplete line."""
        return len(self._buf)


def _command(raw: bytes) -> str:
    """The command word of a raw line (past its tags and source), if it is plain ASCII: UTF8ONLY
    asks for `FAIL <command> INVALID_UTF8`, so a client learns which of its commands was refused."""
    words = [w for w in raw.split(b" ") if w]
    if words and words[0][:1] == b"@":
        words = words[1:]
    if words and words[0][:1] == b":":
        words = words[1:]
    if words and words[0].isascii() and words[0].isalnum():
        return words[0].decode().upper()
    return "*"
