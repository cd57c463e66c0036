"""The detectors' quality on a small generated economy stays above a floor.

The floors sit well below what the detectors measure on larger economies
(docs/benchmarks.md) but far above what a detector that flags at random, flags
everything or flags nothing would reach, so a broken detector fails here.
"""

from __future__ import annotations

from pathlib import Path

from openscf.risk.fraud import detect_all, load_trade_data
from openscf.risk.fraud.evaluate import load_truth, measure

FLOORS = {
    # kind: (precision, recall)
    "duplicate_invoice": (0.9, 0.9),
    "circular_trading": (0.8, 0.9),
    "volume_jump": (0.6, 0.6),
    "phantom_invoice": (0.6, 0.4),
}


def test_every_detector_finds_most_of_its_fraud_and_flags_little_else(economy: Path) -> None:
    flags = detect_all(load_trade_data(economy))
    quality = {q.kind: q for q in measure(flags, load_truth(economy))}
    for kind, (precision, recall) in FLOORS.items():
        q = quality[kind]
        assert q.labelled >= 3, f"{kind}: the economy shows too few cases to measure"
        assert q.precision >= precision, (kind, q.to_dict())
        assert q.recall >= recall, (kind, q.to_dict())


def test_every_flag_names_its_evidence(economy: Path) -> None:
    flags = detect_all(load_trade_data(economy))
    assert {f.kind for f in flags} == {
        "duplicate_invoice",
        "phantom_invoice",
        "circular_trading",
        "volume_jump",
    }
    for f in flags:
        assert f.summary and f.evidence and 0.0 <= f.score <= 1.0
        d = f.to_dict()
        assert d["invoice_id"] == f.invoice_id and d["flagged_on"] == f.flagged_on.isoformat()
