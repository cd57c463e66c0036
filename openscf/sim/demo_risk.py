"""The demo's risk chapter: the operator's risk service scores the program's suppliers,
prices the pieces they could finance and flags one invoice, all on the log.

- A points scorecard (`openscf-points/1`, `openscf.risk.points`) is registered with a
  points table over three features any reader of the demo's log can observe for a
  supplier, as of today: `invoices_confirmed` (invoices confirmed to it), `overdue_bps`
  (share of the face of the pieces originated from its invoices that is overdue or
  defaulted, in bps) and `cancelled_bps` (share cancelled after returned goods, in bps).
  The table is a stated demo scorecard, not a trained model.
- A pricing model (`openscf-pricing/1`) states the pricer's cost of funds and margin; every
  outstanding piece a supplier of the program holds gets a price decision from its
  holder's PD (the score decision's `pd_bps`), the piece's tenor and the program's
  realised LGD: what financing it would cost, before anyone asks.
- One fraud flag: an invoice number of the second tier-1 supplier, not confirmed yet,
  whose amount and due date repeat an invoice it already sold (a possible duplicate).

Every decision goes through `openscf.app.risk_ledger`, so what is recorded is what the
auditor recomputes from the exported artefacts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from openscf.app.risk_ledger import RiskLedger, register_model
from openscf.app.service import NetworkService
from openscf.domain import commands as c
from openscf.domain.model import OUTSTANDING, Receivable
from openscf.risk import pricing_model
from openscf.risk.points import KIND as POINTS_KIND
from openscf.store import tables as t
from openscf.store.mapping import row_to_record

__all__ = ["DEMO_POINTS", "DEMO_PRICING", "run_risk_story", "supplier_features"]

FEATURES = ("cancelled_bps", "invoices_confirmed", "overdue_bps")
DEMO_POINTS: dict[str, Any] = {
    "format": POINTS_KIND,
    "base_points": 600,
    "features": {
        "invoices_confirmed": [[3, -30], [10, 0], [None, 25]],
        "overdue_bps": [[1, 30], [500, 10], [1500, -20], [None, -60]],
        "cancelled_bps": [[1, 20], [300, 5], [None, -30]],
    },
    "missing_points": {},
    "pd_bands": [[660, 60], [630, 120], [600, 250], [560, 500], [None, 1200]],
    "grades": [[80, "A"], [150, "B"], [300, "C"], [600, "D"], [None, "E"]],
    "horizon_days": 90,
}
DEMO_PRICING: dict[str, Any] = {
    "format": pricing_model.KIND,
    "cost_of_funds_bps": 350,
    "margin_bps": 125,
    "capital_ratio_bps": 800,
    "cost_of_capital_bps": 1200,
    "lgd_prior_bps": 4500,
    "basis_days": 365,
}
DETECTOR = "demo-duplicate-invoice/1"


def _artefact(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def supplier_features(engine: Engine, supplier_id: str) -> dict[str, int]:
    """The scorecard's features for one supplier, from the stored network (the pieces that
    still stand: split and transferred ones live on in their children)."""
    r = t.receivables
    with engine.connect() as conn:
        confirmed = conn.execute(
            select(func.count()).where(t.invoices.c.supplier_id == supplier_id)
        ).scalar_one()
        rows = conn.execute(
            select(r.c.status, func.sum(r.c.face_minor))
            .where(r.c.supplier_id == supplier_id, r.c.status.not_in(("split", "transferred")))
            .group_by(r.c.status)
        ).all()
    by_status = {status: int(total or 0) for status, total in rows}
    face = sum(by_status.values())

    def share(*statuses: str) -> int:
        return sum(by_status.get(s, 0) for s in statuses) * 10_000 // face if face else 0

    return {
        "cancelled_bps": share("cancelled"),
        "invoices_confirmed": int(confirmed),
        "overdue_bps": share("overdue", "defaulted"),
    }


def run_risk_story(
    engine: Engine,
    service: NetworkService,
    operator_user: str,
    program_id: str,
    today: date,
    *,
    duplicate: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Score every supplier of `program_id`, price the outstanding pieces they hold and,
    with `duplicate` = (supplier id, invoice number), flag that invoice."""
    scorecard = register_model(
        service,
        operator_user,
        kind=POINTS_KIND,
        feature_names=FEATURES,
        artefact=_artefact(DEMO_POINTS),
    ).created["model_id"]
    pricer = register_model(
        service,
        operator_user,
        kind=pricing_model.KIND,
        feature_names=pricing_model.FEATURES,
        artefact=_artefact(DEMO_PRICING),
    ).created["model_id"]
    ledger = RiskLedger(service)
    with engine.connect() as conn:
        suppliers = list(
            conn.execute(
                select(t.relationships.c.supplier_id)
                .where(t.relationships.c.program_id == program_id)
                .order_by(t.relationships.c.supplier_id)
            ).scalars()
        )
    scores: dict[str, dict[str, Any]] = {}
    for supplier in suppliers:
        outcome, output = ledger.decide(
            operator_user,
            model_id=scorecard,
            kind="score",
            subject_kind="organisation",
            org_id=supplier,
            features=supplier_features(engine, supplier),
        )
        scores[supplier] = {"decision_id": outcome.created["decision_id"], **output}
    prices: list[dict[str, Any]] = []
    r = t.receivables
    with engine.connect() as conn:
        rows = conn.execute(
            select(r)
            .where(r.c.program_id == program_id, r.c.status.in_(sorted(OUTSTANDING)))
            .order_by(r.c.id)
        ).all()
    pieces = [
        p
        for p in (row_to_record(Receivable, row) for row in rows)
        if p.holder_id in scores and p.due_on > today
    ]
    for piece in pieces:
        score = scores[piece.holder_id]
        outcome, output = ledger.price_piece(
            operator_user,
            model_id=pricer,
            piece=piece,
            pd_bps=int(score["pd_bps"]),
            pd_horizon_days=int(score["horizon_days"]),
            today=today,
        )
        prices.append(
            {
                "decision_id": outcome.created["decision_id"],
                "receivable_id": piece.id,
                "rate_bps": output["rate_bps"],
            }
        )
    flags: list[str] = []
    if duplicate is not None:
        supplier, number = duplicate
        evidence = (
            f"invoice {number} repeats the amount and due date of an invoice the supplier "
            "already sold: a possible duplicate"
        )
        flags.append(
            service.handle(
                operator_user,
                c.RaiseFraudFlag(
                    DETECTOR,
                    evidence,
                    hashlib.sha256(evidence.encode()).hexdigest(),
                    program_id,
                    supplier,
                    number,
                ),
            ).created["flag_id"]
        )
    return {
        "models": {"score": scorecard, "price": pricer},
        "scores": {
            s: {"grade": v["grade"], "pd_bps": v["pd_bps"], "decision_id": v["decision_id"]}
            for s, v in scores.items()
        },
        "prices": prices,
        "fraud_flags": flags,
    }
