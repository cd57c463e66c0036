"""Credit risk on the command line: the `openscf risk` group.

    openscf risk features --data DIR --as-of D [--out FILE.parquet | --json]
                          [--engine duckdb|postgres|spark] [--schema S]

Features of every supplier as of the end of day D, from what the network knew that day
(docs/risk.md). The risk package (Ibis, pandas) is imported only when a risk command runs,
so that `openscf --help` stays quick.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from openscf.cli.common import JsonOption, check_choice, fail, plain_console

__all__ = ["register", "risk_app"]

console = plain_console()
risk_app = typer.Typer(
    help="Credit risk from the network's own trade data: point-in-time features (docs/risk.md).",
    no_args_is_help=True,
)
_ENGINES = ("duckdb", "postgres", "spark")


def _parse_day(text: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail("invalid_date", f"--as-of {text!r} is not a date: write YYYY-MM-DD", as_json)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return value


@risk_app.command("features")
def features(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            help="The export to read: a folder of Parquet files written by `openscf "
            "simulate` (duckdb, spark), or a postgresql:// URL (postgres).",
        ),
    ],
    as_of: Annotated[
        str,
        typer.Option("--as-of", help="The day (YYYY-MM-DD): only what was known by its end."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the feature table to this Parquet file."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Where the relational part runs: duckdb (in-process, default), postgres "
            "(tables in --schema of the database at --data) or spark (local mode).",
        ),
    ] = "duckdb",
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="PostgreSQL schema holding the tables (postgres)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Credit features of every supplier as of a date, one row per organisation."""
    check_choice("--engine", engine, _ENGINES, as_json)
    day = _parse_day(as_of, as_json)
    if out is not None and out.suffix != ".parquet":
        fail("bad_output", f"--out {out} must end in .parquet", as_json)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=plain_console(stderr=True),
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(f"opening the data on {engine}", total=None)
        from openscf.risk import FEATURES, compute_features, open_source

        source = open_source(data, engine, schema=schema)
        try:
            progress.update(task, description=f"features as of {day.isoformat()}")
            table = compute_features(source, day)
        finally:
            source.close()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(out, index=False)
    if as_json:
        rows = [
            {key: _plain(value) for key, value in row.items()}
            for row in table.to_dict(orient="records")
        ]
        print(
            json.dumps(
                {
                    "as_of": day.isoformat(),
                    "engine": engine,
                    "organisations": len(table),
                    "features": [f.name for f in FEATURES],
                    "out": str(out) if out is not None else None,
                    "rows": rows,
                }
            )
        )
        return
    where = f", written to {out}" if out is not None else " (--out FILE.parquet to keep them)"
    console.print(
        f"{len(table)} suppliers x {len(FEATURES)} features as of {day.isoformat()} "
        f"on {engine}{where}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
