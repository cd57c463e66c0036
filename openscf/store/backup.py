"""Backups and restores of an openscf database, taken while the server runs.

A backup is one file holding one consistent moment of the database: every transaction
committed before the backup's snapshot was taken is in it whole, none after it is in it at
all. Since every command commits its records and its log entries in one transaction, the
copy holds exactly the commands acknowledged up to that moment, and its log is a prefix of
the live log (an auditor can check the copy on its own with `openscf audit`).

- SQLite: the online backup API (`sqlite3.Connection.backup` in one step), which copies
  the database inside one read transaction; in WAL mode writers go on meanwhile. The file
  is a SQLite database.
- PostgreSQL: `pg_dump --format=custom` of the database at a snapshot this module exports
  (`pg_export_snapshot()` in a REPEATABLE READ transaction held open for the dump), so the
  log size it reports is the size of the log in the file. The file is a pg_dump archive,
  restored with `pg_restore`. pg_dump must be at least the server's major version.

`restore` recognises the file by its first bytes, refuses a target of the other kind and a
target that already holds tables (unless `replace=True`), and reports the restored log's
size. The master key (which unseals custodial keys) is not in the database and never in a
backup: it is backed up separately (docs/operations.md).

Connection settings for the PostgreSQL tools go through libpq's environment (PGHOST,
PGPASSWORD ...), never the command line, so a password is not visible in `ps`.

May import: SQLAlchemy, `openscf.errors`, `openscf.store.db`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from openscf.errors import Conflict, InternalError, InvalidRequest
from openscf.store.db import make_engine

__all__ = ["BackupInfo", "backup", "backup_kind", "restore"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupInfo:
    """What a backup or a restore holds: its kind, the log's size, the file's size."""

    kind: str  # "sqlite" or "postgresql"
    log_size: int
    file_bytes: int


def backup_kind(path: Path) -> str:
    """ "sqlite" or "postgresql" from the file's first bytes; a caller's error otherwise."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise InvalidRequest("no_such_file", f"no backup file at {path}") from None
    except IsADirectoryError:
        raise InvalidRequest("not_a_backup", f"{path} is a directory, not a backup file") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise InvalidRequest(
        "not_a_backup",
        f"{path} is neither a SQLite backup nor a pg_dump archive; "
        "give a file written by `openscf backup`",
    )


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise InvalidRequest("invalid_database_url", "an in-memory database cannot be backed up")
    return Path(database)


def _log_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one())


def _refuse_existing(out: Path, replace: bool) -> None:
    if out.exists() and not replace:
        raise Conflict(
            "file_exists", f"{out} exists; choose another --out or pass --force to replace it"
        )
    if not out.parent.is_dir():
        raise InvalidRequest("no_such_directory", f"the folder {out.parent} does not exist")


def backup(engine: Engine, out: Path, *, replace: bool = False) -> BackupInfo:
    """Write a consistent copy of the database to `out` (written beside it, then renamed)."""
    _refuse_existing(out, replace)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            log_size = _backup_sqlite(_sqlite_path(engine), partial)
            kind = "sqlite"
        else:
            log_size = _backup_postgresql(engine, partial)
            kind = "postgresql"
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(kind, log_size, out.stat().st_size)


def _backup_sqlite(source: Path, out: Path) -> int:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(out)
    try:
        # One step (pages=-1): the whole copy inside one read transaction of the source,
        # so it is one consistent moment; WAL lets writers go on meanwhile.
        src.backup(dst, pages=-1)
        # The copy stands alone: a rollback journal, so it is one file once closed.
        dst.execute("PRAGMA journal_mode=DELETE")
        return int(dst.execute("SELECT size FROM log_head WHERE id = 1").fetchone()[0])
    finally:
        dst.close()
        src.close()


def _libpq_env(engine: Engine) -> dict[str, str]:
    """libpq's environment for the engine's database: the tools read it, so a password
    never appears on a command line."""
    url = engine.url
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({k: str(v) for k, v in pairs.items() if v})
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidRequest(
            "postgresql_tools_missing",
            f"{name} is not on PATH; install the PostgreSQL client tools "
            "(the same major version as the server, or newer)",
        )
    return found


def _run_tool(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own tool path and arguments
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        name = Path(args[0]).name
        raise InternalError(f"{name}_failed", f"{name} failed (exit {done.returncode}): {reason}")


def _backup_postgresql(engine: Engine, out: Path) -> int:
    pg_dump = _tool("pg_dump")
    # A snapshot held open for the dump: pg_dump reads exactly what this transaction sees,
    # and the log size read here is the one in the file.
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
        log_size = int(conn.exec_driver_sql("SELECT size FROM log_head WHERE id = 1").scalar_one())
        _run_tool(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner", f"--file={out}"],
            _libpq_env(engine),
        )
        conn.exec_driver_sql("COMMIT")
    return log_size


def restore(source: Path, url: str, *, replace: bool = False) -> BackupInfo:
    """Bring the backup in `source` back into the database at `url` (a new SQLite file, or
    an empty PostgreSQL database); `replace` overwrites one that holds tables."""
    kind = backup_kind(source)
    target = make_url(url).get_backend_name()
    if kind != target:
        raise InvalidRequest(
            "wrong_database_kind",
            f"{source} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup; restore "
            f"it into a {'SQLite file' if kind == 'sqlite' else 'postgresql:// database'}",
        )
    if kind == "sqlite":
        _restore_sqlite(source, Path(make_url(url).database or ""), replace)
    engine = make_engine(url)
    try:
        if kind == "postgresql":
            _restore_postgresql(source, engine, replace)
        if not inspect(engine).has_table("log_head"):
            raise InvalidRequest("not_a_backup", f"{source} holds no openscf log")
        log_size = _log_size(engine)
    finally:
        engine.dispose()
    return BackupInfo(kind, log_size, source.stat().st_size)


def _restore_sqlite(source: Path, target: Path, replace: bool) -> None:
    if not target.name or str(target) == ":memory:":
        raise InvalidRequest("invalid_database_url", "give the file path to restore into")
    if not target.parent.is_dir():
        raise InvalidRequest("no_such_directory", f"the folder {target.parent} does not exist")
    if target.exists() and target.stat().st_size > 0 and not replace:
        raise Conflict(
            "database_not_empty",
            f"{target} exists; restore into a new file, or pass --force to replace it",
        )
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise InvalidRequest("damaged_backup", f"{source} is damaged: {check}")
        dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        raise InvalidRequest("damaged_backup", f"{source} cannot be read: {exc}") from None
    finally:
        dst.close()
        src.close()
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(partial, target)


def _restore_postgresql(source: Path, engine: Engine, replace: bool) -> None:
    pg_restore = _tool("pg_restore")
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ).scalar_one()
    if tables and not replace:
        raise Conflict(
            "database_not_empty",
            f"the database {engine.url.database} holds {tables} tables; restore into an "
            "empty database, or pass --force to drop what the backup holds and replace it",
        )
    args = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction"]
    args += ["--exit-on-error", f"--dbname={engine.url.database}"]
    if tables:
        args += ["--clean", "--if-exists"]
    _run_tool([*args, str(source)], _libpq_env(engine))
