"""Receivables (split, transfer, settle, overdue, default, cancel), financing requests,
offers and acceptances, early payments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import (
    ERRORS,
    READ_ERRORS,
    EarlyOfferPath,
    Limit,
    OfferPath,
    ReceivablePath,
    RequestPath,
    StartingAfter,
)
from openscf.api.security import Caller, Mutate, Mutation, services
from openscf.domain import commands as c
from openscf.domain.errors import NotFound

router = APIRouter()

Body = dict[str, Any]
PieceStatus = Literal[
    "live",
    "split",
    "transferred",
    "settled",
    "paid_early",
    "cancelled",
    "overdue",
    "defaulted",
    "written_off",
    "put_back",
    "recourse_due",
]
OrgFilter = Annotated[str | None, Query(pattern=s.id_pattern("org"), max_length=80)]
ProgramFilter = Annotated[str | None, Query(pattern=s.id_pattern("prg"), max_length=80)]
ReceivableFilter = Annotated[str | None, Query(pattern=s.id_pattern("rcv"), max_length=80)]
RequestFilter = Annotated[str | None, Query(pattern=s.id_pattern("fin"), max_length=80)]


def _hidden(kind: str, value: str, param: str) -> tuple[str, str, str]:
    return kind, value, param


def _sees(m: Mutation, read: Any, *args: Any) -> bool:
    try:
        read(m.principal, *args)
    except NotFound:
        return False
    return True


def _on_piece(m: Mutation, command: Any, receivable_id: str) -> Any:
    return m.run(
        command,
        guard=lambda: m.svc.reads.can_see_receivable(m.principal, receivable_id),
        hidden=_hidden("receivable", receivable_id, "receivable_id"),
    )


# --- receivables -----------------------------------------------------------------------


@router.get(
    "/receivables",
    response_model=s.ListOf[s.ReceivableOut],
    responses=READ_ERRORS,
    tags=["receivables"],
)
def list_receivables(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    status: PieceStatus | None = None,
    holder_id: OrgFilter = None,
    program_id: ProgramFilter = None,
) -> Body:
    """Pieces the caller holds or held, or owes as obligor (operator, auditor: all)."""
    page = services(request).reads.receivables(
        caller,
        status=status,
        holder_id=holder_id,
        program_id=program_id,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.receivable)


@router.get(
    "/receivables/{receivable_id}",
    response_model=s.ReceivableOut,
    responses=READ_ERRORS,
    tags=["receivables"],
)
def get_receivable(request: Request, caller: Caller, receivable_id: ReceivablePath) -> Body:
    return out.receivable(services(request).reads.receivable(caller, receivable_id))


@router.get(
    "/receivables/{receivable_id}/chain_of_custody",
    response_model=s.ListOf[s.EventOut],
    responses=READ_ERRORS,
    tags=["receivables"],
)
def get_chain_of_custody(request: Request, caller: Caller, receivable_id: ReceivablePath) -> Body:
    """Every event on the piece's ancestry, from the anchor's confirmation to now."""
    events = services(request).reads.chain_of_custody(caller, receivable_id)
    return out.list_of(out.event(e) for e in events)


@router.post(
    "/receivables/{receivable_id}/split",
    response_model=s.SplitOut,
    responses=ERRORS,
    tags=["receivables"],
)
def split_receivable(receivable_id: ReceivablePath, body: s.Split, m: Mutate) -> Body:
    """The holder splits a piece into pieces whose faces sum exactly to it."""
    outcome = _on_piece(
        m,
        c.SplitReceivable(
            receivable_id,
            tuple(body.amounts_minor),
            None if body.piece_ids is None else tuple(body.piece_ids),
        ),
        receivable_id,
    )
    pieces = m.svc.reads.receivables_by_id(m.principal, outcome.created["piece_ids"])
    return {"object": "split", "id": receivable_id, "pieces": [out.receivable(p) for p in pieces]}


@router.post(
    "/receivables/{receivable_id}/transfer",
    response_model=s.TransferOut,
    responses=ERRORS,
    tags=["receivables"],
)
def transfer_receivable(receivable_id: ReceivablePath, body: s.Transfer, m: Mutate) -> Body:
    """The holder passes a piece to another organisation onboarded in the program; with
    `amount_minor` below the face only that much moves (split and transfer, atomically)
    and the rest stays with the holder as `remainder_id`."""
    outcome = _on_piece(
        m,
        c.TransferReceivable(
            receivable_id,
            body.to_org_id,
            body.amount_minor,
            body.new_receivable_id,
            body.part_id,
            body.remainder_id,
        ),
        receivable_id,
    )
    retired = outcome.retired
    assert retired is not None, "a transfer's outcome carries the piece it retired"
    return {
        "object": "transfer",
        "id": outcome.created["new_receivable_id"],
        "receivable_id": receivable_id,
        "to_org_id": body.to_org_id,
        "amount_minor": retired["amount_minor"],
        "currency": retired["currency"],
        "remainder_id": outcome.created["remainder_id"] if retired["partial"] else None,
    }


def _piece_action(m: Mutation, command: Any, receivable_id: str) -> Body:
    _on_piece(m, command, receivable_id)
    return out.receivable(m.svc.reads.receivable(m.principal, receivable_id))


@router.post(
    "/receivables/{receivable_id}/settle",
    response_model=s.ReceivableOut,
    responses=ERRORS,
    tags=["settlement"],
)
def settle_receivable(
    receivable_id: ReceivablePath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """The obligor pays the face to the holder at (or after) maturity. On a recourse
    obligation (status `recourse_due`) the seller that owes it pays the funder, at any time
    (`PayRecourse`)."""
    if m.svc.reads.can_see_receivable(m.principal, receivable_id) and (
        m.svc.reads.receivable(m.principal, receivable_id).status == "recourse_due"
    ):
        return _piece_action(m, c.PayRecourse(receivable_id), receivable_id)
    return _piece_action(m, c.SettleReceivable(receivable_id), receivable_id)


@router.post(
    "/receivables/{receivable_id}/mark_overdue",
    response_model=s.ReceivableOut,
    responses=ERRORS,
    tags=["settlement"],
)
def mark_overdue(receivable_id: ReceivablePath, m: Mutate, body: s.NoBody | None = None) -> Body:
    """The obligor or the operator marks an unpaid piece past maturity as overdue."""
    return _piece_action(m, c.MarkOverdue(receivable_id), receivable_id)


@router.post(
    "/receivables/{receivable_id}/mark_defaulted",
    response_model=s.ReceivableOut,
    responses=ERRORS,
    tags=["settlement"],
)
def mark_defaulted(receivable_id: ReceivablePath, m: Mutate, body: s.NoBody | None = None) -> Body:
    """After the program's grace period an overdue piece is marked defaulted."""
    return _piece_action(m, c.MarkDefaulted(receivable_id), receivable_id)


@router.post(
    "/receivables/{receivable_id}/cancel",
    response_model=s.ReceivableOut,
    responses=ERRORS,
    tags=["receivables"],
)
def cancel_receivable(
    receivable_id: ReceivablePath, m: Mutate, body: s.Cancel | None = None
) -> Body:
    """The anchor cancels a receivable its supplier still holds whole."""
    reason = body.reason if body is not None else "cancelled by the anchor"
    return _piece_action(m, c.CancelReceivable(receivable_id, reason), receivable_id)


# --- financing -------------------------------------------------------------------------


@router.post(
    "/financing_requests",
    status_code=201,
    response_model=s.FinancingRequestOut,
    responses=ERRORS,
    tags=["financing"],
)
def request_financing(body: s.RequestFinancing, m: Mutate) -> Body:
    """The holder puts a piece up for financing; the program's funders may offer."""
    outcome = _on_piece(m, c.RequestFinancing(body.receivable_id, body.id), body.receivable_id)
    return out.financing_request(
        m.svc.reads.financing_request(m.principal, outcome.created["request_id"])
    )


@router.get(
    "/financing_requests",
    response_model=s.ListOf[s.FinancingRequestOut],
    responses=READ_ERRORS,
    tags=["financing"],
)
def list_financing_requests(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    status: Literal["open", "accepted", "withdrawn"] | None = None,
    program_id: ProgramFilter = None,
    receivable_id: ReceivableFilter = None,
) -> Body:
    """A holder's own requests; for a funder, every request of the programs it funds;
    for an anchor, those of its programs."""
    page = services(request).reads.financing_requests(
        caller,
        status=status,
        program_id=program_id,
        receivable_id=receivable_id,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.financing_request)


@router.get(
    "/financing_requests/{request_id}",
    response_model=s.FinancingRequestOut,
    responses=READ_ERRORS,
    tags=["financing"],
)
def get_financing_request(request: Request, caller: Caller, request_id: RequestPath) -> Body:
    return out.financing_request(services(request).reads.financing_request(caller, request_id))


@router.post(
    "/financing_requests/{request_id}/withdraw",
    response_model=s.FinancingRequestOut,
    responses=ERRORS,
    tags=["financing"],
)
def withdraw_financing_request(
    request_id: RequestPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    reads = m.svc.reads
    m.run(
        c.WithdrawFinancingRequest(request_id),
        guard=lambda: _sees(m, reads.financing_request, request_id),
        hidden=_hidden("financing_request", request_id, "request_id"),
    )
    return out.financing_request(reads.financing_request(m.principal, request_id))


@router.post(
    "/financing_requests/{request_id}/offers",
    status_code=201,
    response_model=s.FinancingOfferOut,
    responses=ERRORS,
    tags=["financing"],
)
def offer_financing(request_id: RequestPath, body: s.OfferFinancing, m: Mutate) -> Body:
    """A funder of the program bids: an annual discount rate, a value date and fees."""
    reads = m.svc.reads
    outcome = m.run(
        c.OfferFinancing(request_id, body.annual_rate, body.value_date, body.fees_minor, body.id),
        guard=lambda: _sees(m, reads.financing_request, request_id),
        hidden=_hidden("financing_request", request_id, "request_id"),
    )
    return out.financing_offer(reads.financing_offer(m.principal, outcome.created["offer_id"]))


@router.get(
    "/financing_requests/{request_id}/offers",
    response_model=s.ListOf[s.FinancingOfferOut],
    responses=READ_ERRORS,
    tags=["financing"],
)
def list_request_offers(
    request: Request,
    caller: Caller,
    request_id: RequestPath,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
) -> Body:
    """The holder that asked sees every offer; a funder only its own (bids are sealed)."""
    page = services(request).reads.financing_offers(
        caller, request_id=request_id, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.financing_offer)


@router.get(
    "/financing_offers",
    response_model=s.ListOf[s.FinancingOfferOut],
    responses=READ_ERRORS,
    tags=["financing"],
)
def list_financing_offers(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    request_id: RequestFilter = None,
    status: Literal["open", "accepted", "declined"] | None = None,
) -> Body:
    page = services(request).reads.financing_offers(
        caller, request_id=request_id, status=status, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.financing_offer)


@router.get(
    "/financing_offers/{offer_id}",
    response_model=s.FinancingOfferOut,
    responses=READ_ERRORS,
    tags=["financing"],
)
def get_financing_offer(request: Request, caller: Caller, offer_id: OfferPath) -> Body:
    return out.financing_offer(services(request).reads.financing_offer(caller, offer_id))


@router.post(
    "/financing_offers/{offer_id}/accept",
    response_model=s.FinancingOfferOut,
    responses=ERRORS,
    tags=["financing"],
)
def accept_financing_offer(
    offer_id: OfferPath, m: Mutate, body: s.AcceptFinancing | None = None
) -> Body:
    """The holder accepts one offer: the piece passes to the funder, which pays the
    proceeds; the other offers are declined."""
    reads = m.svc.reads
    m.run(
        c.AcceptFinancingOffer(offer_id, body.new_receivable_id if body else None),
        guard=lambda: _sees(m, reads.financing_offer, offer_id),
        hidden=_hidden("financing_offer", offer_id, "offer_id"),
    )
    return out.financing_offer(reads.financing_offer(m.principal, offer_id))


# --- early payment ---------------------------------------------------------------------


@router.post(
    "/early_payment_offers",
    status_code=201,
    response_model=s.EarlyPaymentOfferOut,
    responses=ERRORS,
    tags=["early payment"],
)
def offer_early_payment(body: s.OfferEarlyPayment, m: Mutate) -> Body:
    """The anchor offers to pay a piece before maturity at a discount."""
    outcome = _on_piece(
        m,
        c.OfferEarlyPayment(body.receivable_id, body.annual_rate, body.value_date, body.id),
        body.receivable_id,
    )
    return out.early_payment_offer(
        m.svc.reads.early_payment_offer(m.principal, outcome.created["offer_id"])
    )


@router.get(
    "/early_payment_offers",
    response_model=s.ListOf[s.EarlyPaymentOfferOut],
    responses=READ_ERRORS,
    tags=["early payment"],
)
def list_early_payment_offers(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    status: Literal["open", "accepted"] | None = None,
    receivable_id: ReceivableFilter = None,
) -> Body:
    page = services(request).reads.early_payment_offers(
        caller,
        status=status,
        receivable_id=receivable_id,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.early_payment_offer)


@router.get(
    "/early_payment_offers/{offer_id}",
    response_model=s.EarlyPaymentOfferOut,
    responses=READ_ERRORS,
    tags=["early payment"],
)
def get_early_payment_offer(request: Request, caller: Caller, offer_id: EarlyOfferPath) -> Body:
    return out.early_payment_offer(services(request).reads.early_payment_offer(caller, offer_id))


@router.post(
    "/early_payment_offers/{offer_id}/accept",
    response_model=s.EarlyPaymentOfferOut,
    responses=ERRORS,
    tags=["early payment"],
)
def accept_early_payment(offer_id: EarlyOfferPath, m: Mutate, body: s.NoBody | None = None) -> Body:
    """The holder takes the early payment: the anchor pays now, the piece is paid."""
    reads = m.svc.reads
    m.run(
        c.AcceptEarlyPayment(offer_id),
        guard=lambda: _sees(m, reads.early_payment_offer, offer_id),
        hidden=_hidden("early_payment_offer", offer_id, "offer_id"),
    )
    return out.early_payment_offer(reads.early_payment_offer(m.principal, offer_id))
