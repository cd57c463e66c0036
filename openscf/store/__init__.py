"""The store: SQLAlchemy 2 tables, the unit of work, read queries and Alembic migrations.

SQLite (WAL mode, one file) by default, PostgreSQL through psycopg 3 when
`OPENSCF_DATABASE_URL` says so.

May import: `openscf.domain`, `openscf.trust`, SQLAlchemy, Alembic.
"""

from openscf.store.db import (
    SchemaMismatch,
    SchemaStatus,
    check_schema,
    code_revision,
    database_url,
    is_initialised,
    make_engine,
    migrate,
    schema_status,
    sqlite_url,
)
from openscf.store.uow import DbState, UnitOfWork, unit_of_work

__all__ = [
    "DbState",
    "SchemaMismatch",
    "SchemaStatus",
    "UnitOfWork",
    "check_schema",
    "code_revision",
    "database_url",
    "is_initialised",
    "make_engine",
    "migrate",
    "schema_status",
    "sqlite_url",
    "unit_of_work",
]
