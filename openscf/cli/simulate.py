"""`openscf simulate`: run the synthetic economy and write its database, Parquet and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from openscf.cli.common import fail, plain_console

if TYPE_CHECKING:
    from openscf.sim.run import SimulationResult

__all__ = ["simulate"]

console = plain_console()


class _RichProgress:
    """One progress bar per stage of the simulation."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def stage(self, name: str, total: int | None) -> None:
        if self.task is not None:
            task = self.progress.tasks[self.task] if isinstance(self.task, int) else None
            if task is not None and task.total is not None:
                self.progress.update(self.task, completed=task.total)
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task(name, total=total)

    def update(self, done: int, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=done, total=total)


def simulate(
    firms: Annotated[
        int,
        typer.Option(min=12, help="Firms in the economy: anchors, funders and suppliers together."),
    ] = 200,
    months: Annotated[int, typer.Option(min=1, max=60, help="Months of trading to simulate.")] = 3,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same history.")
    ] = 1,
    out: Annotated[
        Path,
        typer.Option(
            help="Output directory for openscf.db, the Parquet "
            "exports, report.html and summary.json."
        ),
    ] = Path("sim-out"),
    tiers: Annotated[int, typer.Option(min=1, max=6, help="Supplier tiers below the anchors.")] = 3,
    adoption: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of tier-2+ suppliers that join the network."),
    ] = 0.65,
    fraud: Annotated[
        float, typer.Option(min=0.0, help="Scale of injected fraud (0 turns it off).")
    ] = 1.0,
    run_off: Annotated[
        bool,
        typer.Option(
            "--run-off/--no-run-off",
            help="After the last month, run the clock on until every receivable has matured.",
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Platform commands per database transaction.")
    ] = 1000,
    anchor_default: Annotated[
        bool,
        typer.Option(
            "--anchor-default/--no-anchor-default",
            help="Make one anchor fail half-way through the trading months: the operator "
            "declares it in default and recoveries follow (always on from 1,000 firms).",
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Replay the whole log at the end and check every invariant.",
        ),
    ] = True,
    seeds: Annotated[
        str | None,
        typer.Option(
            help="Run several seeds: a count N (seeds "
            "SEED..SEED+N-1) or a list such as 1,2,3. "
            "Each run goes to OUT/seed-S/; OUT/*.parquet "
            "pools them with a seed column."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object.")
    ] = False,
) -> None:
    """Simulate a multi-tier supply-chain finance network and write what happened.

    Anchors, suppliers in tiers and funders trade for MONTHS months; the platform is driven
    through its application layer only. Writes OUT/openscf.db, OUT/*.parquet (firms,
    orders, invoices, receivables, payments, events, labels, health, outcomes),
    OUT/report.html and OUT/summary.json. With --seeds, one such run per seed in OUT/seed-S/
    and the pooled tables in OUT/*.parquet. Exits 2 if the invariant replay finds a
    violation.
    """
    if out.exists() and not out.is_dir():
        fail("not_a_directory", f"--out {out} is a file; give a folder for the results", as_json)
    run_seeds = None if seeds is None else _parse_seeds(seeds, seed, as_json)
    from openscf.sim.config import SimConfig
    from openscf.sim.run import simulate as run_simulation
    from openscf.sim.run import simulate_seeds

    config = SimConfig(
        firms=firms,
        months=months,
        seed=seed,
        tiers=tiers,
        adoption=adoption,
        fraud=fraud,
        run_off=run_off,
        batch_size=batch_size,
        anchor_default=anchor_default,
    )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<36}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    if run_seeds is not None:
        with Progress(*columns, console=Console(stderr=True), disable=as_json) as bars:
            results = simulate_seeds(config, run_seeds, out, _RichProgress(bars), verify=verify)
        _report_seeds(results, out, as_json)
        return
    with Progress(*columns, console=Console(stderr=True), disable=as_json) as bars:
        result = run_simulation(config, out, _RichProgress(bars), verify=verify)
    summary = result.to_dict()
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        counts = result.analysis["counts"]
        table = Table(title=f"openscf simulate: {firms:,} firms, {months} months, seed {seed}")
        table.add_column("what")
        table.add_column("value", justify="right")
        for key in (
            "orders",
            "invoices",
            "receivable_pieces",
            "financings",
            "early_payments",
            "platform_commands",
        ):
            table.add_row(key.replace("_", " "), f"{counts[key]:,}")
        for stage, seconds in result.seconds.items():
            table.add_row(f"seconds: {stage.replace('_', ' ')}", f"{seconds:,.1f}")
        table.add_row("peak memory (MiB)", f"{result.peak_rss_mib:,.0f}")
        if result.replay_ok is not None:
            table.add_row("invariant replay", "OK" if result.replay_ok else "FAILED")
        console.print(table)
        console.print(f"report: {out / 'report.html'}   database: {out / 'openscf.db'}")
    if result.replay_ok is False:
        raise typer.Exit(2)


MAX_SEEDS = 100


def _parse_seeds(text: str, first: int, as_json: bool) -> list[int]:
    """'3' is three seeds from --seed on; '1,2,3' (or '7,') names them."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        fail(
            "invalid_seeds",
            f"--seeds {text!r} is neither a count such as 3 nor a list such as 1,2,3",
            as_json,
        )
    if "," not in text and len(numbers) == 1:
        if not 1 <= numbers[0] <= MAX_SEEDS:
            fail(
                "invalid_seeds",
                f"--seeds {text} runs 1..{MAX_SEEDS} seeds; give a count "
                "in that range or a list such as 1,2,3",
                as_json,
            )
        return list(range(first, first + numbers[0]))
    if not numbers or len(set(numbers)) != len(numbers) or len(numbers) > MAX_SEEDS:
        fail(
            "invalid_seeds",
            f"--seeds {text!r} must list 1..{MAX_SEEDS} distinct seeds, such as 1,2,3",
            as_json,
        )
    return numbers


def _report_seeds(results: list[SimulationResult], out: Path, as_json: bool) -> None:
    """One line per seed, then where the pooled tables are."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        table = Table(title=f"openscf simulate: {len(results)} seeds")
        for column in (
            "seed",
            "invoices",
            "financings",
            "defaulted firms",
            "platform commands",
            "seconds",
            "replay",
        ):
            table.add_column(column, justify="right")
        for r in results:
            counts = r.analysis["counts"]
            defaults = sum(r.analysis["defaults"]["by_tier"]) + len(
                r.analysis["defaults"]["anchors"]
            )
            table.add_row(
                r.config["seed"],
                f"{counts['invoices']:,}",
                f"{counts['financings']:,}",
                f"{defaults:,}",
                f"{counts['platform_commands']:,}",
                f"{sum(r.seconds.values()):,.0f}",
                "-" if r.replay_ok is None else ("OK" if r.replay_ok else "FAILED"),
            )
        console.print(table)
        console.print(f"pooled tables (with a seed column): {out}/*.parquet   runs: {out}/seed-*/")
    if any(r.replay_ok is False for r in results):
        raise typer.Exit(2)
