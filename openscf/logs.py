"""Logging for a running server: one JSON object per line, or plain text, and the request
context every record of a request carries.

`configure_logging("json" | "text", level)` sets up the root logger (and uvicorn's, through
`uvicorn_log_config`). A JSON record holds `time` (RFC 3339 UTC), `level`, `logger`,
`message`, the request's `request_id`, `org_id` and `user_id` when a request is under way
(`request_context`, set by the API's middleware and filled in by whichever adapter
authenticates the caller), and the fields a caller passes in `extra` (`route`, `status`,
`duration_ms`, ...).

Never logged: a key, password, token, API key or document content. The adapters log ids,
route templates (never raw paths or query strings) and outcomes; as a last guard every
record is scrubbed of anything shaped like an API key (`sk_...`) or a bearer credential.

May import: the standard library only (every adapter uses it).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "EXTRA_FIELDS",
    "JsonFormatter",
    "RequestContext",
    "TextFormatter",
    "configure_logging",
    "note_caller",
    "request_context",
    "scrub",
    "uvicorn_log_config",
]


class RequestContext(dict[str, str | None]):
    """request_id, org_id, user_id of the request under way (a mutable holder: the
    adapter that authenticates the caller fills in who it is, on whatever thread)."""


request_context: ContextVar[RequestContext | None] = ContextVar(
    "openscf_request_context", default=None
)


def note_caller(org_id: str, user_id: str) -> None:
    """Record who the current request is from (no-op outside a request)."""
    found = request_context.get()
    if found is not None:
        found["org_id"] = org_id
        found["user_id"] = user_id


# The fields a record may carry through `extra=`; anything else is left out of the line.
EXTRA_FIELDS = (
    "method",
    "route",
    "status",
    "duration_ms",
    "command",
    "outcome",
    "code",
    "batch_size",
    "incident",
)

_SECRET_SHAPES = re.compile(
    r"(sk_[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,}|"
    r"(?i:password|passwd|secret|token)=[^\s&]+)"
)


def scrub(text: str) -> str:
    """`text` with anything shaped like an API key or a bearer credential masked."""
    return _SECRET_SHAPES.sub("***", text)


def _instant(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _instant(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        context = request_context.get()
        if context is not None:
            for key in ("request_id", "org_id", "user_id"):
                if context.get(key):
                    line[key] = context[key]
        for key in EXTRA_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value ...` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            _instant(record.created),
            record.levelname.lower(),
            f"{record.name}:",
            scrub(record.getMessage()),
        ]
        context = request_context.get()
        if context is not None:
            parts += [
                f"{k}={context[k]}" for k in ("request_id", "org_id", "user_id") if context.get(k)
            ]
        parts += [
            f"{key}={record.__dict__[key]}"
            for key in EXTRA_FIELDS
            if record.__dict__.get(key) is not None
        ]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + scrub(self.formatException(record.exc_info))
        return text


_FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


def uvicorn_log_config(log_format: str, level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn (its `log_config=`): every logger,
    uvicorn's and openscf's, writes through the chosen formatter to stderr. uvicorn's own
    access log is left off: the API writes one line per request with more in it."""
    formatter = f"openscf.logs.{_FORMATTERS[log_format].__name__}"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"openscf": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "openscf",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # Readiness reads the schema's revision on every probe; alembic says so at info.
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str, level: str = "info", stream: Any = None) -> None:
    """The root logger writes through the chosen formatter (replacing its handlers)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_FORMATTERS[log_format]())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
