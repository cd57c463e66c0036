"""What every `openscf` command shares: the --db and --json options, the error exit, and
opening an existing database (never creating one by accident)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from openscf.store import database_url, is_initialised, make_engine

__all__ = ["DbOption", "JsonOption", "fail", "open_database"]

_err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file path or database URL (default: "
                 "$OPENSCF_DATABASE_URL, else ./openscf.db)."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of text.")
]


def fail(code: str, message: str, as_json: bool = False) -> NoReturn:
    """Print the error (as JSON for scripts) and exit 1."""
    if as_json:
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        _err.print(f"[bold red]error[/] ({code}): {message}")
    raise typer.Exit(1)


def open_database(db: str | None, *, as_json: bool = False) -> Engine:
    """An engine on an existing openscf database; a clear error otherwise."""
    url = database_url(db)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.exists():
            fail("no_database", f"no database at {path}; run `openscf demo --db {path}` first",
                 as_json=as_json)
    engine = make_engine(url)
    if not is_initialised(engine):
        fail("not_initialised", f"{url} is not an openscf database (no log); run "
             "`openscf demo` first", as_json=as_json)
    return engine
