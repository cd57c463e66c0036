"""A small simulated economy for the risk tests, run once per session (read-only), and
the engines: PostgreSQL from OPENSCF_TEST_DATABASE_URL, Spark in local mode (Java); and
a bigger economy with fraud scaled up for the fraud detectors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from openscf.sim.config import SimConfig
from openscf.sim.run import simulate

# Late payment and fraud scaled up so that a small network shows overdue pieces, credit
# notes and rejections within a few months.
SMALL = SimConfig(firms=90, months=4, seed=7, fraud=2.0, anchor_lateness=4.0)
# A cut-off in the fourth month: every window has history behind it and events after it.
CUT = SMALL.start + timedelta(days=100)
PG_URL = os.environ.get("OPENSCF_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def small_economy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("risk-sim") / "out"
    simulate(SMALL, out)
    return out


@pytest.fixture(scope="session")
def pg_url() -> str:
    if not PG_URL:
        pytest.skip(
            "PostgreSQL engine: set OPENSCF_TEST_DATABASE_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run it"
        )
    return PG_URL


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark engine: needs a Java runtime (java on PATH or JAVA_HOME)")
    try:
        from openscf.risk._source import _spark_session
    except ImportError:  # pragma: no cover - pyspark is a dev dependency
        pytest.skip("Spark engine: needs pyspark (pip install -e '.[dev]')")
    session = _spark_session()
    yield session
    session.stop()


# Big enough to show every kind of fraud a few dozen times, small enough to run in a test.
FRAUD_ECONOMY = SimConfig(firms=300, months=6, seed=21, fraud=5.0)


@pytest.fixture(scope="session")
def economy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fraud-economy") / "out"
    simulate(FRAUD_ECONOMY, out, verify=False)
    return out
