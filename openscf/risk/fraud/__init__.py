"""Fraud detectors over a network's observable trade, each flag with its evidence.

Four detectors, one module each: `duplicates` (fuzzy fingerprint matching, blocked by
relationship), `phantoms` (invoices with no trade behind them), `rings` (circular trading,
cycles in the trade graph scored by timing, amounts and the piece passed round) and
`volume` (billing a multiple of what was ordered). They read `TradeData` (`data`), cut to
what was known on a day, and return `FraudFlag`s (`flags`). `evaluate` measures flags
against a simulated economy's labels.

May import: `openscf.domain` and numeric libraries (networkx, rapidfuzz,
pyarrow); never the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openscf.risk.fraud.data import TradeData, load_trade_data
from openscf.risk.fraud.duplicates import DuplicateConfig, detect_duplicates
from openscf.risk.fraud.flags import KINDS, FraudFlag
from openscf.risk.fraud.phantoms import PhantomConfig, detect_phantoms
from openscf.risk.fraud.rings import RingConfig, detect_rings
from openscf.risk.fraud.volume import VolumeConfig, detect_volume_jumps

__all__ = [
    "KINDS",
    "DetectorConfig",
    "DuplicateConfig",
    "FraudFlag",
    "PhantomConfig",
    "RingConfig",
    "TradeData",
    "VolumeConfig",
    "detect_all",
    "detect_duplicates",
    "detect_fraud",
    "detect_phantoms",
    "detect_rings",
    "detect_volume_jumps",
    "load_trade_data",
]


@dataclass(frozen=True)
class DetectorConfig:
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)
    phantoms: PhantomConfig = field(default_factory=PhantomConfig)
    rings: RingConfig = field(default_factory=RingConfig)
    volume: VolumeConfig = field(default_factory=VolumeConfig)


def detect_all(data: TradeData, config: DetectorConfig | None = None) -> list[FraudFlag]:
    """Every detector's flags, by day flagged then kind and invoice."""
    cfg = config or DetectorConfig()
    flags = [
        *detect_duplicates(data, cfg.duplicates),
        *detect_phantoms(data, cfg.phantoms),
        *detect_rings(data, cfg.rings),
        *detect_volume_jumps(data, cfg.volume),
    ]
    return sorted(flags, key=lambda f: (f.flagged_on, f.kind, f.invoice_id))


def detect_fraud(
    directory: Path | str, as_of: date | None = None, config: DetectorConfig | None = None
) -> list[FraudFlag]:
    """Read the observable tables in `directory` as known on `as_of`, and run every detector."""
    return detect_all(load_trade_data(directory, as_of), config)
