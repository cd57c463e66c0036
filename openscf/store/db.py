"""Engines and migrations: SQLite (WAL, one file) by default, PostgreSQL when asked.

`OPENSCF_DATABASE_URL` chooses the database; otherwise `./openscf.db`. SQLite write
transactions start with BEGIN IMMEDIATE, so two writers queue on the database lock
instead of deadlocking on an upgrade from a read lock; the loser of a race then reads the
winner's result and gets a proper conflict error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

__all__ = ["DEFAULT_SQLITE_PATH", "database_url", "make_engine", "migrate", "sqlite_url"]

DEFAULT_SQLITE_PATH = "openscf.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(path)}"


def database_url(db_path: str | None = None) -> str:
    """--db PATH wins, then OPENSCF_DATABASE_URL, then ./openscf.db."""
    if db_path:
        return db_path if "://" in db_path else sqlite_url(db_path)
    return os.environ.get("OPENSCF_DATABASE_URL") or sqlite_url(DEFAULT_SQLITE_PATH)


def _normalise(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver; accept the plain scheme users type.
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def make_engine(url: str, *, synchronous: str = "NORMAL", **kwargs: Any) -> Engine:
    """An engine configured for the platform's transactions.

    synchronous: SQLite's durability setting. NORMAL in WAL mode survives a process crash
    (a commit is in the WAL before it returns) but may lose the last commits on power loss;
    FULL fsyncs every commit.
    """
    url = _normalise(url)
    # A statement's parameters (password hashes, secrets, business data) never appear in an
    # exception's text, so a logged traceback of a failed statement cannot leak them.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take over transaction control from the sqlite3 module (it would BEGIN late
            # and DEFERRED); see "begin" below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # A larger page cache and less frequent WAL checkpoints: hot pages (the log
            # head, exposure rows, index tails) are rewritten by every command, and a
            # checkpoint copies each page once however often it changed in between.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA wal_autocheckpoint=10000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers (the unit of work marks its connection) take the write lock up
            # front; readers take none, so they never queue behind a writer (WAL).
            if conn.get_execution_options().get("openscf_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    # No pre-ping: it costs a round trip per transaction; a dead connection surfaces as an
    # error on first use, which the pool then discards.
    return create_engine(url, pool_recycle=3600, **kwargs)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent)."""
    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("log_head")
