"""Fraud detectors against a simulated economy's labels: precision and recall per kind.

    python bench/risk_fraud.py DIR [DIR ...] [--as-of 2026-06-30] [--sweep] [--json]

Each DIR is one seed's output of `openscf simulate` (`OUT/seed-S/` with --seeds). Prints,
per seed and pooled, for every kind: labelled, flagged, true positives, precision and
recall (invoice level for duplicates, phantoms and ring hops; firm level for volume jumps;
rings found; bust-outs foreseen), and each detector's CPU time. The existing exact
fingerprint and the near-duplicate index (`openscf.documents.fingerprint`) are measured on
the duplicates for comparison. `--sweep` runs the detectors with low thresholds and prints
precision and recall per score threshold (to choose thresholds on training seeds).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

from openscf.documents.fingerprint import FingerprintIndex, InvoiceKey
from openscf.risk.fraud import (
    DetectorConfig,
    FraudFlag,
    detect_duplicates,
    detect_phantoms,
    detect_rings,
    detect_volume_jumps,
    load_trade_data,
)
from openscf.risk.fraud.data import TradeData
from openscf.risk.fraud.evaluate import Quality, Truth, load_truth, measure


def fingerprint_baseline(data: TradeData, truth: Truth) -> dict[str, Quality]:
    """Duplicates as the existing mechanism sees them: the exact fingerprint, and the
    near-duplicate index (number equal or one edit away, same relationship)."""
    index = FingerprintIndex()
    exact: set[str] = set()
    near: set[str] = set()
    for inv in sorted(data.invoices, key=lambda x: (x.issued_on, x.invoice_id)):
        key = InvoiceKey(
            inv.seller_id, inv.buyer_id, inv.number, inv.amount_minor, inv.currency, inv.issued_on
        )
        if index.exact(key) is not None:
            exact.add(inv.invoice_id)
        if index.check(key):
            near.add(inv.invoice_id)
        index.add(inv.invoice_id, key)
    labelled = truth.invoices["duplicate_invoice"]
    return {
        name: Quality(
            f"duplicate_invoice ({name})", "invoice", len(s), len(labelled), len(s & labelled)
        )
        for name, s in (("exact fingerprint", exact), ("near-duplicate index", near))
    }


def run(
    directory: Path, as_of: date | None, cfg: DetectorConfig
) -> tuple[list[FraudFlag], dict[str, float], TradeData]:
    t0 = time.process_time()
    data = load_trade_data(directory, as_of)
    cpu = {"load": time.process_time() - t0}
    flags: list[FraudFlag] = []
    for name, fn, c in (
        ("duplicates", detect_duplicates, cfg.duplicates),
        ("phantoms", detect_phantoms, cfg.phantoms),
        ("rings", detect_rings, cfg.rings),
        ("volume", detect_volume_jumps, cfg.volume),
    ):
        t0 = time.process_time()
        flags += fn(data, c)  # type: ignore[operator]
        cpu[name] = time.process_time() - t0
    return flags, cpu, data


def line(kind: str, labelled: int, flagged: int, tp: int) -> str:
    precision = f"{tp / flagged:.3f}" if flagged else "  -  "
    recall = f"{tp / labelled:.3f}" if labelled else "  -  "
    return (
        f"  {kind:42s} labelled {labelled:5d} flagged {flagged:6d} tp {tp:5d}"
        f"  P {precision}  R {recall}"
    )


def sweep(flags: list[FraudFlag], truth: Truth) -> dict[str, list[tuple[float, Quality]]]:
    out: dict[str, list[tuple[float, Quality]]] = defaultdict(list)
    for threshold in [x / 100 for x in range(30, 101, 5)]:
        kept = [f for f in flags if f.score >= threshold - 1e-9]
        for q in measure(kept, truth):
            out[q.kind].append((threshold, q))
    return out


def low(cfg: DetectorConfig) -> DetectorConfig:
    return DetectorConfig(
        duplicates=replace(cfg.duplicates, threshold=0.3),
        phantoms=replace(cfg.phantoms, threshold=0.3),
        rings=replace(cfg.rings, threshold=0.3),
        volume=replace(cfg.volume, threshold=0.3),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--as-of", type=date.fromisoformat, default=None)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cfg = DetectorConfig()
    pooled: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    pooled_sweep: dict[tuple[str, float], list[int]] = defaultdict(lambda: [0, 0, 0])
    report = []
    total_cpu: list[float] = []
    for d in args.dirs:
        flags, cpu, data = run(d, args.as_of, low(cfg) if args.sweep else cfg)
        total_cpu.append(sum(cpu.values()))
        truth = load_truth(d, args.as_of)
        qualities = measure(flags, truth)
        base = fingerprint_baseline(data, truth)
        rows = [*qualities, *base.values()]
        for q in rows:
            p = pooled[q.kind]
            p[0] += q.flagged
            p[1] += q.labelled
            p[2] += q.true_positives
        report.append(
            {
                "dir": str(d),
                "invoices": len(data.invoices),
                "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
                "quality": [q.to_dict() for q in rows],
            }
        )
        if not args.json:
            print(
                f"\n{d}: {len(data.invoices)} invoices, CPU s "
                + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
            )
            for q in rows:
                print(line(f"{q.kind} ({q.level})", q.labelled, q.flagged, q.true_positives))
        if args.sweep:
            for kind, points in sweep(flags, truth).items():
                for threshold, q in points:
                    s = pooled_sweep[(kind, threshold)]
                    s[0] += q.flagged
                    s[1] += q.labelled
                    s[2] += q.true_positives
    pooled_rows = [
        Quality(kind, "pooled", f, n, tp).to_dict() for kind, (f, n, tp) in pooled.items()
    ]
    if args.json:
        print(json.dumps({"runs": report, "pooled": pooled_rows, "cpu_seconds": sum(total_cpu)}))
        return
    print("\npooled:")
    for kind, (f, n, tp) in pooled.items():
        print(line(kind, n, f, tp))
    print(f"CPU seconds in all: {sum(total_cpu):.1f} (load and detect, {len(args.dirs)} runs)")
    if args.sweep:
        print("\nsweep (pooled), flags kept at each score threshold:")
        for (kind, threshold), (f, n, tp) in sorted(pooled_sweep.items()):
            if kind in ("bust_out",):
                continue
            print(line(f"{kind} >= {threshold:.2f}", n, f, tp))


if __name__ == "__main__":
    main()
