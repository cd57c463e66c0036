"""Read views of default claims: what each piece lacked, what recoveries brought, the loss.

Who sees a claim: the operator and auditors (all of it), the obligor (all of its own
claim), and the holders of its pieces (the claim, with the lines of their own pieces
only). Anyone else is told it does not exist, like any record out of sight.

The figures come from the pieces (paid, recovered, outstanding) and from the log (each
`RecoveryDistributed`, and the `DefaultClaimClosed` that states the loss per piece and per
program).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from openscf.app.queries import Caller, ReadModel
from openscf.domain import events as ev
from openscf.domain.errors import NotFound
from openscf.domain.events import format_instant, record_from_data
from openscf.domain.model import DefaultClaim, Receivable
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.trust.canonical import decode_canonical

__all__ = ["ClaimReads", "ClaimView"]

_CLAIM_EVENTS = ("ObligorDefaulted", "RecoveryDistributed", "DefaultClaimClosed")


@dataclass
class ClaimView:
    claim: DefaultClaim
    pieces: list[dict[str, Any]]
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    programs: list[dict[str, Any]] = field(default_factory=list)
    declared_by: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        c = self.claim
        totals: dict[str, dict[str, int]] = {}
        for line in self.pieces:
            sums = totals.setdefault(
                line["currency"],
                {
                    "exposure_minor": 0,
                    "recovered_minor": 0,
                    "outstanding_minor": 0,
                    "loss_minor": 0,
                },
            )
            for key in sums:
                sums[key] += line[key] or 0
        return {
            "object": "default_claim",
            "id": c.id,
            "obligor_id": c.obligor_id,
            "status": c.status,
            "reason": c.reason,
            "declared_on": c.declared_on.isoformat(),
            "approval_id": c.approval_id,
            **self.declared_by,
            "totals": [{"currency": ccy, **sums} for ccy, sums in sorted(totals.items())],
            "pieces": self.pieces,
            "recoveries": self.recoveries,
            "programs": self.programs,
        }


class ClaimReads:
    """Default claims as a caller may see them."""

    def __init__(self, reads: ReadModel) -> None:
        self.reads = reads

    def _visible_lines(
        self, caller: Caller, claim: DefaultClaim, pieces: list[Receivable]
    ) -> list[Receivable] | None:
        """The pieces the caller may see in the claim; None: not the claim at all."""
        if ReadModel._full(caller) or caller.org_id == claim.obligor_id:
            return pieces
        own = [p for p in pieces if p.holder_id == caller.org_id]
        return own or None

    def _events(self, conn: Any, claim_id: str) -> list[ev.EventRecord]:
        rows = conn.execute(
            select(t.events.c.seq, t.events.c.body)
            .where(t.events.c.type.in_(_CLAIM_EVENTS))
            .order_by(t.events.c.seq)
        )
        found = []
        for seq, body in rows:
            record = record_from_data(decode_canonical(bytes(body)), seq)
            if getattr(record.event, "claim_id", None) == claim_id:
                found.append(record)
        return found

    def _view(self, conn: Any, caller: Caller, claim: DefaultClaim) -> ClaimView | None:
        rows = conn.execute(
            select(t.receivables).where(t.receivables.c.id.in_(list(claim.piece_ids)))
        )
        pieces = sorted((row_to_record(Receivable, r) for r in rows), key=lambda p: p.id)
        lines = self._visible_lines(caller, claim, pieces)
        if lines is None:
            return None
        seen = {p.id for p in lines}
        records = self._events(conn, claim.id)
        losses: dict[str, int] = {}
        view = ClaimView(claim, [])
        for record in records:
            e = record.event
            if isinstance(e, ev.ObligorDefaulted):
                view.declared_by = {"requested_by": e.requested_by, "approved_by": e.approved_by}
            elif isinstance(e, ev.RecoveryDistributed):
                # Whoever sees the whole claim sees every share, also those paid on a piece
                # that was put back to its seller since (it left the claim's piece list).
                full = len(seen) == len(pieces)
                shares = [
                    {"receivable_id": pid, "holder_id": holder, "amount_minor": share}
                    for pid, holder, share in zip(
                        e.piece_ids, e.holder_ids, e.shares_minor, strict=True
                    )
                    if full or pid in seen
                ]
                view.recoveries.append(
                    {
                        "event_id": record.id,
                        "at": format_instant(record.occurred_at),
                        "source": e.source,
                        "currency": e.currency,
                        "amount_minor": e.amount_minor
                        if full
                        else sum(s["amount_minor"] for s in shares),
                        "shares": shares,
                    }
                )
            elif isinstance(e, ev.DefaultClaimClosed):
                losses = dict(zip(e.piece_ids, e.losses_minor, strict=True))
                if len(seen) == len(pieces):
                    currency_of = {p.program_id: p.currency for p in pieces}
                    view.programs = [
                        {
                            "program_id": pid,
                            "currency": currency_of[pid],
                            "exposure_minor": exp,
                            "loss_minor": loss,
                            "lgd_bps": lgd,
                        }
                        for pid, exp, loss, lgd in zip(
                            e.program_ids,
                            e.program_exposures_minor,
                            e.program_losses_minor,
                            e.program_lgd_bps,
                            strict=True,
                        )
                    ]
        for p in lines:
            view.pieces.append(
                {
                    "receivable_id": p.id,
                    "program_id": p.program_id,
                    "holder_id": p.holder_id,
                    "currency": p.currency,
                    "face_minor": p.face_minor,
                    "paid_minor": p.paid_minor,
                    "exposure_minor": p.face_minor - p.paid_minor,
                    "recovered_minor": p.recovered_minor,
                    "outstanding_minor": p.outstanding_minor,
                    "loss_minor": losses.get(p.id),
                    "status": p.status,
                }
            )
        return view

    def claims(self, caller: Caller) -> list[ClaimView]:
        with self.reads.engine.connect() as conn:
            claims = [
                row_to_record(DefaultClaim, r)
                for r in conn.execute(select(t.default_claims).order_by(t.default_claims.c.id))
            ]
            views = [self._view(conn, caller, claim) for claim in claims]
        return [v for v in views if v is not None]

    def claim(self, caller: Caller, claim_id: str) -> ClaimView:
        with self.reads.engine.connect() as conn:
            row = conn.execute(
                select(t.default_claims).where(t.default_claims.c.id == claim_id)
            ).first()
            view = (
                None if row is None else self._view(conn, caller, row_to_record(DefaultClaim, row))
            )
        if view is None:
            raise NotFound("unknown_claim", f"no default claim {claim_id!r}", "claim_id")
        return view
