"""`openscf backup` and `openscf restore`: a consistent copy of a running network's
database, and bringing it back into a fresh place.

The master key (which unseals custodial signing keys and the log's key) is not in the
database and so never in a backup: `backup` says where it lives, and `restore
--master-key FILE` puts a copy of it where the restored database looks for it.
docs/operations.md ("Backup", "Restore") has the whole recipe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from openscf.app.keys import install_master_key, master_key_path
from openscf.cli.common import (
    DbOption,
    JsonOption,
    connect_database,
    open_database,
    plain_console,
    show_url,
)
from openscf.settings import load_settings
from openscf.store import database_url
from openscf.store.backup import backup as take_backup
from openscf.store.backup import restore as bring_back

__all__ = ["backup", "register", "restore"]

console = plain_console()


def _where_the_key_is(url: str) -> str:
    if load_settings().master_key:
        return "the master key is OPENSCF_MASTER_KEY in this environment; keep a copy apart"
    return f"copy the master key file {master_key_path(url)} apart from the backup"


def backup(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The backup file to write (a SQLite database, or a pg_dump custom archive "
            "for PostgreSQL).",
            dir_okay=False,
        ),
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a consistent copy of the database while the server runs.

    SQLite: the online backup API (one read transaction; writers go on). PostgreSQL:
    pg_dump --format=custom at one snapshot (pg_dump on PATH, at least the server's major
    version). The copy holds every command acknowledged before it started and its log is a
    prefix of the live one. The master key is NOT in it: back it up separately.
    """
    engine = open_database(db, as_json=as_json)
    url = engine.url.render_as_string(hide_password=False)
    try:
        info = take_backup(engine, out, replace=force)
    finally:
        engine.dispose()
    key_note = _where_the_key_is(url)
    if as_json:
        print(
            json.dumps(
                {
                    "file": str(out),
                    "kind": info.kind,
                    "log_size": info.log_size,
                    "bytes": info.file_bytes,
                    "master_key": key_note,
                }
            )
        )
        return
    console.print(
        Text("backup written", style="bold green"),
        f": {out} ({info.kind}, {info.log_size} log entries, {info.file_bytes} bytes) "
        f"from {show_url(url)}",
        sep="",
    )
    console.print(f"master key not included: {key_note}")


def restore(
    file: Annotated[
        Path,
        typer.Argument(help="A file written by `openscf backup`.", dir_okay=False),
    ],
    db: DbOption = None,
    master_key: Annotated[
        Path | None,
        typer.Option(
            "--master-key",
            help="The backed-up master key file: copied (mode 0600) to where the restored "
            "database looks for it, unless OPENSCF_MASTER_KEY is set.",
            dir_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a database that is not empty (a SQLite file is overwritten; on "
            "PostgreSQL the backup's tables are dropped and recreated).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Bring a backup back into a fresh database (a new SQLite file, or an empty
    PostgreSQL database); refuses one that holds data unless --force. Then run
    `openscf audit` on it."""
    url = database_url(db)
    if url.startswith("postgresql") or url.startswith("postgres://"):
        connect_database(db, as_json=as_json).dispose()  # reachable, or one line
    info = bring_back(file, url, replace=force)
    installed = None
    if master_key is not None and not load_settings().master_key:
        installed = install_master_key(master_key, url)
    if as_json:
        print(
            json.dumps(
                {
                    "database": show_url(url),
                    "kind": info.kind,
                    "log_size": info.log_size,
                    "master_key": str(installed) if installed else None,
                }
            )
        )
        return
    console.print(
        Text("restored", style="bold green"),
        f": {file} into {show_url(url)} ({info.log_size} log entries); "
        "check it with `openscf audit`",
        sep="",
    )
    if installed is not None:
        console.print(f"master key installed at {installed}")
    elif not load_settings().master_key:
        console.print(
            f"no master key given: custodial signing needs it at {master_key_path(url)} "
            "(or OPENSCF_MASTER_KEY); see --master-key"
        )


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
