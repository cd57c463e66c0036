"""The simulator's hands on the platform: batched commands through the app layer only.

Every change the simulator makes to the network goes through `NetworkService.handle_many`
(each command seeing the ones before it), inside a `session` per simulated day: every
batch is written to the log as it runs (its events numbered, a checkpoint signed), and the
day commits once. Refused commands
leave no trace on the platform; their error codes come back so the simulator keeps its
own picture of the network identical to the platform's, and are tallied for the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from openscf.app import FixedClock, NetworkService
from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError

__all__ = ["Platform"]


class Platform:
    """Runs commands in batches and counts what was accepted and what was refused."""

    def __init__(
        self,
        engine: Engine,
        start: datetime,
        seed: int,
        batch_size: int,
        on_commands: Callable[[int], None] | None = None,
    ) -> None:
        self.clock = FixedClock(start)
        self.service = NetworkService(engine, self.clock, seed=seed)
        self.batch_size = batch_size
        self.accepted: Counter[str] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()
        self.examples: dict[tuple[str, str], str] = {}
        self.commands = 0
        self.operator_org = ""
        self._on_commands = on_commands

    def bootstrap(self, name: str) -> str:
        self.operator_org, user = self.service.bootstrap_operator(name)
        return user

    @contextmanager
    def session(self) -> Iterator[None]:
        """One transaction for every `run` inside the block (see `NetworkService.session`)."""
        with self.service.session():
            yield

    def run(self, items: Sequence[tuple[str, c.Command]]) -> list[str | None]:
        """Run `items` in order; return None for each accepted command, else its code."""
        codes: list[str | None] = []
        for k in range(0, len(items), self.batch_size):
            chunk = items[k : k + self.batch_size]
            for (_, command), result in zip(chunk, self.service.handle_many(chunk), strict=True):
                name = type(command).__name__
                if isinstance(result, OpenSCFError):
                    self.refused[(name, result.code)] += 1
                    self.examples.setdefault((name, result.code), result.message)
                    codes.append(result.code)
                else:
                    self.accepted[name] += 1
                    codes.append(None)
            self.commands += len(chunk)
            if self._on_commands is not None:
                self._on_commands(len(chunk))
        return codes
