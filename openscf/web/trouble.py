"""The dashboard's view of trade gone wrong, for each role:

- a funder sees the pieces it put back and the recourse obligations sellers owe it;
- a supplier sees the recourse obligations it owes funders, the credits its anchors hold
  against it (a claim on it until netted) and the disputes on its invoices;
- an anchor sees the credits it holds against its suppliers and its disputes.

Only what the read model lets the organisation see; amounts go through `views.money`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openscf.app import dilution_reads as dr
from openscf.app.auth import Principal
from openscf.app.queries import ReadModel
from openscf.domain.errors import NotFound
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


def _recourse(
    reads: ReadModel, who: Principal, names: dict[str, str]
) -> tuple[list[Obligation], list[Obligation]]:
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
        out["put_back"] = [p for p in _pieces(reads, who, "put_back") if p.holder_id == who.org_id]
    if role in ("anchor", "supplier"):
        mine = "anchor_id" if role == "anchor" else "supplier_id"
        other = "supplier_id" if role == "anchor" else "anchor_id"
        credits = [
            k
            for k in views._all(lambda **kw: dr.credits(reads, **kw), lambda k: k.id, caller=who)
            if getattr(k, mine) == who.org_id
        ]
        disputes = [
            d
            for d in views._all(lambda **kw: dr.disputes(reads, **kw), lambda d: d.id, caller=who)
            if getattr(d, mine) == who.org_id
        ]
        out["credits"] = [
            CreditRow(k, names.get(getattr(k, other), getattr(k, other))) for k in credits
        ]
        out["disputes"] = [
            DisputeRow(d, names.get(getattr(d, other), getattr(d, other))) for d in disputes
        ]
    out.update(_forms(reads, who, role, names))
    return out


def _forms(reads: ReadModel, who: Principal, role: str, names: dict[str, str]) -> dict[str, Any]:
    """What the role's trouble forms act on: each is offered only where it applies (the
    domain still decides, and refuses anything else)."""
    if role == "funder":
        return {"put_back_candidates": _put_back_candidates(reads, who)}
    if role == "anchor":
        invoices = [
            i
            for i in views._all(reads.invoices, lambda i: i.id, caller=who)
            if i.anchor_id == who.org_id
        ]
        return {
            "credit_invoices": [
                (i, names.get(i.supplier_id, i.supplier_id))
                for i in sorted(invoices, key=lambda i: i.number)
            ]
        }
    if role == "auditor" and who.has_role("operator"):
        return _operator_forms(reads, who, names)
    return {}


def _put_back_candidates(reads: ReadModel, who: Principal) -> list[Receivable]:
    """Defaulted pieces the funder holds in a program with recourse."""
    out = []
    for piece in _pieces(reads, who, "defaulted"):
        if piece.holder_id != who.org_id or piece.obligor_id == who.org_id:
            continue
        try:
            recourse = reads.program(who, piece.program_id).recourse
        except NotFound:
            continue
        if recourse:
            out.append(piece)
    return out


def _operator_forms(reads: ReadModel, who: Principal, names: dict[str, str]) -> dict[str, Any]:
    """The operator's: obligors it may declare in default (those owing something) and the
    default requests waiting for a second operator user."""
    owing = {p.obligor_id for p in views._outstanding(reads, who) if p.claim_id is None}
    pending = []
    for a in views._all(
        reads.approvals, lambda a: a.id, caller=who, status="pending", kind="obligor_default"
    ):
        if a.org_id != who.org_id:
            continue
        payload = json.loads(a.payload_json)
        pending.append(
            {
                "id": a.id,
                "obligor": names.get(payload["obligor_id"], payload["obligor_id"]),
                "reason": payload["reason"].replace("_", " "),
                "note": payload.get("note", ""),
                "mine": a.maker_id == who.user_id,
            }
        )
    return {
        "obligors": sorted(((o, names.get(o, o)) for o in owing), key=lambda x: x[1]),
        "default_requests": pending,
        "operator": True,
    }
