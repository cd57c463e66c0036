"""When trade goes wrong: a funder puts a defaulted piece back to its seller (recourse);
the anchor records credit notes and disputes, which become credits it holds against the
supplier, netted against the supplier's next confirmations (dilution)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import (
    ERRORS,
    READ_ERRORS,
    InvoicePath,
    Limit,
    ReceivablePath,
    StartingAfter,
)
from openscf.api.security import Caller, Mutate, services
from openscf.app import dilution_reads as dr
from openscf.domain import commands as c
from openscf.domain.errors import NotFound

router = APIRouter()

Body = dict[str, Any]
CreditPath = Annotated[
    str, Path(pattern=s.id_pattern("crd"), max_length=80, description="a credit id")
]
DisputePath = Annotated[
    str, Path(pattern=s.id_pattern("dsp"), max_length=80, description="a dispute id")
]
ProgramFilter = Annotated[str | None, Query(pattern=s.id_pattern("prg"), max_length=80)]
OrgFilter = Annotated[str | None, Query(pattern=s.id_pattern("org"), max_length=80)]


def _visible(read: Any) -> bool:
    try:
        read()
    except NotFound:
        return False
    return True


# --- recourse ---------------------------------------------------------------------------


@router.post(
    "/receivables/{receivable_id}/put_back",
    response_model=s.PutBackOut,
    responses=ERRORS,
    tags=["recourse"],
)
def put_back(receivable_id: ReceivablePath, m: Mutate, body: s.PutBack | None = None) -> Body:
    """The funder holding a defaulted piece, in a program with recourse, puts it back to the
    seller: the seller holds the claim on the anchor again (in the obligor's default claim,
    if any) and owes the funder what it still lacked on the piece (its face less what was
    paid and recovered) by the program's recourse days (`recourse_obligation`, status
    `recourse_due`; the seller pays it with `POST /v1/receivables/{id}/settle`). Without
    recourse: `409 without_recourse`."""
    body = body or s.PutBack(returned_receivable_id=None, recourse_id=None)
    reads = m.svc.reads
    outcome = m.run(
        c.PutBackReceivable(receivable_id, body.returned_receivable_id, body.recourse_id),
        guard=lambda: reads.can_see_receivable(m.principal, receivable_id),
        hidden=("receivable", receivable_id, "receivable_id"),
    )
    # The returned piece is the seller's now: the funder gets its id, not its details.
    return {
        "object": "put_back",
        "id": receivable_id,
        "returned_receivable_id": outcome.created["returned_receivable_id"],
        "recourse_obligation": out.receivable(
            reads.receivable(m.principal, outcome.created["recourse_id"])
        ),
    }


# --- credit notes and credits -------------------------------------------------------------


@router.post(
    "/invoices/{invoice_id}/credit_notes",
    status_code=201,
    response_model=s.CreditOut,
    responses=ERRORS,
    tags=["dilution"],
)
def record_credit_note(invoice_id: InvoicePath, body: s.RecordCreditNote, m: Mutate) -> Body:
    """The anchor records a supplier's credit note on a confirmed invoice. The receivable
    stays whole (it is irrevocable and may be held by someone else); the anchor holds a
    credit against the supplier, netted against the supplier's next confirmations."""
    reads = m.svc.reads
    outcome = m.run(
        c.RecordCreditNote(invoice_id, body.credit_note_number, body.amount_minor, body.id),
        guard=lambda: _visible(lambda: reads.invoice(m.principal, invoice_id)),
        hidden=("invoice", invoice_id, "invoice_id"),
    )
    return out.credit(dr.credit(reads, m.principal, outcome.created["credit_id"]))


@router.get(
    "/credits", response_model=s.ListOf[s.CreditOut], responses=READ_ERRORS, tags=["dilution"]
)
def list_credits(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    program_id: ProgramFilter = None,
    supplier_id: OrgFilter = None,
    status: Literal["open", "netted"] | None = None,
) -> Body:
    """Credits the caller holds as anchor, or that are held against it as supplier; an
    open credit is a claim on the supplier until netted."""
    page = dr.credits(
        services(request).reads,
        caller,
        program_id=program_id,
        supplier_id=supplier_id,
        status=status,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.credit)


@router.get(
    "/credits/{credit_id}", response_model=s.CreditOut, responses=READ_ERRORS, tags=["dilution"]
)
def get_credit(request: Request, caller: Caller, credit_id: CreditPath) -> Body:
    return out.credit(dr.credit(services(request).reads, caller, credit_id))


# --- disputes ----------------------------------------------------------------------------


@router.post(
    "/disputes", status_code=201, response_model=s.DisputeOut, responses=ERRORS, tags=["dilution"]
)
def raise_dispute(body: s.RaiseDispute, m: Mutate) -> Body:
    """The anchor disputes an amount of a supplier's invoice, named by its number. Not yet
    confirmed: it cannot be confirmed until the dispute is resolved (`409
    invoice_disputed`)."""
    outcome = m.run(
        c.RaiseDispute(
            body.program_id,
            body.supplier_id,
            body.invoice_number,
            body.amount_minor,
            body.reason,
            body.id,
        )
    )
    return out.dispute(dr.dispute(m.svc.reads, m.principal, outcome.created["dispute_id"]))


@router.get(
    "/disputes", response_model=s.ListOf[s.DisputeOut], responses=READ_ERRORS, tags=["dilution"]
)
def list_disputes(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    program_id: ProgramFilter = None,
    supplier_id: OrgFilter = None,
    status: Literal["open", "agreed", "withdrawn"] | None = None,
) -> Body:
    """Disputes the caller raised as anchor, or on its invoices as supplier."""
    page = dr.disputes(
        services(request).reads,
        caller,
        program_id=program_id,
        supplier_id=supplier_id,
        status=status,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.dispute)


@router.get(
    "/disputes/{dispute_id}", response_model=s.DisputeOut, responses=READ_ERRORS, tags=["dilution"]
)
def get_dispute(request: Request, caller: Caller, dispute_id: DisputePath) -> Body:
    return out.dispute(dr.dispute(services(request).reads, caller, dispute_id))


@router.post(
    "/disputes/{dispute_id}/resolve",
    response_model=s.DisputeOut,
    responses=ERRORS,
    tags=["dilution"],
)
def resolve_dispute(dispute_id: DisputePath, body: s.ResolveDispute, m: Mutate) -> Body:
    """The supplier agrees (`agreed`, for at most the disputed amount: on a confirmed
    invoice it becomes a credit) or the anchor withdraws (`withdrawn`)."""
    reads = m.svc.reads
    m.run(
        c.ResolveDispute(dispute_id, body.outcome, body.amount_minor, body.credit_id),
        guard=lambda: _visible(lambda: dr.dispute(reads, m.principal, dispute_id)),
        hidden=("dispute", dispute_id, "dispute_id"),
    )
    return out.dispute(dr.dispute(reads, m.principal, dispute_id))
