"""No look-ahead: the features as of D are a function of what was known at D only.

Two probes. (1) The export cut back to D with the simulator's own `as_of` (rows dated
after D dropped, later-known columns nulled, end-of-run snapshots left out) gives the same
features as the full export. (2) Two runs of one seed, the second with every supplier's
hidden health collapsing at the end of D: the future differs (most suppliers default
within days), the features as of D do not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from openscf.risk import compute_features, open_source, relationships
from openscf.risk._source import OBSERVABLE_TABLES
from openscf.sim.config import SimConfig
from openscf.sim.economy import Economy
from openscf.sim.export import END, OBSERVABLE, as_of, export_all
from openscf.store import make_engine, migrate, sqlite_url

from .conftest import CUT


def _cut_export(full: Path, out: Path, day: Any) -> Path:
    out.mkdir(parents=True)
    for name in OBSERVABLE:
        table = pq.read_table(full / f"{name}.parquet")
        rows = as_of(name, table, day)
        schema = pa.schema([f for f in table.schema if OBSERVABLE[name].get(f.name) != END])
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), out / f"{name}.parquet")
    return out


def test_every_table_the_features_read_is_observable_and_cut_by_date() -> None:
    # the features read no ground truth: every table they open is classified observable
    assert set(OBSERVABLE_TABLES) <= set(OBSERVABLE)


def test_features_on_the_export_cut_at_d_equal_those_on_the_full_export(
    small_economy: Path, tmp_path: Path
) -> None:
    cut = _cut_export(small_economy, tmp_path / "cut", CUT)
    full = compute_features(open_source(small_economy), CUT)
    known = compute_features(open_source(cut), CUT)
    assert len(full) > 50
    assert full.sales_90d_minor.sum() > 0 and full.overdue_held_180d.sum() > 0
    pd.testing.assert_frame_equal(full, known, check_exact=True)
    pd.testing.assert_frame_equal(
        relationships(open_source(small_economy), CUT),
        relationships(open_source(cut), CUT),
        check_exact=True,
    )
    # and the probe can see: a day later, with that day's rows, the features move
    later = compute_features(open_source(small_economy), CUT + timedelta(days=1))
    assert not later.drop(columns="as_of").equals(full.drop(columns="as_of"))


def _economy(out: Path, config: SimConfig, hook: Any = None) -> Path:
    out.mkdir(parents=True)
    engine = make_engine(sqlite_url(out / "openscf.db"))
    migrate(engine)
    economy = Economy(engine, config, on_day=hook)
    economy.run()
    export_all(economy, engine, out)
    engine.dispose()
    return out


def test_a_collapse_of_hidden_health_after_d_leaves_the_features_at_d_unchanged(
    tmp_path: Path,
) -> None:
    config = SimConfig(firms=60, months=3, seed=4, fraud=2.0, anchor_lateness=4.0)
    cut_day = 60

    def collapse(e: Economy, day: int) -> None:
        if day == cut_day:
            for s in e.world.suppliers:
                e.health.shock(s, 2.5)

    base = _economy(tmp_path / "base", config)
    shocked = _economy(tmp_path / "shocked", config, collapse)
    day = config.start + timedelta(days=cut_day)
    pd.testing.assert_frame_equal(
        compute_features(open_source(base), day),
        compute_features(open_source(shocked), day),
        check_exact=True,
    )
    # the worlds did part: a month later the features differ
    later = day + timedelta(days=30)
    assert not compute_features(open_source(base), later).equals(
        compute_features(open_source(shocked), later)
    )
