"""Injected time and entropy: the app never calls datetime.now() or os.urandom directly."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from typing import Protocol

from openscf.domain.ids import make_id

__all__ = ["Clock", "FixedClock", "IdFactory", "SystemClock"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to: for tests, the demo and the simulator."""

    def __init__(self, start: datetime) -> None:
        assert start.tzinfo is not None
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, instant: datetime) -> None:
        assert instant.tzinfo is not None
        self._now = instant


class IdFactory:
    """Fresh time-sortable ids. Seeded for reproducible runs, os.urandom otherwise."""

    def __init__(self, clock: Clock, seed: int | None = None) -> None:
        self._clock = clock
        self._random = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        entropy = self._random.randbytes(10) if self._random is not None else os.urandom(10)
        unix_ms = int(self._clock.now().timestamp() * 1000)
        return make_id(prefix, unix_ms, entropy)
