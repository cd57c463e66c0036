"""`openscf keys generate` and `openscf submit`: client-side keys and signed requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from openscf.cli.common import DbOption, fail, open_database, plain_console
from openscf.client import RequestSigner, generate_key_file
from openscf.domain.commands import COMMAND_TYPES, command_from_data
from openscf.domain.errors import OpenSCFError

console = plain_console()
keys_app = typer.Typer(help="Client-side signing keys.", no_args_is_help=True)


@keys_app.command("generate")
def generate(
    out: Annotated[
        Path, typer.Option(help="Where to write the private key (created with mode 0600).")
    ],
) -> None:
    """Create an Ed25519 key that never leaves this machine; prints the public key to
    register with `RegisterKey` (by your admin, or the operator for your first key)."""
    try:
        public = generate_key_file(out)
    except FileExistsError:
        fail("key_exists", f"{out} exists; not overwriting a key (give another --out)")
    print(public)  # whole, never wrapped: it is copied into RegisterKey


def submit(
    command: Annotated[str, typer.Argument(help=f"Command type: {', '.join(COMMAND_TYPES)}.")],
    data: Annotated[str, typer.Argument(help="The command's fields as a JSON object.")],
    org: Annotated[str, typer.Option(help="Your organisation id.")],
    user: Annotated[str, typer.Option(help="Your user id.")],
    key_id: Annotated[str, typer.Option(help="The registered id of your key.")],
    key_file: Annotated[Path, typer.Option(help="Your private key file.", exists=True)],
    db: DbOption = None,
) -> None:
    """Sign a command here, on the client side, and submit it. Ids it creates are filled
    in first, in your organisation's namespace (rcv_<org id without org_>.<ULID>), so the
    signature covers them; ids you give yourself must carry that prefix too. The server
    only ever sees the signature."""
    from openscf.app import NetworkService

    try:
        parsed = command_from_data(command, json.loads(data))
        try:
            signer = RequestSigner.from_file(key_file, key_id)
        except (ValueError, UnicodeDecodeError):
            fail(
                "invalid_key_file",
                f"--key-file {key_file} is not a private key; give the "
                "file `openscf keys generate` wrote",
            )
        signed = signer.sign(parsed, org, user)
        outcome = NetworkService(open_database(db)).handle_signed(
            signed.request, signed.key_id, signed.signature
        )
    except json.JSONDecodeError as exc:
        fail("invalid_json", f"DATA is not a JSON object: {exc}")
    except OpenSCFError as exc:
        fail(exc.code, exc.message)
    print(
        json.dumps(
            {"command": outcome.command, "created": outcome.created, "events": outcome.events},
            indent=2,
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.command()(submit)
