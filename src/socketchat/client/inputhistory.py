"""Up/Down recall of typed lines, shared by the terminal and desktop clients (the browser has the
same rules in web/static/inputhistory.js, run against the same cases in tests)."""

from __future__ import annotations

__all__ = ["InputHistory"]


class InputHistory:
    """Up/Down recall of the lines typed, newest last (no Tk: tested on its own).

    `older`/`newer` step through what was sent; stepping past the newest gives back what was
    being typed before recalling started, so a half-written line is never lost.
    """

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.sent: list[str] = []
        self.position = 0
        self.draft = ""

    def add(self, text: str) -> None:
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
            del self.sent[: -self.limit]
        self.position = len(self.sent)
        self.draft = ""

    def older(self, current: str) -> str:
        if self.position == len(self.sent):
            self.draft = current
        self.position = max(0, self.position - 1)
        return self.sent[self.position] if self.sent else current

    def newer(self, current: str) -> str:
        if self.position >= len(self.sent):
            return current
        self.position += 1
        return self.sent[self.position] if self.position < len(self.sent) else self.draft
