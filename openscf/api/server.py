"""The ASGI entry point for servers: `uvicorn --factory openscf.api.server:app_from_env`.

`openscf serve` starts uvicorn with this factory by name (the CLI and the API are sibling
adapters and do not import each other). Configuration comes from the environment:

    OPENSCF_DATABASE_URL      the database (as everywhere in openscf)
    OPENSCF_SECURE_COOKIES    "0" to drop the Secure flag from session cookies (plain HTTP
                              on a host other than localhost; never in production)
    OPENSCF_CLOCK_START       an RFC 3339 instant: the server's clock starts there and runs
                              at normal speed (demos, benchmarks, browser tests that need
                              to reach a maturity date); unset: the system clock
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from openscf.api.app import create_app
from openscf.store import database_url, make_engine

__all__ = ["ShiftedClock", "app_from_env"]


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
    return create_app(engine, clock, secure_cookies=secure)
