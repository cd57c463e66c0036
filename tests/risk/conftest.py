"""One small simulated economy with fraud scaled up, run once per session (read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openscf.sim.config import SimConfig
from openscf.sim.run import simulate

# Big enough to show every kind of fraud a few dozen times, small enough to run in a test.
FRAUD_ECONOMY = SimConfig(firms=300, months=6, seed=21, fraud=5.0)


@pytest.fixture(scope="session")
def economy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fraud-economy") / "out"
    simulate(FRAUD_ECONOMY, out, verify=False)
    return out
