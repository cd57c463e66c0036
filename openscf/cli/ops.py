"""Operating a deployment: `openscf config show`, `openscf db upgrade`, `openscf db current`,
and the root `--config FILE` option (docs/operations.md).

    openscf [--config FILE] config show [--json]
    openscf db current [--db URL] [--json]
    openscf db upgrade [--db URL] [--json]
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from openscf.cli.common import DbOption, JsonOption, connect_database, fail, plain_console, show_url
from openscf.settings import CONFIG_VARIABLE, load_settings
from openscf.store import SchemaStatus, check_schema, database_url, migrate, schema_status

__all__ = ["register", "upgrade_hint"]

console = plain_console()

config_app = typer.Typer(
    help="The effective settings (environment, settings file, defaults).", no_args_is_help=True
)
db_app = typer.Typer(
    help="The database schema: where it stands, and upgrading it.", no_args_is_help=True
)


def upgrade_hint(db: str | None) -> str:
    """The command that upgrades the database `--db` names (its password masked)."""
    return "openscf db upgrade" + (f" --db {show_url(database_url(db))}" if db else "")


@config_app.command("show")
def config_show(as_json: JsonOption = False) -> None:
    """Print every setting's effective value and where it came from; secrets masked."""
    settings = load_settings()
    rows = settings.shown()
    if as_json:
        print(
            json.dumps(
                {
                    "config_file": settings.config_file,
                    "settings": [
                        {"name": name, "value": value, "source": source}
                        for name, value, source, _ in rows
                    ],
                },
                indent=2,
            )
        )
        return
    table = Table(
        title="openscf settings" + (f" ({settings.config_file})" if settings.config_file else "")
    )
    table.add_column("setting", no_wrap=True)
    for column in ("value", "from"):
        table.add_column(column, overflow="fold")
    for name, value, source, _ in rows:
        table.add_row(name, value, source)
    console.print(table)


def _status_json(status: SchemaStatus, url: str) -> dict[str, Any]:
    return {
        "database": show_url(url),
        "revision": status.database,
        "code_revision": status.code,
        "state": status.state,
    }


_SAYS = {
    "current": "current",
    "behind": "older than this openscf: run `openscf db upgrade`",
    "ahead": "newer than this openscf (a newer version migrated it; never downgraded)",
    "empty": "empty: `openscf serve` or `openscf db upgrade` creates the schema",
}


@db_app.command("current")
def db_current(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the database's schema revision against this openscf's; exit 1 unless current."""
    engine = connect_database(db, as_json=as_json)
    url = engine.url.render_as_string(hide_password=False)
    status = schema_status(engine)
    engine.dispose()
    if as_json:
        print(json.dumps(_status_json(status, url)))
    else:
        console.print(f"database: {show_url(url)}", soft_wrap=True)
        console.print(
            f"schema revision: {status.database or 'none'}  (this openscf: {status.code})",
            soft_wrap=True,
        )
        console.print(f"state: {_SAYS[status.state]}", soft_wrap=True)
    if not status.current:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Bring the database's schema up to this openscf's (back it up first); never downgrades."""
    engine = connect_database(db, as_json=as_json)
    url = engine.url.render_as_string(hide_password=False)
    before = schema_status(engine)
    if before.state == "ahead":
        check_schema(engine)  # raises: one line saying why
    migrate(engine)
    after = schema_status(engine)
    engine.dispose()
    if as_json:
        print(json.dumps({**_status_json(after, url), "previous_revision": before.database}))
        return
    if before.current:
        console.print(f"{show_url(url)}: already current at {after.code}", soft_wrap=True)
    else:
        previous = before.database or "an empty database"
        console.print(f"{show_url(url)}: upgraded from {previous} to {after.code}", soft_wrap=True)
    if not after.current:  # pragma: no cover - migrate either reaches head or raises
        fail("schema_mismatch", f"the schema is still at {after.database}", as_json)


def root(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help=f"A TOML settings file (same as ${CONFIG_VARIABLE}); the environment wins "
            "over it. See `openscf config show`.",
        ),
    ] = None,
) -> None:
    """openscf: an open supply-chain finance network. Confirmed payables become
    receivables that suppliers split, pass down their chain, or sell for cash today."""
    if config:
        # Through the environment, so the server's worker processes read the same file.
        os.environ[CONFIG_VARIABLE] = config
    load_settings()  # an unknown or malformed setting stops here, in one line


def register(app: Any) -> None:
    app.callback()(root)
    app.add_typer(config_app, name="config")
    app.add_typer(db_app, name="db")
