"""The SQL dialect of the unit of work: prepared SQL text for SQLite and for PostgreSQL.

Everything that differs between the two databases on the write path lives here: the DBAPI
paramstyle (`?` or `%s`), how dates are stored, the lock that makes a unit of work
exclusive, psycopg's pipeline mode, and which driver errors mean "this transaction lost a
race". The statements are built once per process from the table shapes in `tables.py`.

Why raw DBAPI SQL text at all: this is the hot path of every command, and SQLAlchemy's
statement construction costs more than SQLite's execution.

May import: `openscf.store.mapping` (and through it the domain's record classes) and
SQLAlchemy. Not the identity map, the log writer or the unit of work: they import this.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table

from openscf.domain.model import Credit, Dispute, FraudFlag, Invoice, Organisation, User
from openscf.store.mapping import TABLE_OF

__all__ = ["Dialect", "TableSql", "lost_race", "pipeline"]


@dataclass(frozen=True)
class TableSql:
    """Prepared statements for one record table, and where its key and version sit."""

    columns: tuple[str, ...]
    keys: tuple[str, ...]
    select_by_key: str
    select_in_prefix: str
    insert: str
    update: str
    update_columns: tuple[str, ...]
    key_positions: tuple[int, ...]
    version_position: int


def _table_sql(table: Table, mark: str) -> TableSql:
    columns = tuple(c.name for c in table.columns)
    keys = tuple(c.name for c in table.primary_key.columns)
    cols = ", ".join(columns)
    where = " AND ".join(f"{k} = {mark}" for k in keys)
    update_columns = tuple(c for c in columns if c not in keys and c != "version")
    sets = ", ".join(f"{c} = {mark}" for c in (*update_columns, "version"))
    return TableSql(
        columns=columns,
        keys=keys,
        select_by_key=f"SELECT {cols} FROM {table.name} WHERE {where}",
        select_in_prefix=f"SELECT {cols} FROM {table.name} WHERE {keys[0]} IN ",
        insert=f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join([mark] * len(columns))})",
        update=f"UPDATE {table.name} SET {sets} WHERE {where} AND version = {mark}",
        update_columns=update_columns,
        key_positions=tuple(columns.index(k) for k in keys),
        version_position=columns.index("version"),
    )


class Dialect:
    """Prepared SQL for one DBAPI paramstyle, built once per process."""

    _cache: dict[str, Dialect] = {}

    def __init__(self, name: str) -> None:
        self.name = name
        self.mark = "?" if name == "sqlite" else "%s"
        # SQLite stores DATE as ISO text; psycopg adapts date objects itself.
        self.dates_as_text = name == "sqlite"
        # SQLite's write transactions are exclusive anyway (BEGIN IMMEDIATE); PostgreSQL
        # needs the log head's row lock taken before the first read.
        self.lock_log_head = (
            "SELECT size FROM log_head WHERE id = 1 FOR UPDATE" if name == "postgresql" else None
        )
        self.tables = {cls: _table_sql(table, self.mark) for cls, table in TABLE_OF.items()}
        self._record_sql()
        self._log_sql()

    def _record_sql(self) -> None:
        m = self.mark
        self.invoice_by_number = (
            f"SELECT {', '.join(self.tables[Invoice].columns)} FROM invoices "
            f"WHERE anchor_id = {m} AND supplier_id = {m} AND number_key = {m}"
        )
        u, o = self.tables[User].columns, self.tables[Organisation].columns
        self.actor = (
            f"SELECT {', '.join('u.' + c for c in u)}, {', '.join('o.' + c for c in o)} "
            f"FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = {m}"
        )
        self.idempotency_get = f"SELECT request_hash, response FROM idempotency WHERE key = {m}"
        self.idempotency_in = "SELECT key, request_hash, response FROM idempotency WHERE key IN "
        self.idempotency_put = f"INSERT INTO idempotency VALUES ({m}, {m}, {m}, {m})"
        self.sealed_secret = f"SELECT sealed FROM custodial_secrets WHERE key_id = {m}"
        self.insert_secret = f"INSERT INTO custodial_secrets (key_id, sealed) VALUES ({m}, {m})"
        self.credits_of = (
            f"SELECT {', '.join(self.tables[Credit].columns)} FROM credits "
            f"WHERE program_id = {m} AND supplier_id = {m}"
        )
        self.open_disputes = (
            f"SELECT {', '.join(self.tables[Dispute].columns)} FROM disputes "
            f"WHERE anchor_id = {m} AND supplier_id = {m} AND number_key = {m} "
            "AND status = 'open'"
        )
        self.any_open_fraud_flag = "SELECT 1 FROM fraud_flags WHERE status = 'open' LIMIT 1"
        self.open_fraud_flags = (
            f"SELECT {', '.join(self.tables[FraudFlag].columns)} FROM fraud_flags "
            f"WHERE anchor_id = {m} AND supplier_id = {m} AND number_key = {m} "
            "AND status = 'open'"
        )

    def _log_sql(self) -> None:
        m = self.mark
        self.log_head = "SELECT size, root FROM log_head WHERE id = 1"
        self.advance_log = (
            f"UPDATE log_head SET size = size + {m} WHERE id = 1 RETURNING size, root"
        )
        self.set_root = f"UPDATE log_head SET root = {m} WHERE id = 1"
        self.set_log_identity = f"INSERT INTO log_identity (id, origin, vkey) VALUES (1, {m}, {m})"
        self.get_tile = f"SELECT hashes FROM log_tiles WHERE level = {m} AND idx = {m}"
        self.put_tile = (
            f"INSERT INTO log_tiles (level, idx, width, hashes) VALUES ({m}, {m}, {m}, {m}) "
            "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, "
            "hashes = excluded.hashes"
        )
        self.last_checkpoint = "SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1"
        self.insert_checkpoint = (
            f"INSERT INTO checkpoints (size, root, note, signed_at) VALUES ({m}, {m}, {m}, {m})"
        )
        self.insert_event = (
            f"INSERT INTO events (seq, id, type, org_id, actor_id, occurred_at, body, leaf_hash) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})"
        )
        self.insert_ref = f"INSERT INTO event_refs (ref, seq, kind) VALUES ({m}, {m}, {m})"

    @classmethod
    def of(cls, name: str) -> Dialect:
        if name not in cls._cache:
            cls._cache[name] = cls(name)
        return cls._cache[name]

    def placeholders(self, n: int) -> str:
        return "(" + ", ".join([self.mark] * n) + ")"


def pipeline(connection: Connection) -> Any:
    """psycopg's pipeline mode: queue statements, one round trip at the end."""
    driver: Any = connection.connection.driver_connection
    if hasattr(driver, "pipeline"):
        return driver.pipeline()
    return nullcontext()


def lost_race(exc: BaseException) -> bool:
    """Whether a driver's error says the transaction lost a race: SQLite's lock wait timed
    out, PostgreSQL chose it as a deadlock victim or failed to serialise it, or another
    transaction created the same row."""
    message = str(exc).lower()
    return any(
        word in message
        for word in (
            "locked",
            "deadlock",
            "serializ",
            "unique",
            "duplicate key",
            "constraint failed",
        )
    )
