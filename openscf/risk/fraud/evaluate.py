"""Measure fraud flags against ground truth: precision and recall per kind.

The ground truth is a `labels.parquet` as the simulator writes it (read by path and
column names, never by a detector). Invoice level for duplicates, phantoms and ring hops;
firm level for volume jumps; rings count as found when any of their hop invoices is
flagged; a bust-out counts as foreseen when its firm was flagged (any kind) before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from openscf.domain.errors import InvalidRequest
from openscf.risk.fraud.flags import FraudFlag

__all__ = ["Quality", "Truth", "load_truth", "measure"]


@dataclass(frozen=True)
class Truth:
    """Labelled invoices and firms per kind, rings' members and hop invoices, bust-outs."""

    invoices: dict[str, set[str]]
    firms: dict[str, set[str]]
    rings: dict[int, set[str]]  # ring -> its hop invoices
    ring_members: dict[int, list[str]]
    bust_outs: dict[str, date]


@dataclass(frozen=True)
class Quality:
    kind: str
    level: str
    flagged: int
    labelled: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.true_positives / self.labelled if self.labelled else float("nan")

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "level": self.level,
            "flagged": self.flagged,
            "labelled": self.labelled,
            "true_positives": self.true_positives,
            "precision": round(self.precision, 4) if self.flagged else None,
            "recall": round(self.recall, 4) if self.labelled else None,
        }


def load_truth(directory: Path | str, as_of: date | None = None) -> Truth:
    """The fraud labels of a simulated economy (up to `as_of`: what had happened by then)."""
    path = Path(directory) / "labels.parquet"
    if not path.is_file():
        raise InvalidRequest("labels_missing", f"{path} does not exist; measure needs labels")
    t = pq.read_table(path, columns=["label", "org_id", "invoice_id", "on", "ring", "detail"])
    invoices: dict[str, set[str]] = {
        k: set() for k in ("duplicate_invoice", "phantom_invoice", "circular_trading")
    }
    firms: dict[str, set[str]] = {"volume_jump": set()}
    rings: dict[int, set[str]] = {}
    members: dict[int, list[str]] = {}
    bust: dict[str, date] = {}
    for row in t.to_pylist():
        label, on = row["label"], row["on"]
        if label == "circular_trading_ring":
            members[int(row["ring"])] = list(json.loads(row["detail"])["members"])
            continue
        if as_of is not None and on is not None and on > as_of:
            continue
        if label in invoices and row["invoice_id"] is not None:
            invoices[label].add(row["invoice_id"])
            if label == "circular_trading":
                rings.setdefault(int(row["ring"]), set()).add(row["invoice_id"])
        elif label == "volume_jump":
            firms["volume_jump"].add(row["org_id"])
        elif label == "bust_out":
            bust[row["org_id"]] = on
    return Truth(invoices, firms, rings, members, bust)


def measure(flags: Iterable[FraudFlag], truth: Truth) -> list[Quality]:
    """Precision and recall per kind (and rings found, bust-outs foreseen)."""
    flags = list(flags)
    out = []
    for kind, labelled in truth.invoices.items():
        flagged = {f.invoice_id for f in flags if f.kind == kind}
        out.append(Quality(kind, "invoice", len(flagged), len(labelled), len(flagged & labelled)))
    flagged_firms = {f.org_id for f in flags if f.kind == "volume_jump"}
    labelled_firms = truth.firms["volume_jump"]
    out.append(
        Quality(
            "volume_jump",
            "firm",
            len(flagged_firms),
            len(labelled_firms),
            len(flagged_firms & labelled_firms),
        )
    )
    ring_flags = {f.invoice_id for f in flags if f.kind == "circular_trading"}
    active = {r: hops for r, hops in truth.rings.items() if hops}
    found = sum(1 for hops in active.values() if hops & ring_flags)
    out.append(Quality("circular_trading_ring", "ring", found, len(active), found))
    first_flag: dict[str, date] = {}
    for f in flags:
        if f.org_id not in first_flag or f.flagged_on < first_flag[f.org_id]:
            first_flag[f.org_id] = f.flagged_on
    foreseen = sum(
        1 for org, on in truth.bust_outs.items() if org in first_flag and first_flag[org] < on
    )
    out.append(Quality("bust_out", "firm", foreseen, len(truth.bust_outs), foreseen))
    return out
