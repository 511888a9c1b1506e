"""How log records are written: text for people, JSON lines for log shippers.

``log_format = "json"`` in ``[server]`` makes every record one JSON object on one line (UTF-8,
no embedded newlines: tracebacks are a string field), with the keys ``time`` (ISO 8601, UTC,
milliseconds), ``level``, ``logger`` and ``message``; audit records (`server/audit.py`) add their
fields (``event``, ``actor``, ``mask``...). Loki, Vector, Fluent Bit and journald's JSON readers
take it as it is.
"""

from __future__ import annotations

import json
import logging
import time

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        ms = int(record.created * 1000) % 1000
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        out: dict[str, object] = {
            "time": f"{stamp}.{ms:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "audit", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                out.setdefault(key, value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def apply_log_format(log_format: str) -> None:
    """Give every handler of the root logger the formatter (at start and after a rehash)."""
    formatter = formatter_for(log_format)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
