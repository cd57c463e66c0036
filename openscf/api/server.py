"""The ASGI entry point for servers: `uvicorn --factory openscf.api.server:app_from_env`.

`openscf serve` starts uvicorn with this factory by name (the CLI and the API are sibling
adapters and do not import each other). Configuration comes from the environment:

    OPENSCF_DATABASE_URL      the database (as everywhere in openscf)
    OPENSCF_SECURE_COOKIES    "0" to drop the Secure flag from session cookies (plain HTTP
                              on a host other than localhost; never in production)
    OPENSCF_CLOCK_START       an RFC 3339 instant: the server's clock starts there and runs
                              at normal speed (demos, benchmarks, browser tests that need
                              to reach a maturity date); unset: the system clock
    OPENSCF_DOCS              "1" to serve the Swagger UI at /v1/docs (when its files are
                              installed, see `openscf.api.docs`); off by default
    OPENSCF_BODY_TIMEOUT_SECONDS    a request body must arrive whole within this many
                              seconds of its headers (default 30), else 408 and the
                              connection is closed
    OPENSCF_HEADER_TIMEOUT_SECONDS  a connection must send a request's headers within
                              this many seconds of opening, or of the previous response
                              (default 10), else it is closed (`PROTOCOL`)

Idle keep-alive connections are closed after `KEEP_ALIVE_SECONDS` (uvicorn's
`timeout_keep_alive`); uvicorn itself bounds the size of a request's headers.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from openscf.api.app import BODY_TIMEOUT_SECONDS, create_app
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


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    seconds = float(value)
    if not 0 < seconds <= 3600:
        raise ValueError(f"{name} must be a number of seconds between 0 and 3600")
    return seconds


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
        seconds = _seconds("OPENSCF_HEADER_TIMEOUT_SECONDS", HEADER_TIMEOUT_SECONDS)
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
    engine = make_engine(database_url(None))
    secure = os.environ.get("OPENSCF_SECURE_COOKIES", "1") != "0"
    start = os.environ.get("OPENSCF_CLOCK_START")
    clock = ShiftedClock(datetime.fromisoformat(start.replace("Z", "+00:00"))) if start else None
    return create_app(
        engine,
        clock,
        secure_cookies=secure,
        body_timeout_seconds=_seconds("OPENSCF_BODY_TIMEOUT_SECONDS", BODY_TIMEOUT_SECONDS),
        docs=os.environ.get("OPENSCF_DOCS", "0") == "1",
    )
