"""`openscf api-keys issue` and `openscf auth-events`: credentials on the server's database.

The REST API lets nobody, the operator included, create an API key for another
organisation's user. A new organisation's first key therefore comes from whoever runs the
server, on its database: `openscf api-keys issue --user usr_...` prints the key once (and
the audit trail records it, with actor "cli"). `openscf auth-events` prints that trail:
logins failed, throttled and succeeded, keys created and revoked, users disabled,
sessions ended. Neither ever prints a password or a stored hash.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from openscf.app.queries import Ledger
from openscf.cli.common import DbOption, JsonOption, fail, open_database, plain_console
from openscf.domain.errors import OpenSCFError

__all__ = ["register"]

console = plain_console()
api_keys_app = typer.Typer(
    help="API keys of users, on the server's database.", no_args_is_help=True
)


@api_keys_app.command("issue")
def issue(
    user: Annotated[str, typer.Option("--user", help="The user (usr_...) the key is for.")],
    name: Annotated[str, typer.Option(help="A name to tell the key apart.")] = "cli",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key for a user (a new organisation's first key) and print it once."""
    from openscf.app.auth import Authenticator

    engine = open_database(db, as_json=as_json)
    try:
        created = Authenticator(engine).issue_api_key(user, name, created_by="cli")
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    key = created.key
    if as_json:
        print(
            json.dumps(
                {
                    "id": key.id,
                    "user_id": key.user_id,
                    "org_id": key.org_id,
                    "name": key.name,
                    "secret": created.secret,
                }
            )
        )
        return
    console.print(f"API key {key.id} for {key.user_id} ({key.org_id}); shown once, store it:")
    print(f"  {created.secret}", flush=True)  # never wrapped by the terminal width


def auth_events(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. login_failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="The newest N.")] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The security audit trail of logins, keys, sessions and disabled users."""
    engine = open_database(db, as_json=as_json)
    rows = Ledger(engine).auth_events(limit=limit, org_id=org, kind=kind)
    if as_json:
        print(json.dumps({"object": "list", "data": rows}))
        return
    table = Table(title=f"auth events (newest {limit})")
    for col in (
        "occurred_at",
        "kind",
        "org_id",
        "user_id",
        "actor_id",
        "address",
        "login",
        "credential_id",
        "detail",
    ):
        table.add_column(col)
    for row in rows:
        table.add_row(
            *(
                str(row[c] or "")
                for c in (
                    "occurred_at",
                    "kind",
                    "org_id",
                    "user_id",
                    "actor_id",
                    "address",
                    "login",
                    "credential_id",
                    "detail",
                )
            )
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(api_keys_app, name="api-keys")
    app.command("auth-events")(auth_events)
