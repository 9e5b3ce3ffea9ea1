"""Structured logs: one JSON object per line through stdlib logging.

Records carry their fields in ``extra={"fields": {...}}``. The formatter
scrubs anything that looks like a bearer token or a JWT, and the values of
the registered secrets, from every line, so a secret never reaches a log.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["JSONFormatter", "configure_logging", "register_secret", "summarize", "logger"]

logger = logging.getLogger("scicomp.service")
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{16,}")
_secrets: set[str] = set()
_REDACTED = "[REDACTED]"


def register_secret(value: str | bytes | None) -> None:
    """Never let ``value`` appear in a log line (the JWT secret, the encryption key)."""
    if value:
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        if len(text) >= 4:
            # Lines are scrubbed after JSON encoding, so the escaped spellings are secrets too.
            _secrets.update({text, orjson.dumps(text).decode()[1:-1], json.dumps(text)[1:-1]})


def scrub(text: str) -> str:
    """``text`` with tokens and registered secrets replaced by ``[REDACTED]``."""
    if len(text) < 4:
        return text
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    if "eyJ" in text:
        text = _JWT_RE.sub(_REDACTED, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER_RE.sub(r"\1 " + _REDACTED, text)
    return text


def _plain(value: Any) -> Any:
    """JSON stand-in for what the encoder does not know: NumPy scalars as numbers, the rest as text."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    return str(value)


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON line: timestamp, level, logger, message and its fields.

    The line is encoded once (orjson) and scrubbed as a whole; it is kept on the
    record, so a second handler (stderr and a file) does not format it again.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = getattr(record, "_scicomp_json", None)
        if line is not None:
            return line
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            text = orjson.dumps(entry, default=_plain, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()
        except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits, say
            text = json.dumps(entry, default=_plain, separators=(",", ":"), ensure_ascii=False)
        line = scrub(text)
        record._scicomp_json = line
        return line


def configure_logging(level: str = "INFO", log_file: str | None = None) -> None:
    """Send ``scicomp.service`` records as JSON lines to stderr and, optionally, a file.

    The service is an application, so the rest of scicomp's loggers (a backend's
    fallback warning, say) and Python's warnings (captured as ``py.warnings``)
    go through the same JSON handlers: every line the server writes is JSON.
    """
    formatter = JSONFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.captureWarnings(True)
    for target in (logger, logging.getLogger("scicomp"), logging.getLogger("py.warnings")):
        for handler in list(target.handlers):
            if not isinstance(handler, logging.NullHandler):
                target.removeHandler(handler)
                handler.close()
        for handler in handlers:
            target.addHandler(handler)
        target.propagate = False
    logger.setLevel(level.upper())


def summarize(params: dict[str, Any]) -> dict[str, Any]:
    """A log-safe summary of request parameters: arrays become their shapes, never their data."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        shape = getattr(value, "shape", None)
        if shape is not None:
            out[key] = {"shape": list(shape)}
        elif isinstance(value, (list, tuple)):
            out[key] = {"shape": _list_shape(value)}
        elif isinstance(value, dict):
            out[key] = summarize(value)
        elif isinstance(value, str):
            out[key] = value[:64]
        else:
            out[key] = value
    return out


def _list_shape(value: Any) -> list[int]:
    shape: list[int] = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        value = value[0] if value else None
    return shape
