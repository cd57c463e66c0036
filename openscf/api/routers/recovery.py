"""When trade goes wrong: partial payments, obligor defaults, recoveries and losses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import ERRORS, READ_ERRORS, ReceivablePath
from openscf.api.security import Caller, Mutate, services
from openscf.app.recovery import ClaimReads
from openscf.domain import commands as c

router = APIRouter()

Body = dict[str, Any]
ClaimPath = Annotated[
    str,
    Path(
        pattern=r"^dfl_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=68,
        description="a default claim id",
    ),
]


def _claims(request: Request) -> ClaimReads:
    return ClaimReads(services(request).reads)


@router.post(
    "/receivables/{receivable_id}/payments",
    response_model=s.ReceivableOut,
    responses=ERRORS,
    tags=["settlement"],
)
def record_payment(receivable_id: ReceivablePath, body: s.RecordPayment, m: Mutate) -> Body:
    """The obligor pays part of a piece (from its maturity on) to its holder. What is left
    stays owed and can go overdue; the payment that completes the piece settles it. A
    payment never exceeds what is owed (`payment_exceeds_outstanding`)."""
    m.run(
        c.RecordPayment(receivable_id, body.amount_minor),
        guard=lambda: m.svc.reads.can_see_receivable(m.principal, receivable_id),
        hidden=("receivable", receivable_id, "receivable_id"),
    )
    return out.receivable(m.svc.reads.receivable(m.principal, receivable_id))


@router.post(
    "/default_claims",
    status_code=202,
    response_model=s.DefaultRequestOut,
    responses=ERRORS,
    tags=["default"],
)
def declare_default(body: s.DeclareDefault, m: Mutate) -> Body:
    """The operator's maker asks that an obligor be declared in default: `insolvency` (an
    insolvency event; say what in `note`) or `past_due` (a piece it owes is past its
    program's `default_after_days`). A second operator user approves it with POST
    /v1/approvals/{approval_id}/approve; then every piece the obligor still owes, in
    every program, joins the claim."""
    outcome = m.run(
        c.RequestObligorDefault(
            body.obligor_id, body.reason, body.note, body.approval_id, body.claim_id
        )
    )
    return {
        "object": "default_request",
        "approval_id": outcome.created["approval_id"],
        "claim_id": outcome.created["claim_id"],
        "obligor_id": body.obligor_id,
        "reason": body.reason,
        "status": "pending_approval",
    }


@router.get(
    "/default_claims",
    response_model=s.ListOf[s.DefaultClaimOut],
    responses=READ_ERRORS,
    tags=["default"],
)
def list_claims(request: Request, caller: Caller) -> Body:
    """Default claims the caller may see: all (operator, auditor), its own (the obligor),
    those holding its pieces (a holder: with its own pieces' lines only)."""
    return out.list_of(v.to_dict() for v in _claims(request).claims(caller))


@router.get(
    "/default_claims/{claim_id}",
    response_model=s.DefaultClaimOut,
    responses=READ_ERRORS,
    tags=["default"],
)
def get_claim(request: Request, caller: Caller, claim_id: ClaimPath) -> Body:
    """A claim: per piece what it lacked at default, what was recovered, what is still
    outstanding and (once closed) the loss; each recovery with its shares; per program
    the exposure, loss and loss given default."""
    return _claims(request).claim(caller, claim_id).to_dict()


@router.post(
    "/default_claims/{claim_id}/recoveries",
    response_model=s.DefaultClaimOut,
    responses=ERRORS,
    tags=["default"],
)
def record_recovery(
    request: Request, claim_id: ClaimPath, body: s.RecordRecovery, m: Mutate
) -> Body:
    """The operator records money recovered on the claim (from the administrator, an
    insurer, a guarantor). It is shared among the claim's pieces in that currency pro
    rata to what each still lacks, in whole minor units by the largest remainder (ties to
    the lower piece id), and never exceeds what they lack (`recovery_exceeds_claim`)."""
    m.run(c.RecordRecovery(claim_id, body.amount_minor, body.currency, body.source))
    return _claims(request).claim(m.principal, claim_id).to_dict()


@router.post(
    "/default_claims/{claim_id}/close",
    response_model=s.DefaultClaimOut,
    responses=ERRORS,
    tags=["default"],
)
def close_claim(
    request: Request, claim_id: ClaimPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """The operator closes the claim: it takes no more money, and what each piece still
    lacks is written off as its holder's realised loss (per piece and per program, with
    the loss given default, on the log)."""
    m.run(c.CloseDefaultClaim(claim_id))
    return _claims(request).claim(m.principal, claim_id).to_dict()
