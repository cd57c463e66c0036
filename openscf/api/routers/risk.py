"""Risk decisions and the fraud review queue: flags raised by the operator's risk service,
cleared by a checker of the operator or of the invoice's anchor; the decisions recorded on
the log, each visible to the organisation it is about (the operator and auditors see all);
the registered models (id, kind, content hash, features), visible to every caller, since
they are what anyone checks a decision against."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import ERRORS, READ_ERRORS, Limit, StartingAfter
from openscf.api.security import Caller, Mutate, services
from openscf.app import risk_ledger as rl
from openscf.app.risk_ledger import RiskLedger
from openscf.domain import commands as c
from openscf.domain.errors import NotFound

router = APIRouter()

Body = dict[str, Any]
FlagPath = Annotated[
    str, Path(pattern=s.id_pattern("ffl"), max_length=80, description="a fraud flag id")
]
DecisionPath = Annotated[
    str, Path(pattern=s.id_pattern("rdc"), max_length=80, description="a risk decision id")
]
ReceivablePath = Annotated[
    str, Path(pattern=s.id_pattern("rcv"), max_length=80, description="a receivable id")
]
ProgramFilter = Annotated[str | None, Query(pattern=s.id_pattern("prg"), max_length=80)]


def _visible_flag(request: Request, caller: Any, flag_id: str) -> bool:
    try:
        rl.fraud_flag(services(request).reads, caller, flag_id)
    except NotFound:
        return False
    return True


# --- the fraud review queue ---------------------------------------------------------------


@router.post(
    "/fraud_flags",
    status_code=201,
    response_model=s.FraudFlagOut,
    responses=ERRORS,
    tags=["risk"],
)
def raise_fraud_flag(body: s.RaiseFraudFlag, m: Mutate) -> Body:
    """The operator's risk service flags a supplier's invoice (by program, supplier and
    number, confirmed or not) or the invoice behind a piece (`receivable_id`). While the
    flag is open the invoice cannot be confirmed (`409 invoice_flagged`) and no piece of
    it can be financed or paid early (`409 receivable_flagged`)."""
    outcome = m.run(
        c.RaiseFraudFlag(
            body.detector_id,
            body.evidence,
            body.evidence_sha256,
            body.program_id,
            body.supplier_id,
            body.invoice_number,
            body.receivable_id,
            body.decision_id,
            body.id,
        )
    )
    return out.fraud_flag(rl.fraud_flag(m.svc.reads, m.principal, outcome.created["flag_id"]))


@router.get(
    "/fraud_flags",
    response_model=s.ListOf[s.FraudFlagOut],
    responses=READ_ERRORS,
    tags=["risk"],
)
def list_fraud_flags(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    program_id: ProgramFilter = None,
    status: Literal["open", "cleared"] | None = None,
) -> Body:
    """The review queue: every flag for the operator and auditors; for an anchor the flags
    on invoices addressed to it; for a supplier those on its own invoices."""
    page = rl.fraud_flags(
        services(request).reads,
        caller,
        status=status,
        program_id=program_id,
        limit=limit,
        starting_after=starting_after,
    )
    return out.listing(page, out.fraud_flag)


@router.get(
    "/fraud_flags/{flag_id}", response_model=s.FraudFlagOut, responses=READ_ERRORS, tags=["risk"]
)
def get_fraud_flag(request: Request, caller: Caller, flag_id: FlagPath) -> Body:
    return out.fraud_flag(rl.fraud_flag(services(request).reads, caller, flag_id))


@router.post(
    "/fraud_flags/{flag_id}/clear",
    response_model=s.FraudFlagOut,
    responses=ERRORS,
    tags=["risk"],
)
def clear_fraud_flag(
    request: Request, flag_id: FlagPath, body: s.ClearFraudFlag, m: Mutate
) -> Body:
    """A checker of the operator, or of the anchor the invoice is addressed to, clears the
    flag with a reason; never the user who raised it (`403 same_user_cannot_clear`)."""
    m.run(
        c.ClearFraudFlag(flag_id, body.reason),
        guard=lambda: _visible_flag(request, m.principal, flag_id),
        hidden=("fraud_flag", flag_id, "flag_id"),
    )
    return out.fraud_flag(rl.fraud_flag(m.svc.reads, m.principal, flag_id))


# --- decisions and models -----------------------------------------------------------------


@router.post(
    "/risk_decisions",
    status_code=201,
    response_model=s.RiskDecisionOut,
    responses=ERRORS,
    tags=["risk"],
)
def record_risk_decision(body: s.RecordRiskDecision, m: Mutate) -> Body:
    """The operator's risk service records a decision of a registered model (refused when
    the model is not registered, `404 unknown_model`, or registered with another hash,
    `409 model_hash_mismatch`)."""
    outcome = m.run(
        c.RecordRiskDecision(
            body.kind,
            body.subject_kind,
            body.org_id,
            body.model_id,
            body.model_sha256,
            body.features,
            body.features_sha256,
            body.output,
            tuple(body.reasons),
            body.program_id,
            body.invoice_number,
            body.receivable_id,
            body.id,
        )
    )
    return out.risk_decision(rl.decision(m.svc.reads, m.principal, outcome.created["decision_id"]))


@router.get(
    "/risk_decisions",
    response_model=s.ListOf[s.RiskDecisionOut],
    responses=READ_ERRORS,
    tags=["risk"],
)
def list_risk_decisions(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    kind: Literal["score", "price", "fraud_flag"] | None = None,
) -> Body:
    """Decisions about the caller (the operator and auditors: all of them)."""
    page = rl.decisions(
        services(request).reads, caller, kind=kind, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.risk_decision)


@router.get(
    "/risk_decisions/{decision_id}",
    response_model=s.RiskDecisionOut,
    responses=READ_ERRORS,
    tags=["risk"],
)
def get_risk_decision(request: Request, caller: Caller, decision_id: DecisionPath) -> Body:
    return out.risk_decision(rl.decision(services(request).reads, caller, decision_id))


@router.get(
    "/receivables/{receivable_id}/indicative_price",
    response_model=s.IndicativePriceOut,
    responses=READ_ERRORS,
    tags=["risk"],
)
def get_indicative_price(request: Request, caller: Caller, receivable_id: ReceivablePath) -> Body:
    """The piece's indicative annual rate and its parts (bps), with its holder's grade:
    for the holder, and for the funders of its program while a financing request on it is
    open (the operator and auditors: every piece). Anyone else, and any piece without a
    price, gets `404 no_indicative_price`, whether or not the piece exists."""
    found = rl.piece_prices(services(request).reads, caller, [receivable_id]).get(receivable_id)
    if found is None:
        raise NotFound(
            "no_indicative_price",
            f"no indicative price you may see for {receivable_id!r}",
            "receivable_id",
        )
    return out.indicative_price(found)


@router.get(
    "/risk_models",
    response_model=s.ListOf[s.RiskModelOut],
    responses=READ_ERRORS,
    tags=["risk"],
)
def list_risk_models(request: Request, caller: Caller) -> Body:
    """Every registered model: what each decision is checked against."""
    models = RiskLedger(services(request).service).models()
    return out.list_of(out.risk_model(m) for m in models)
