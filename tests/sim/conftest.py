"""One small simulated economy, run once per test session and shared (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from openscf.sim.config import SimConfig
from openscf.sim.run import SimulationResult, simulate

# Fraud and late payment scaled up so that a small network shows every kind of them; the
# clock runs on after trading until every receivable has matured (settled or not).
SMALL = SimConfig(firms=150, months=3, seed=12, fraud=3.0, anchor_lateness=4.0, run_off=True)


@dataclass
class Simulated:
    out: Path
    result: SimulationResult

    def table(self, name: str) -> list[dict]:  # type: ignore[type-arg]
        return pq.read_table(self.out / f"{name}.parquet").to_pylist()


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    out = tmp_path_factory.mktemp("sim") / "out"
    return Simulated(out, simulate(SMALL, out))
