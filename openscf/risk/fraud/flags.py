"""A fraud flag: what a detector suspects, how strongly, and the evidence for a reviewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["KINDS", "FraudFlag"]

# The kinds of fraud the detectors look for (the names of the simulator's labels).
KINDS = ("duplicate_invoice", "phantom_invoice", "circular_trading", "volume_jump")


@dataclass(frozen=True)
class FraudFlag:
    """One suspicion. `invoice_id` is the suspect invoice (for a volume jump, the invoice
    that tipped the firm over the threshold); `org_id` the firm that issued it. `score` is
    in [0, 1]; `flagged_on` the day the evidence was complete. `summary` says in words why;
    `evidence` holds the values (ids of the related invoices, amounts in minor units,
    dates, what matched and what differs)."""

    kind: str
    invoice_id: str
    org_id: str
    score: float
    flagged_on: date
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "invoice_id": self.invoice_id,
            "org_id": self.org_id,
            "score": round(self.score, 4),
            "flagged_on": self.flagged_on.isoformat(),
            "summary": self.summary,
            "evidence": _plain(self.evidence),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
