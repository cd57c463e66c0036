"""The ASGI entry point for servers: `uvicorn --factory openscf.api.server:app_from_env`.

`openscf serve` starts uvicorn with this factory by name (the CLI and the API are sibling
adapters and do not import each other). Configuration is the one settings object
(`openscf.settings`: the environment and an optional file, see docs/operations.md): the
database, cookies, the clock, the docs UI, the body and header timeouts, logging.

Idle keep-alive connections are closed after `KEEP_ALIVE_SECONDS` (uvicorn's
`timeout_keep_alive`); uvicorn itself bounds the size of a request's headers.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from openscf.api.app import create_app
from openscf.settings import load_settings
from openscf.store import database_url, make_engine

__all__ = [
    "KEEP_ALIVE_SECONDS",
    "PROTOCOL",
    "HeaderDeadlineProtocol",
    "ShiftedClock",
    "app_from_env",
]

KEEP_ALIVE_SECONDS = 5
HEADER_TIMEOUT_SECONDS = 10.0
# For uvicorn's `http=` option, by name (the CLI does not import the API).
PROTOCOL = "openscf.api.server:HeaderDeadlineProtocol"


def _header_timeout_seconds() -> float:
    """OPENSCF_HEADER_TIMEOUT_SECONDS, read once per process (each connection asks)."""
    global _HEADER_TIMEOUT
    if _HEADER_TIMEOUT is None:
        _HEADER_TIMEOUT = load_settings().header_timeout_seconds
    return _HEADER_TIMEOUT


_HEADER_TIMEOUT: float | None = None


class HeaderDeadlineProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol, closing a connection that has not sent a whole request's
    headers within OPENSCF_HEADER_TIMEOUT_SECONDS of opening or of its last response
    (uvicorn's keep-alive timer stops at the first byte, so a client trickling headers
    would otherwise hold the connection open for ever)."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        seconds = _header_timeout_seconds()
        self._deadline = self.loop.call_later(seconds, self._headers_late)

    def _headers_late(self) -> None:
        self._deadline = None
        cycle = getattr(self, "cycle", None)
        if cycle is None or cycle.response_complete:  # no request under way
            self.transport.close()


class ShiftedClock:
    """Starts at `start` and runs at the speed of the system's monotonic clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start needs a time zone, e.g. 2026-06-01T09:00:00Z")
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def app_from_env() -> FastAPI:
    settings = load_settings()
    global _HEADER_TIMEOUT
    _HEADER_TIMEOUT = settings.header_timeout_seconds
    engine = make_engine(database_url(None))
    start = settings.clock_start
    clock = ShiftedClock(datetime.fromisoformat(start.replace("Z", "+00:00"))) if start else None
    return create_app(
        engine,
        clock,
        secure_cookies=settings.secure_cookies,
        body_timeout_seconds=settings.body_timeout_seconds,
        docs=settings.docs,
        settings=settings,
    )
