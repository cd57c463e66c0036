"""Scores and indicative prices on the dashboard, each shown only to whom it concerns.

- A supplier sees its own latest score (grade, PD, the reasons that cost it points, in
  words) and, beside each piece it holds, the indicative annual rate of its latest price
  decision with its parts: cost of funds, expected loss, capital charge and margin.
- A funder sees, beside each financing request offered to it, the suggested bid (the
  indicative rate) and the grade of the piece's holder: never its features or reasons.
- The operator and auditors see the recent decisions: model, subject and output.

Everything comes through `openscf.app.risk_ledger`'s reads, which apply the visibility
rules; rates are shown from bps as percentages.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from openscf.app import risk_ledger as rl
from openscf.app.auth import Principal
from openscf.app.queries import ReadModel
from openscf.domain.model import RiskDecision
from openscf.trust.canonical import decode_canonical

__all__ = ["bps_percent", "decision_panel", "own_score", "prices_for", "reason_words"]

RECENT = 15
_REASON = re.compile(
    r"^(?P<name>[A-Za-z0-9_]+) = (?P<value>.*): (?P<cost>\d+) points below the best$"
)
# What a feature is, in words (the demo's scorecard and the common ones; others are named).
FEATURE_WORDS = {
    "invoices_confirmed": "invoices confirmed to you so far",
    "overdue_bps": "share of your invoices' face paid late or in default",
    "cancelled_bps": "share of your invoices' face cancelled after returned goods",
}


def bps_percent(bps: int) -> str:
    """350 -> '3.50 %' (two decimals, exact: bps are hundredths of a percent)."""
    return f"{Decimal(int(bps)) / 100:.2f} %"


def _value_words(name: str, value: str) -> str:
    if value == "missing":
        return "not known yet"
    if name.endswith("_bps"):
        try:
            return bps_percent(int(value))
        except ValueError:
            return value
    return value


def reason_words(reason: str) -> str:
    """'overdue_bps = 1200: 50 points below the best' -> 'share of your invoices' face
    paid late or in default: 12.00 % (costs 50 points)'; other text as it is."""
    found = _REASON.match(reason)
    if found is None:
        return reason
    name = found["name"]
    words = FEATURE_WORDS.get(name, name.replace("_", " "))
    return f"{words}: {_value_words(name, found['value'])} (costs {found['cost']} points)"


def _latest(decisions: list[RiskDecision]) -> RiskDecision | None:
    return max(decisions, key=lambda d: (d.decided_on, d.id), default=None)


def own_score(reads: ReadModel, who: Principal) -> dict[str, Any] | None:
    """The caller's own latest score, or None while it has none."""
    mine = [
        d
        for d in rl.decisions(reads, who, kind="score", limit=500).data
        if d.org_id == who.org_id and d.subject_kind == "organisation"
    ]
    latest = _latest(mine)
    if latest is None:
        return None
    output = decode_canonical(latest.output.encode())
    return {
        "grade": output.get("grade"),
        "pd": bps_percent(int(output["pd_bps"])),
        "pd_bps": int(output["pd_bps"]),
        "horizon_days": output.get("horizon_days"),
        "reasons": [reason_words(r) for r in latest.reasons],
        "decided_on": latest.decided_on.isoformat(),
        "model_id": latest.model_id,
        "decision_id": latest.id,
    }


def prices_for(reads: ReadModel, who: Principal, receivable_ids: list[str]) -> dict[str, Any]:
    """Per piece the caller may see a price of: the rate and its parts, as percentages."""
    out: dict[str, Any] = {}
    for rid, price in rl.piece_prices(reads, who, receivable_ids).items():
        o = price.output
        out[rid] = {
            "rate": bps_percent(int(o["rate_bps"])) + " p.a.",
            "rate_bps": int(o["rate_bps"]),
            "cost_of_funds": bps_percent(int(o["cost_of_funds_bps"])),
            "expected_loss": bps_percent(int(o["expected_loss_bps"])),
            "capital": bps_percent(int(o["capital_charge_bps"])),
            "margin": bps_percent(int(o["margin_bps"])),
            "lgd_source": o.get("lgd_source", ""),
            "grade": price.grade,
            "decided_on": price.decided_on,
            "decision_id": price.decision_id,
        }
    return out


def _summary(decision: RiskDecision) -> str:
    output = decode_canonical(decision.output.encode())
    if decision.kind == "score":
        return f"grade {output.get('grade')}, PD {bps_percent(int(output['pd_bps']))}"
    if decision.kind == "price":
        return f"{bps_percent(int(output['rate_bps']))} p.a."
    return "flagged" if output.get("flagged") else "not flagged"


def decision_panel(reads: ReadModel, who: Principal) -> list[dict[str, Any]]:
    """The most recent decisions the caller may see (the operator and auditors: all)."""
    found: list[RiskDecision] = []
    after: str | None = None
    while len(found) < 20_000:
        page = rl.decisions(reads, who, limit=500, starting_after=after)
        found += page.data
        if not page.has_more or not page.data:
            break
        after = page.data[-1].id
    found.sort(key=lambda d: (d.decided_on, d.id), reverse=True)
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "model_id": d.model_id,
            "subject_kind": d.subject_kind,
            "org_id": d.org_id,
            "receivable_id": d.receivable_id,
            "output": _summary(d),
            "decided_on": d.decided_on.isoformat(),
        }
        for d in found[:RECENT]
    ]
