"""The unit of work: one database transaction per command (or per batch of commands).

It composes three parts, each in its own module:
- `identity_map.DbState`: the domain's `State` over the open transaction; reads each
  record once, collects writes and plans them in one global order with version checks;
- `log_writer.LogWriter`: appends the events to the Merkle log in the same transaction,
  after the records;
- `dialect.Dialect`: the prepared SQL for SQLite or PostgreSQL that both run.
It owns what is left: custodial secrets, idempotency records, and the order of the two
round trips in `flush` that makes writers never wait on each other in a cycle.

May import: `openscf.domain`, `openscf.store.dialect`, `openscf.store.identity_map`,
`openscf.store.log_writer` and SQLAlchemy. Callers import the unit of work, `DbState`,
`CheckpointSigner`, `LogIntegrityError` and `forget_log_cache` from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from openscf.domain.errors import ConcurrencyConflict
from openscf.domain.events import EventRecord
from openscf.store.dialect import Dialect, lost_race, pipeline
from openscf.store.identity_map import DbState
from openscf.store.log_writer import (
    CheckpointSigner,
    LogIntegrityError,
    LogWriter,
    forget_log_cache,
)

__all__ = [
    "CheckpointSigner",
    "DbState",
    "LogIntegrityError",
    "UnitOfWork",
    "forget_log_cache",
    "unit_of_work",
]


class UnitOfWork:
    """One transaction: a DbState, the event log append, and idempotency records."""

    def __init__(
        self,
        connection: Connection,
        *,
        optimistic_ids: bool = True,
        checkpoint_signer: CheckpointSigner | None = None,
    ) -> None:
        self.connection = connection
        self.state = DbState(connection, optimistic_ids=optimistic_ids)
        self.log = LogWriter(connection, self.state.cursor, self.state.dialect, checkpoint_signer)
        self._secrets: list[tuple[str, bytes]] = []
        self._remember: list[tuple[str, str, Any, str]] = []
        self._idempotency: dict[str, tuple[str, str] | None] = {}
        self._rendered = 0  # how many of `logged` the idempotency rows already saw

    @property
    def checkpoint_signer(self) -> CheckpointSigner | None:
        return self.log.checkpoint_signer

    def sealed_secret(self, key_id: str) -> bytes | None:
        cur = self.state.cursor
        cur.execute(self.state.dialect.sealed_secret, (key_id,))
        row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def set_log_identity(self, origin: str, vkey: str) -> None:
        self.log.set_identity(origin, vkey)

    def checkpoint_now(self, signer: CheckpointSigner) -> int:
        """Sign a checkpoint for the current log head, if newer than the last one."""
        return self.log.checkpoint_now(signer)

    def store_secret(self, key_id: str, sealed: bytes) -> None:
        """Keep a sealed custodial seed, written with the events that register its key."""
        self._secrets.append((key_id, sealed))

    def append(self, records: Sequence[EventRecord]) -> None:
        """Queue events for the log; they get sequence numbers when the work commits."""
        self.log.append(records)

    @property
    def logged(self) -> list[EventRecord]:
        """Events written by `flush`, with their sequence numbers."""
        return self.log.logged

    def prefetch_idempotency(self, keys: Iterable[str]) -> None:
        wanted = sorted({k for k in keys if k not in self._idempotency})
        d, cur = self.state.dialect, self.state.cursor
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            cur.execute(d.idempotency_in + d.placeholders(len(chunk)), chunk)
            for key, request_hash, response in cur.fetchall():
                self._idempotency[key] = (request_hash, response)
            for key in chunk:
                self._idempotency.setdefault(key, None)

    def idempotent_response(self, key: str, *, reread: bool = False) -> tuple[str, str] | None:
        """(request hash, stored response) under the key, or None. `reread` asks the
        database again (a concurrent transaction may have committed it since)."""
        if reread and self._idempotency.get(key) is None:
            self._idempotency.pop(key, None)
        if key not in self._idempotency:
            cur = self.state.cursor
            cur.execute(self.state.dialect.idempotency_get, (key,))
            found = cur.fetchone()
            self._idempotency[key] = None if found is None else (found[0], found[1])
        return self._idempotency[key]

    def remember(self, key: str, request_hash: str, response: Any, at: str) -> None:
        """Store the response under the key when the work commits. `response` is a string
        or an object with `to_json()` (rendered after sequence numbers are assigned)."""
        if self._idempotency.get(key) is not None:
            raise ConcurrencyConflict("the same id was used twice in one batch")
        self._idempotency[key] = (request_hash, "")
        self._remember.append((key, request_hash, response, at))

    def _remember_rows(self) -> list[tuple[str, str, str, str]]:
        """The idempotency rows, rendered once the events have their sequence numbers."""
        rows = []
        if self._remember:
            # Only this flush's events: a long unit of work flushes many times.
            seq_of = {r.id: r.seq for r in self.logged[self._rendered :]}
            for key, request_hash, response, at in self._remember:
                if hasattr(response, "assign_seqs"):
                    response.assign_seqs(seq_of)
                text = response if isinstance(response, str) else response.to_json()
                rows.append((key, request_hash, text, at))
                # A later lookup in this transaction (after a flush) sees the answer as a
                # later transaction would.
                self._idempotency[key] = (request_hash, text)
            self._remember = []
        self._rendered = len(self.logged)
        return rows

    def flush(self) -> None:
        """Write records, then the log, then idempotency records: two round trips.

        First round trip: the log head advance and the conditional updates (a lost race
        shows as a stale version before anything is inserted). Taking the log head's row
        lock serialises appends across processes, so sequence numbers are dense and in
        commit order; it is held only for this flush and the commit.
        Second round trip: every insert.
        """
        state, d = self.state, self.state.dialect
        updates, inserts = state.plan_writes()
        if not (updates or inserts or self.log.has_pending or self._remember or self._secrets):
            return
        conn: Any = state.connection.connection.driver_connection
        checks: list[Any] = []
        with pipeline(state.connection):
            # The log head first: every writer queues on its row lock before it locks any
            # record, so writers never wait on each other in a cycle, and an exclusive
            # unit of work (which holds the head from its start) never deadlocks.
            self.log.queue_advance(conn)
            for sql, params in updates:
                cur = conn.cursor()
                cur.execute(sql, params)
                checks.append(cur)
        if any(cur.rowcount != 1 for cur in checks):
            raise ConcurrencyConflict()
        log_rows = self.log.prepare()
        remember_rows = self._remember_rows()
        cur = state.cursor
        with pipeline(state.connection):
            for sql, rows in inserts:
                cur.executemany(sql, rows)
            if self._secrets:
                cur.executemany(d.insert_secret, self._secrets)
                self._secrets = []
            if log_rows is not None:
                self.log.write(log_rows)
            if remember_rows:
                cur.executemany(d.idempotency_put, remember_rows)


@contextmanager
def unit_of_work(
    engine: Engine,
    *,
    optimistic_ids: bool = True,
    exclusive: bool = False,
    checkpoint_signer: CheckpointSigner | None = None,
) -> Iterator[UnitOfWork]:
    """Commit when the block ends normally; roll back everything on any exception.

    exclusive: take the log head's row lock before the first read, so that no other
    transaction can commit a change (every change appends to the log, which takes that
    lock first in `flush`) between this one's reads and its commit. For retries after a
    lost race; SQLite's write transactions are exclusive anyway (BEGIN IMMEDIATE).
    """
    dbapi = engine.dialect.loaded_dbapi
    try:
        with engine.connect() as connection:
            connection.execution_options(openscf_write=True)
            with connection.begin():
                lock = Dialect.of(connection.dialect.name).lock_log_head
                if exclusive and lock is not None:
                    connection.exec_driver_sql(lock)
                uow = UnitOfWork(
                    connection, optimistic_ids=optimistic_ids, checkpoint_signer=checkpoint_signer
                )
                yield uow
                uow.flush()
    except (IntegrityError, OperationalError) as exc:
        # Another transaction created the same row, or SQLite's lock wait timed out, or
        # PostgreSQL chose this transaction as a deadlock victim: it lost a race.
        if isinstance(exc, IntegrityError) or lost_race(exc.orig or exc):
            raise ConcurrencyConflict() from exc
        raise
    except (dbapi.IntegrityError, dbapi.OperationalError) as exc:
        if isinstance(exc, dbapi.IntegrityError) or lost_race(exc):
            raise ConcurrencyConflict() from exc
        raise
