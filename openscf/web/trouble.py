"""The dashboard's view of trade gone wrong, for each role:

- a funder sees the pieces it put back and the recourse obligations sellers owe it;
- a supplier sees the recourse obligations it owes funders, the credits its anchors hold
  against it (a claim on it until netted) and the disputes on its invoices;
- an anchor sees the credits it holds against its suppliers and its disputes.

Only what the read model lets the organisation see; amounts go through `views.money`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openscf.app import dilution_reads as dr
from openscf.app.auth import Principal
from openscf.app.queries import ReadModel
from openscf.domain.model import Credit, Dispute, Receivable
from openscf.web import views

__all__ = ["trouble_view"]


@dataclass(frozen=True)
class Obligation:
    piece: Receivable
    counterparty: str  # the seller (for the funder) or the funder (for the seller)


@dataclass(frozen=True)
class CreditRow:
    credit: Credit
    counterparty: str


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    counterparty: str


def _pieces(reads: ReadModel, who: Principal, status: str) -> list[Receivable]:
    return views._all(reads.receivables, lambda r: r.id, caller=who, status=status)


def _recourse(reads: ReadModel, who: Principal, names: dict[str, str]) -> tuple[
        list[Obligation], list[Obligation]]:
    """(obligations owed to the caller, obligations the caller owes), still due first."""
    owed_to, owes = [], []
    for status in ("recourse_due", "settled"):
        for piece in _pieces(reads, who, status):
            # A recourse obligation is its own root, linked to the piece put back.
            if piece.root_id != piece.id or piece.parent_id is None:
                continue
            if piece.holder_id == who.org_id and piece.obligor_id != who.org_id:
                owed_to.append(Obligation(piece, names.get(piece.obligor_id, piece.obligor_id)))
            elif piece.obligor_id == who.org_id:
                owes.append(Obligation(piece, names.get(piece.holder_id, piece.holder_id)))
    return owed_to, owes


def trouble_view(reads: ReadModel, who: Principal, role: str) -> dict[str, Any]:
    names = views._names(reads, who)
    out: dict[str, Any] = {"role": role}
    if role in ("funder", "supplier"):
        owed_to, owes = _recourse(reads, who, names)
        out["recourse_owed_to_you"] = owed_to
        out["recourse_you_owe"] = owes
        out["put_back"] = [p for p in _pieces(reads, who, "put_back")
                           if p.holder_id == who.org_id]
    if role in ("anchor", "supplier"):
        mine = "anchor_id" if role == "anchor" else "supplier_id"
        other = "supplier_id" if role == "anchor" else "anchor_id"
        credits = [k for k in views._all(lambda **kw: dr.credits(reads, **kw), lambda k: k.id,
                                         caller=who) if getattr(k, mine) == who.org_id]
        disputes = [d for d in views._all(lambda **kw: dr.disputes(reads, **kw),
                                          lambda d: d.id, caller=who)
                    if getattr(d, mine) == who.org_id]
        out["credits"] = [CreditRow(k, names.get(getattr(k, other), getattr(k, other)))
                          for k in credits]
        out["disputes"] = [DisputeRow(d, names.get(getattr(d, other), getattr(d, other)))
                           for d in disputes]
    return out
