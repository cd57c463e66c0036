"""Risk intelligence on the command line.

    openscf risk benchmark --csv FILE --target COL [--event LABEL] [--folds 5 --repeats 3]
        cross-validate the champion (scorecard) and the challenger (LightGBM) on any
        two-class CSV: a funder checks the models on its own book

Every refusal is one line (a missing file or target column, a target that is not two
classes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from openscf.cli.common import JsonOption, fail, plain_console
from openscf.errors import OpenSCFError

__all__ = ["register", "risk_app"]

console = plain_console()
risk_app = typer.Typer(
    help="Risk intelligence: default models, their benchmark and their monitoring.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")


@risk_app.command("benchmark")
def benchmark(
    csv: Annotated[Path, typer.Option("--csv", help="A CSV file, one row per loan or firm.")],
    target: Annotated[
        str, typer.Option("--target", help="The two-class column to predict (any labels).")
    ],
    event: Annotated[
        str | None,
        typer.Option("--event", help="The label that is the event (default: the rarer one)."),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Folds per repeat.")] = 5,
    repeats: Annotated[int, typer.Option("--repeats", help="Repeats of the k folds.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds and models.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Cross-validate the champion and the challenger on a CSV (repeated stratified
    k-fold) and print each one's AUC with a 95 % bootstrap interval.

    Numeric columns are read as numbers, any other column as categories; the event (1) is
    the rarer class unless --event names it. Nothing is tuned on the test folds.
    """
    from openscf.risk.evaluation import cross_validate, read_dataset

    try:
        data = read_dataset(csv, target, event=event)
        result = cross_validate(data, folds=folds, repeats=repeats, seed=seed)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    _show(result)


def _show(result: dict[str, Any]) -> None:
    console.print(
        f"{result['rows']} rows, event {result['target']} = {result['event']!r} "
        f"({result['events']} rows); {len(result['numerical'])} numeric and "
        f"{len(result['categorical'])} categorical columns; "
        f"{result['repeats']} x {result['folds']}-fold stratified CV, seed {result['seed']}"
    )
    if result["dropped_rows"] or result["dropped_columns"]:
        console.print(
            f"dropped {result['dropped_rows']} rows with no target, constant columns: "
            f"{', '.join(result['dropped_columns']) or 'none'}"
        )
    table = Table(show_edge=False)
    for name in ("model", "AUC", "95 % interval", "fold sd", "CPU s"):
        table.add_column(name)
    for kind, row in result["models"].items():
        role = "champion" if kind == result["champion"] else "challenger"
        auc = row["auc"]
        table.add_row(
            f"{kind} ({role})",
            f"{auc['point']:.3f}",
            f"{auc['low']:.3f} - {auc['high']:.3f}",
            f"{row['fold_auc_sd']:.3f}",
            f"{row['cpu_seconds']:.1f}",
        )
    console.print(table)
