"""The Alembic migrations build exactly the schema the code describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from openscf.store import migrate
from openscf.store.queries import log_size
from openscf.store.tables import metadata


def test_migrations_produce_the_schema_of_the_tables_module(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_is_harmless_and_the_log_starts_empty(engine: Engine) -> None:
    migrate(engine)
    assert {"events", "receivables", "log_head"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert log_size(conn) == 0


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
