"""Engines and migrations: SQLite (WAL, one file) by default, PostgreSQL when asked.

`OPENSCF_DATABASE_URL` chooses the database; otherwise `./openscf.db`. SQLite write
transactions start with BEGIN IMMEDIATE, so two writers queue on the database lock
instead of deadlocking on an upgrade from a read lock; the loser of a race then reads the
winner's result and gets a proper conflict error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect

from openscf.errors import InternalError

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "SchemaMismatch",
    "SchemaStatus",
    "check_schema",
    "code_revision",
    "database_url",
    "make_engine",
    "migrate",
    "schema_status",
    "sqlite_url",
]

DEFAULT_SQLITE_PATH = "openscf.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(path)}"


def database_url(db_path: str | None = None) -> str:
    """--db PATH wins, then OPENSCF_DATABASE_URL, then ./openscf.db."""
    if db_path:
        return db_path if "://" in db_path else sqlite_url(db_path)
    from openscf.settings import load_settings

    return load_settings().database_url or sqlite_url(DEFAULT_SQLITE_PATH)


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


def migrate(engine: Engine, to: str = "head") -> None:
    """Bring the schema to the latest migration (idempotent; `to`: an older revision, for
    tests of upgrades). Never downgrades: a schema newer than this code's is refused
    (`SchemaMismatch`) before anything runs."""
    if schema_status(engine).state == "ahead":
        check_schema(engine)
    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, to)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("log_head")


class SchemaMismatch(InternalError):
    """The system's (the operator's to fix): the database's schema is older or newer than
    this code's; the message says which command to run."""

    code = "schema_mismatch"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this code's migrations.

    state: "current" (at the code's head), "behind" (an older revision of this code:
    `openscf db upgrade` brings it up), "ahead" (a revision this code does not know: a
    newer openscf migrated it; never downgraded here), "empty" (no openscf tables yet).
    """

    database: str | None
    code: str
    state: str

    @property
    def current(self) -> bool:
        return self.state == "current"


def code_revision() -> str:
    """The head revision of the migrations shipped with this code."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_status(engine: Engine) -> SchemaStatus:
    scripts = ScriptDirectory.from_config(_alembic_config())
    head = scripts.get_current_head()
    assert head is not None
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None:
            state = "behind" if inspect(connection).has_table("log_head") else "empty"
        elif revision == head:
            state = "current"
        else:
            known = {script.revision for script in scripts.walk_revisions()}
            state = "behind" if revision in known else "ahead"
    return SchemaStatus(revision, head, state)


def check_schema(engine: Engine, *, upgrade_command: str = "openscf db upgrade") -> SchemaStatus:
    """The status, if the schema is this code's; `SchemaMismatch` (one line saying what to
    do) if it is older or newer. An empty database passes (it is created on first use)."""
    status = schema_status(engine)
    if status.state == "behind":
        raise SchemaMismatch(
            f"the database schema is at revision {status.database or 'none'}, older than "
            f"this openscf's {status.code}; back it up, then run `{upgrade_command}`"
        )
    if status.state == "ahead":
        raise SchemaMismatch(
            f"the database schema is at revision {status.database}, which this openscf does "
            f"not know (its newest is {status.code}): a newer openscf migrated it; run that "
            "version (openscf never downgrades a schema)"
        )
    return status
