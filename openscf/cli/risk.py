"""Credit risk on the command line: the `openscf risk` group.

    openscf risk features --data DIR --as-of D [--out FILE.parquet | --json]
                          [--engine duckdb|postgres|spark] [--schema S]

Features of every supplier as of the end of day D, from what the network knew that day
(docs/risk.md).

    openscf risk benchmark --csv FILE --target COL [--event LABEL] [--folds 5 --repeats 3]
                           [--seed N] [--json]

Cross-validates the champion (a WoE scorecard) and the challenger (LightGBM) on any
two-class CSV, so that a funder can check the models on its own book; a missing target
column or a target that is not two classes is refused in one line.

    openscf risk fraud --data DIR [--as-of D] [--kind K] [--min-score S] [--json]

Fraud flags with their evidence, from the observable tables in DIR (the output of
`openscf simulate`), as known on D.

The risk package (Ibis, pandas) is imported only when a risk command runs,
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
from rich.table import Table

from openscf.cli.common import JsonOption, check_choice, fail, plain_console
from openscf.errors import OpenSCFError

__all__ = ["register", "risk_app"]

console = plain_console()
risk_app = typer.Typer(
    help="Credit risk and fraud from the network's own trade data (docs/risk.md).",
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
        str | None,
        typer.Option(
            "--kind",
            help="Only this kind: duplicate_invoice, phantom_invoice, circular_trading, "
            "volume_jump.",
        ),
    ] = None,
    min_score: Annotated[
        float, typer.Option("--min-score", help="Only flags scoring at least this (0-1).")
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Fraud flags (duplicates, phantom invoices, circular trading, volume jumps), each with
    its score and evidence."""
    from openscf.risk.fraud import KINDS, detect_fraud

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


# --- the default models end to end ------------------------------------------------------


def _progress(as_json: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=plain_console(stderr=True),
        transient=True,
        disable=as_json,
    )


def _load(path: Path, sha256: str | None, as_json: bool) -> Any:
    """A model artefact, checked against the hash its record states (`--sha256`, else the
    `ID.record.json` beside it)."""
    from openscf.risk.models import load_model

    try:
        content = path.read_bytes()
    except OSError as exc:
        fail("unreadable_file", f"cannot read {path}: {exc.strerror}", as_json)
    if sha256 is None:
        record = path.with_name(path.name.replace(".model.json", ".record.json"))
        try:
            sha256 = str(json.loads(record.read_text())["sha256"])
        except (OSError, ValueError, KeyError):
            fail(
                "missing_record",
                f"no record {record.name} beside the model: give its hash with --sha256",
                as_json,
            )
    try:
        return load_model(content, expected_sha256=sha256)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)


ModelOption = Annotated[
    Path, typer.Option("--model", help="A model artefact (ID.model.json from `risk train`).")
]
ShaOption = Annotated[
    str | None,
    typer.Option("--sha256", help="The hash the artefact must have (default: its record's)."),
]


@risk_app.command("train")
def train(
    data: Annotated[
        list[str], typer.Option("--data", help="A simulated export folder (repeat for more).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The folder for artefacts and cards.")],
    target: Annotated[
        str, typer.Option("--target", help="default_90d or default_180d.")
    ] = "default_90d",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the models.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Train the champion (WoE scorecard) and the challenger (LightGBM) on the month-end
    panel of simulated exports; write each artefact, record and model card into --out."""
    from openscf.risk.workflow import TARGETS, train_models

    check_choice("--target", target, TARGETS, as_json)
    with _progress(as_json) as progress:
        task = progress.add_task("reading the data", total=None)
        try:
            records = train_models(
                data,
                out,
                target=target,
                seed=seed,
                progress=lambda text: progress.update(task, description=text),
            )
        except OpenSCFError as exc:
            fail(exc.code, exc.message, as_json)
    if as_json:
        print(json.dumps({"out": str(out), "models": records}))
        return
    for r in records:
        console.print(
            f"{r['role']}: {r['model_id']} ({r['kind']}), sha256 {r['sha256']}, "
            f"in {out / (r['model_id'] + '.model.json')}"
        )


@risk_app.command("score")
def score(
    data: Annotated[str, typer.Option("--data", help="A simulated export folder.")],
    model: ModelOption,
    as_of: Annotated[str, typer.Option("--as-of", help="The day (YYYY-MM-DD).")],
    sha256: ShaOption = None,
    as_json: JsonOption = False,
) -> None:
    """PD, grade and the top reasons of every supplier as of a date."""
    from openscf.risk.workflow import score_export

    day = _parse_day(as_of, as_json)
    loaded = _load(model, sha256, as_json)
    with _progress(as_json) as progress:
        progress.add_task(f"scoring as of {day.isoformat()}", total=None)
        try:
            rows = score_export(data, loaded, day)
        except OpenSCFError as exc:
            fail(exc.code, exc.message, as_json)
    if as_json:
        print(json.dumps({"model": loaded.record(), "as_of": day.isoformat(), "rows": rows}))
        return
    table = Table(show_edge=False)
    for name in ("supplier", "PD (bps)", "grade", "reasons"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["org_id"], str(r["pd_bps"]), r["grade"], "; ".join(r["reasons"]))
    console.print(table)


@risk_app.command("report")
def report(
    data: Annotated[str, typer.Option("--data", help="A simulated export folder.")],
    model: ModelOption,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The scoring date for PSI (default: the data's last day)."),
    ] = None,
    sha256: ShaOption = None,
    as_json: JsonOption = False,
) -> None:
    """A self-contained HTML report: ROC, calibration, grades with indicative prices and
    realised losses, PSI between the training months and the scoring date."""
    from openscf.risk.workflow import report_html

    day = None if as_of is None else _parse_day(as_of, as_json)
    loaded = _load(model, sha256, as_json)
    with _progress(as_json) as progress:
        task = progress.add_task("reading the data", total=None)
        try:
            text = report_html(
                data,
                loaded,
                as_of=day,
                progress=lambda t: progress.update(task, description=t),
            )
        except OpenSCFError as exc:
            fail(exc.code, exc.message, as_json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if as_json:
        print(json.dumps({"out": str(out), "model_id": loaded.model_id}))
        return
    console.print(f"report on {loaded.model_id} written to {out}")
