"""One simulation from start to finish: database, economy, replay, exports, report.

    result = simulate(SimConfig(firms=10_000, months=12, seed=1), Path("out"))

writes `out/openscf.db` (SQLite), `out/*.parquet`, `out/report.html` and
`out/summary.json`, and returns the summary. Progress goes to an optional `Progress`.

    results = simulate_seeds(config, [1, 2, 3], Path("out"))

runs one economy per seed into `out/seed-1/`, `out/seed-2/`, ... and pools their tables
into `out/*.parquet`, each with a leading `seed` column (ids repeat across seeds: a row is
named by its seed and its id).
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, event

from openscf.domain.replay import replay
from openscf.sim.analysis import analyse
from openscf.sim.config import SimConfig
from openscf.sim.economy import Economy
from openscf.sim.export import EXPORTS, export_all
from openscf.sim.pricing import Pricing
from openscf.sim.report import render_report
from openscf.store import make_engine, migrate, sqlite_url
from openscf.store.queries import iter_events

__all__ = ["Progress", "SimulationResult", "pool_tables", "seed_dir", "simulate", "simulate_seeds"]


class Progress(Protocol):
    """Where a long simulation reports how far it got."""

    def stage(self, name: str, total: int | None) -> None: ...

    def update(self, done: int, total: int | None = None) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def update(self, done: int, total: int | None = None) -> None:
        pass


@dataclass
class SimulationResult:
    config: dict[str, Any]
    out: str
    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    replay_ok: bool | None = None
    replay_events: int = 0
    violations: list[str] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    # The market's base rate by month (YYYY-MM -> basis points), as every pricer saw it.
    base_rate_bps: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _big_page_cache(engine: Engine, mib: int) -> None:
    """A simulation writes gigabytes through one connection: a page cache of `mib` MiB
    (instead of the store's default) keeps the hot B-tree pages of the growing tables in
    memory. A connection setting only; nothing is written outside the app layer."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(mib) * 1024}")
        cursor.close()


def simulate(
    config: SimConfig,
    out: Path,
    progress: Progress | None = None,
    *,
    verify: bool = True,
    export: bool = True,
    cache_mib: int = 1024,
    pricing: Pricing | None = None,
) -> SimulationResult:
    """Run the economy on a fresh SQLite database in `out` and write its outputs.
    `pricing` replaces the market's pricing functions (see `openscf.sim.pricing`)."""
    progress = progress or _Silent()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "openscf.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    engine = make_engine(sqlite_url(db))
    _big_page_cache(engine, cache_mib)
    migrate(engine)
    result = SimulationResult(config={k: str(v) for k, v in asdict(config).items()}, out=str(out))
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[name] = round(now - clock, 2)
        clock = now

    stage = {"name": ""}

    def on_progress(what: str, done: int, total: int) -> None:
        if what != stage["name"]:
            stage["name"] = what
            progress.stage(what, total)
        progress.update(done, total)

    economy = Economy(engine, config, progress=on_progress, pricing=pricing)
    lap("build_world")
    economy.run()
    lap("simulate")
    # Close the simulation's connection (and its big page cache) before the replay, which
    # holds the whole rebuilt state in memory; it reads through a plain engine.
    engine.dispose()
    if verify:
        progress.stage("invariant replay of the log", 1)
        reader = make_engine(sqlite_url(db))
        with reader.connect() as conn:
            check = replay(iter_events(conn))
        reader.dispose()
        result.replay_ok = check.ok
        result.replay_events = check.events
        result.violations = [f"{v.code}: {v.message}" for v in check.violations[:50]]
        del check  # the rebuilt state is large; only the verdict is kept
        progress.update(1, 1)
        lap("replay")
    result.analysis = analyse(economy)
    result.base_rate_bps = _base_rate_by_month(economy)
    if export:
        names = [
            "firms",
            "orders",
            "invoices",
            "payments",
            "labels",
            "health",
            "receivables",
            "events",
        ]
        progress.stage("writing Parquet exports", len(names))
        done = {"n": 0}

        def exported(_name: str) -> None:
            done["n"] += 1
            progress.update(done["n"], len(names))

        result.rows = export_all(economy, engine, out, exported)
        lap("export")
        progress.stage("writing the report", 1)
        subtitle = (
            f"{config.firms:,} firms, {config.months} months from "
            f"{config.start.isoformat()}, seed {config.seed}; "
            f"{result.analysis['counts']['platform_commands']:,} platform commands"
            + (
                ""
                if result.replay_ok is None
                else f"; invariant replay {'OK' if result.replay_ok else 'FAILED'}"
            )
        )
        (out / "report.html").write_text(
            render_report(
                result.analysis,
                title="openscf simulated supply-chain finance network",
                subtitle=subtitle,
            ),
            encoding="utf-8",
        )
        progress.update(1, 1)
        lap("report")
    engine.dispose()
    result.peak_rss_mib = round(_peak_rss_mib(), 1)
    (out / "summary.json").write_text(
        json.dumps(result.to_dict(), indent=2, default=str), encoding="utf-8"
    )
    return result


def _base_rate_by_month(economy: Economy) -> dict[str, int]:
    months: dict[str, int] = {}
    for day in range(0, max(economy.end_day, 1)):
        d = economy.date_of(day)
        key = f"{d.year}-{d.month:02d}"
        if key not in months:
            months[key] = economy.market.base_rate_bps(economy, day)
    return months


def seed_dir(out: Path, seed: int) -> Path:
    """Where one seed's run of a multi-seed simulation writes its outputs."""
    return out / f"seed-{seed}"


def simulate_seeds(
    config: SimConfig,
    seeds: Sequence[int],
    out: Path,
    progress: Progress | None = None,
    *,
    verify: bool = True,
    pricing: Pricing | None = None,
) -> list[SimulationResult]:
    """One run per seed (same config otherwise), one after the other into
    `out/seed-N/`, then their tables pooled into `out/` with a `seed` column."""
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("give one or more distinct seeds")
    results = []
    for seed in seeds:
        if progress is not None:
            progress.stage(f"seed {seed}", None)
        results.append(
            simulate(
                replace(config, seed=seed),
                seed_dir(out, seed),
                progress,
                verify=verify,
                pricing=pricing,
            )
        )
    if progress is not None:
        progress.stage("pooling the seeds' tables", len(EXPORTS))
    rows = pool_tables(out, seeds, progress)
    pooled = {
        "seeds": list(seeds),
        "pooled_rows": rows,
        "runs": {str(r.config["seed"]): r.to_dict() for r in results},
    }
    (out / "summary.json").write_text(json.dumps(pooled, indent=2, default=str), encoding="utf-8")
    return results


def pool_tables(
    out: Path, seeds: Sequence[int], progress: Progress | None = None, batch_rows: int = 100_000
) -> dict[str, int]:
    """Concatenate every seed's export tables into `out/NAME.parquet` with a leading
    `seed` column, streamed batch by batch (the event logs are large)."""
    rows: dict[str, int] = {}
    for k, name in enumerate(EXPORTS):
        files = [pq.ParquetFile(seed_dir(out, seed) / f"{name}.parquet") for seed in seeds]
        # A column that is all null in one seed's table is typed null there: promote it.
        schema = pa.unify_schemas([f.schema_arrow for f in files], promote_options="default")
        pooled = pa.schema([pa.field("seed", pa.int32(), nullable=False), *schema])
        total = 0
        with pq.ParquetWriter(out / f"{name}.parquet", pooled, compression="zstd") as writer:
            for seed, f in zip(seeds, files, strict=True):
                for batch in f.iter_batches(batch_size=batch_rows):
                    table = pa.Table.from_batches([batch]).cast(schema)
                    seed_column = pa.array([seed] * table.num_rows, pa.int32())
                    writer.write_table(table.add_column(0, pooled.field(0), seed_column))
                    total += table.num_rows
        rows[name] = total
        if progress is not None:
            progress.update(k + 1, len(EXPORTS))
    return rows
