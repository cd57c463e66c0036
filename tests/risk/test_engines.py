"""The same feature expressions on DuckDB, PostgreSQL and Spark give identical tables.

Identical, not close: the relational step returns only integers (sums of minor units,
counts, day differences, a nearest-rank percentile), which every engine computes exactly
whatever its summation order; every float is made afterwards by the same numpy code from
those integers, in a fixed row order. So no tolerance is needed and none is used: a
float compared here with a tolerance would hide an engine that rounds differently."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from openscf.risk import compute_features, load_into_postgres, open_source, relationships
from openscf.risk.labels import default_labels

from .conftest import CUT
from .ledger import D, write_ledger

SCHEMA = f"risk_engines_{os.getpid()}"


def _same(data: Path, other: Any, day: Any) -> None:
    duck = open_source(data)
    pd.testing.assert_frame_equal(
        compute_features(duck, day), compute_features(other, day), check_exact=True
    )
    pd.testing.assert_frame_equal(
        relationships(duck, day), relationships(other, day), check_exact=True
    )
    pd.testing.assert_frame_equal(
        default_labels(duck, day), default_labels(other, day), check_exact=True
    )


def test_postgres_gives_the_features_duckdb_gives(
    pg_url: str, small_economy: Path, tmp_path: Path
) -> None:
    for name, data, day in (
        ("ledger", write_ledger(tmp_path / "ledger"), D),
        ("sim", small_economy, CUT),
    ):
        schema = f"{SCHEMA}_{name}"
        load_into_postgres(data, pg_url, schema)
        source = open_source(pg_url, "postgres", schema=schema)
        try:
            _same(data, source, day)
        finally:
            source.backend.raw_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            source.close()


def test_spark_local_mode_gives_the_features_duckdb_gives(
    spark: Any, small_economy: Path, tmp_path: Path
) -> None:
    for data, day in ((write_ledger(tmp_path / "ledger"), D), (small_economy, CUT)):
        _same(data, open_source(data, "spark", spark_session=spark), day)
