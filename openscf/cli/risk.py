"""`openscf risk`: risk tools over a network's data.

openscf risk fraud --data DIR [--as-of D] [--kind K] [--min-score S] [--json]
    fraud flags with their evidence, from the observable tables in DIR (the output of
    `openscf simulate`), as known on D
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from openscf.cli.common import JsonOption, check_choice, fail, plain_console
from openscf.domain.errors import OpenSCFError
from openscf.risk.fraud import KINDS, detect_fraud

__all__ = ["register", "risk_app"]

console = plain_console()
risk_app = typer.Typer(help="Risk: fraud flags over a network's data.", no_args_is_help=True)


@risk_app.command("fraud")
def fraud(
    data: Annotated[
        Path,
        typer.Option("--data", help="A directory of observable tables (openscf simulate --out)."),
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Use only what was known on this day (YYYY-MM-DD)."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only this kind: {', '.join(KINDS)}.")
    ] = None,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Only flags scoring at least this (0-1).")
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Fraud flags (duplicates, phantom invoices, circular trading, volume jumps), each with
    its score and evidence."""
    check_choice("--kind", kind, KINDS, as_json)
    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(
                "invalid_date", f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD", as_json
            )
    try:
        flags = detect_fraud(data, day)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    flags = [f for f in flags if (kind is None or f.kind == kind) and f.score >= min_score]
    if as_json:
        print(json.dumps({"as_of": as_of, "flags": [f.to_dict() for f in flags]}))
        return
    console.print(f"{len(flags)} fraud flags" + (f" as of {as_of}" if as_of else ""))
    for f in flags:
        console.print(
            f"{f.flagged_on.isoformat()}  {f.kind}  {f.invoice_id}  {f.org_id}  "
            f"score {f.score:.2f}\n    {f.summary}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
