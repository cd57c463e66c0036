"""Request and response models. Requests are strict: unknown fields are refused, numbers
are never strings (nor strings numbers), ids carry their prefix, free text has no
control characters, dates are plain `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from openscf.domain.money import MAX_AMOUNT_MINOR

__all__ = ["ID_PATTERNS", "id_pattern"]

ID_BODY = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def id_pattern(prefix: str) -> str:
    return rf"^{prefix}_{ID_BODY}$"


ID_PATTERNS = {
    p: id_pattern(p)
    for p in ("org", "usr", "prg", "inv", "rcv", "fin", "ofr", "epo", "apr", "evt", "akey")
}


def _printable(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _plain_date(value: Any) -> Any:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date as text, YYYY-MM-DD")
    parsed = date.fromisoformat(value)
    if not 1970 <= parsed.year <= 2999:
        raise ValueError("must be a date between 1970 and 2999")
    return parsed


_Printable = AfterValidator(_printable)
Name = Annotated[StrictStr, Field(min_length=1, max_length=200), _Printable]
ShortName = Annotated[StrictStr, Field(min_length=1, max_length=100), _Printable]
InvoiceNumber = Annotated[StrictStr, Field(min_length=1, max_length=64), _Printable]
Password = Annotated[StrictStr, Field(min_length=1, max_length=1024), _Printable]
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_MINOR, description="minor units")]
Fees = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_MINOR, description="minor units")]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
Rate = Annotated[
    StrictStr,
    Field(
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,12})?$",
        max_length=16,
        description='annual rate as a decimal, e.g. "0.0415"',
    ),
]
PlainDate = Annotated[date, BeforeValidator(_plain_date)]
Role = Literal["anchor", "supplier", "funder", "auditor", "operator"]
Permission = Literal["maker", "checker", "viewer", "admin"]

OrgId = Annotated[StrictStr, Field(pattern=r"^org_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
UserId = Annotated[StrictStr, Field(pattern=r"^usr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ProgramId = Annotated[StrictStr, Field(pattern=r"^prg_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
InvoiceId = Annotated[StrictStr, Field(pattern=r"^inv_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ReceivableId = Annotated[StrictStr, Field(pattern=r"^rcv_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
RequestId = Annotated[StrictStr, Field(pattern=r"^fin_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
OfferId = Annotated[StrictStr, Field(pattern=r"^ofr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
EarlyOfferId = Annotated[StrictStr, Field(pattern=r"^epo_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ApprovalId = Annotated[StrictStr, Field(pattern=r"^apr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------


class NoBody(Strict):
    """Actions take no fields; an empty object (or no body) is fine."""


class CreateOrganisation(Strict):
    name: Name
    roles: list[Role] = Field(min_length=1, max_length=5)
    country: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")]
    lei: Annotated[StrictStr, Field(pattern=r"^[A-Z0-9]{20}$")] | None = None
    iban: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")] | None = None
    bic: Annotated[StrictStr, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None
    id: OrgId | None = None


class CreateUser(Strict):
    org_id: OrgId
    name: Name
    permissions: list[Permission] = Field(min_length=1, max_length=4)
    id: UserId | None = None


class GrantPermissionIn(Strict):
    permission: Permission
    id: ApprovalId | None = Field(None, description="the approval a 'checker' grant creates")


class CreateApiKey(Strict):
    user_id: UserId | None = Field(default=None, description="whose key; default: the caller")
    name: ShortName = "default"


class Login(Strict):
    """Log in with a login and password (demo users) or with an API key."""

    login: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] | None = None
    password: Password | None = None
    api_key: Annotated[StrictStr, Field(max_length=200)] | None = None


class BankAccountChange(Strict):
    iban: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")]
    bic: Annotated[StrictStr, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")]
    id: ApprovalId | None = None


class CreateProgram(Strict):
    name: Name
    currency: Currency
    max_tenor_days: Annotated[StrictInt, Field(ge=1, le=3650)]
    program_limit_minor: Amount
    supplier_limit_minor: Amount
    funder_limit_minor: Amount
    day_count: Literal["ACT/360", "ACT/365F"] = "ACT/360"
    calendar: Annotated[StrictStr, Field(pattern=r"^[A-Z0-9_]{2,10}$")] = "TARGET"
    approval_threshold_minor: Fees = 0
    default_after_days: Annotated[StrictInt, Field(ge=0, le=365)] = 30
    id: ProgramId | None = None
    recourse: StrictBool = Field(
        False,
        description="with recourse, the funder of a defaulted piece may put it back "
        "to the seller; without (the default), the funder keeps the loss",
    )
    recourse_days: Annotated[StrictInt, Field(ge=1, le=365)] = Field(
        30, description="with recourse: days the seller has to pay a put-back piece"
    )


class AddFunder(Strict):
    funder_id: OrgId


class OnboardSupplier(Strict):
    supplier_id: OrgId


class Confirm(Strict):
    program_id: ProgramId
    supplier_id: OrgId
    invoice_number: InvoiceNumber
    amount_minor: Amount
    currency: Currency
    due_on: PlainDate
    invoice_id: InvoiceId | None = None
    receivable_id: ReceivableId | None = None
    approval_id: ApprovalId | None = None


class Split(Strict):
    amounts_minor: list[Amount] = Field(min_length=2, max_length=1000)
    piece_ids: list[ReceivableId] | None = Field(default=None, min_length=2, max_length=1000)


class Transfer(Strict):
    to_org_id: OrgId
    amount_minor: Amount | None = Field(
        default=None, description="less than the face: only this much moves"
    )
    new_receivable_id: ReceivableId | None = None
    part_id: ReceivableId | None = None
    remainder_id: ReceivableId | None = None


class Cancel(Strict):
    reason: Name = "cancelled by the anchor"


class RequestFinancing(Strict):
    receivable_id: ReceivableId
    id: RequestId | None = None


class OfferFinancing(Strict):
    annual_rate: Rate
    value_date: PlainDate
    fees_minor: Fees = 0
    id: OfferId | None = None


class AcceptFinancing(Strict):
    new_receivable_id: ReceivableId | None = None


class OfferEarlyPayment(Strict):
    receivable_id: ReceivableId
    annual_rate: Rate
    value_date: PlainDate
    id: EarlyOfferId | None = None


# --- responses -----------------------------------------------------------------------

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool


class ErrorDetail(BaseModel):
    type: str
    code: str
    message: str
    param: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


class OrganisationOut(BaseModel):
    object: Literal["organisation"]
    id: str
    name: str
    roles: list[str]
    country: str
    lei: str | None
    iban: str | None = Field(
        description="shown to the organisation itself, the operator and auditors"
    )
    bic: str | None
    custody_disabled: bool = Field(
        False,
        description="true: the organisation switched custody off; the server signs "
        "nothing for it, only keys it holds itself do",
    )


class UserOut(BaseModel):
    object: Literal["user"]
    id: str
    org_id: str
    name: str
    permissions: list[str]


class ApiKeyOut(BaseModel):
    object: Literal["api_key"]
    id: str
    user_id: str
    org_id: str
    name: str
    prefix: str
    created_by: str
    created_at: str
    revoked_at: str | None
    origin_key_id: str | None = Field(
        default=None,
        description="the API key whose request created this key (directly or "
        "through a session opened with it)",
    )
    secret: str | None = Field(description="the key itself: in the creation response only")


class SessionOut(BaseModel):
    object: Literal["session"]
    id: str
    method: Literal["api_key", "session"]
    user_id: str
    org_id: str
    roles: list[str]
    permissions: list[str]
    csrf_token: str | None = Field(
        description="echo in X-CSRF-Token on cookie-authenticated POST and DELETE requests"
    )
    expires_at: str | None


class SessionRecordOut(BaseModel):
    """A session as listed for its organisation (no cookie, no CSRF token)."""

    object: Literal["session"]
    id: str
    user_id: str
    org_id: str
    opened_with: Literal["password", "api_key"]
    api_key_id: str | None = Field(
        description="the API key the session was opened with; revoking it ends the session"
    )
    address: str | None
    created_at: str
    expires_at: str
    ended_at: str | None


class UserAccessOut(BaseModel):
    object: Literal["user_access"]
    user_id: str
    disabled: bool


class AuthEventOut(BaseModel):
    """One entry of the security audit trail: never a password, key or cookie."""

    object: Literal["auth_event"]
    id: str
    occurred_at: str
    kind: str = Field(
        description="login_failed, login_throttled, login_succeeded, "
        "api_key_created, api_key_revoked, session_ended, "
        "user_disabled, user_enabled"
    )
    org_id: str | None
    user_id: str | None
    actor_id: str | None
    address: str | None
    login: str | None
    credential_id: str | None
    detail: str | None


class ProgramOut(BaseModel):
    object: Literal["program"]
    id: str
    anchor_id: str
    name: str
    currency: str
    max_tenor_days: int
    program_limit_minor: int
    supplier_limit_minor: int
    funder_limit_minor: int
    day_count: str
    calendar: str
    approval_threshold_minor: int
    default_after_days: int
    funder_ids: list[str]
    recourse: bool
    recourse_days: int


class ProgramSupplierOut(BaseModel):
    object: Literal["program_supplier"]
    id: str = Field(description="the supplier's organisation id")
    program_id: str
    supplier_id: str
    onboarded_on: str


class InvoiceOut(BaseModel):
    object: Literal["invoice"]
    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    number: str
    amount_minor: int
    currency: str
    due_on: str
    receivable_id: str


class ConfirmationOut(BaseModel):
    object: Literal["confirmation"]
    id: str = Field(description="the invoice id")
    status: Literal["confirmed", "pending_approval"]
    program_id: str
    supplier_id: str
    invoice_number: str
    amount_minor: int
    currency: str
    due_on: str
    invoice_id: str
    receivable_id: str
    approval_id: str | None


class PermissionGrantOut(BaseModel):
    object: Literal["permission_grant"]
    user_id: str
    permission: str
    status: Literal["pending", "granted"]
    approval_id: str | None = Field(
        description="for 'checker': the approval a second, existing checker must give"
    )


class ApprovalOut(BaseModel):
    object: Literal["approval"]
    id: str
    org_id: str
    kind: str
    maker_id: str
    status: str
    payload: dict[str, Any]


class ReceivableOut(BaseModel):
    object: Literal["receivable"]
    id: str
    program_id: str
    obligor_id: str
    supplier_id: str
    holder_id: str
    face_minor: int
    currency: str
    due_on: str
    issued_at: str
    invoice_id: str
    root_id: str
    parent_id: str | None
    status: str
    encumbrance: str | None
    paid_minor: int = Field(description="paid by the obligor so far")
    recovered_minor: int = Field(description="recovered after the obligor's default")
    outstanding_minor: int = Field(description="still owed: face less paid and recovered")
    claim_id: str | None = Field(description="the obligor's default claim it belongs to")


class SplitOut(BaseModel):
    object: Literal["split"]
    id: str = Field(description="the receivable that was split")
    pieces: list[ReceivableOut]


class TransferOut(BaseModel):
    object: Literal["transfer"]
    id: str = Field(description="the new piece, now held by the recipient")
    receivable_id: str
    to_org_id: str
    amount_minor: int
    currency: str
    remainder_id: str | None = Field(description="on a partial transfer: the piece kept")


class FinancingRequestOut(BaseModel):
    object: Literal["financing_request"]
    id: str
    program_id: str
    receivable_id: str
    holder_id: str
    status: str
    accepted_offer_id: str | None


class FinancingOfferOut(BaseModel):
    object: Literal["financing_offer"]
    id: str
    request_id: str
    funder_id: str
    annual_rate: str
    fees_minor: int
    value_date: str
    days: int
    discount_minor: int
    proceeds_minor: int
    currency: str
    status: str


class EarlyPaymentOfferOut(BaseModel):
    object: Literal["early_payment_offer"]
    id: str
    receivable_id: str
    obligor_id: str = Field(description="the piece's obligor, who offers to pay it early")
    holder_id: str
    annual_rate: str
    value_date: str
    days: int
    discount_minor: int
    amount_minor: int
    currency: str
    status: str


class EventOut(BaseModel):
    object: Literal["event"]
    id: str
    seq: int
    type: str
    org_id: str
    actor_id: str
    occurred_at: str
    data: dict[str, Any]
    key_id: str | None = Field(
        None, description="the signing key behind the event (null: unsigned legacy event)"
    )
    custodial: bool | None = Field(
        None,
        description="true: signed by a custodial key the server holds on the "
        "organisation's behalf; false: by a key the organisation holds itself",
    )


# --- recourse and dilution ----------------------------------------------------------------

CreditId = Annotated[StrictStr, Field(pattern=r"^crd_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
DisputeId = Annotated[StrictStr, Field(pattern=r"^dsp_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class PutBack(Strict):
    returned_receivable_id: ReceivableId | None = Field(
        None, description="the piece the seller now holds (the claim on the anchor)"
    )
    recourse_id: ReceivableId | None = Field(
        None, description="the seller's obligation to pay the funder what it still lacked"
    )


class PutBackOut(BaseModel):
    object: Literal["put_back"]
    id: str = Field(description="the piece that was put back")
    returned_receivable_id: str = Field(
        description="the claim on the anchor, now held (and seen) by the seller"
    )
    recourse_obligation: ReceivableOut


class RecordCreditNote(Strict):
    credit_note_number: InvoiceNumber
    amount_minor: Amount
    id: CreditId | None = None


class RaiseDispute(Strict):
    program_id: ProgramId
    supplier_id: OrgId
    invoice_number: InvoiceNumber
    amount_minor: Amount
    reason: Name
    id: DisputeId | None = None


class ResolveDispute(Strict):
    outcome: Literal["agreed", "withdrawn"] = Field(
        description="agreed: by the supplier; withdrawn: by the anchor"
    )
    amount_minor: Amount | None = Field(
        None, description="agreed: at most the disputed amount (default: all of it)"
    )
    credit_id: CreditId | None = Field(
        None, description="the credit an agreed dispute on a confirmed invoice opens"
    )


class CreditOut(BaseModel):
    object: Literal["credit"]
    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_id: str
    source: Literal["credit_note", "dispute"]
    reference: str
    amount_minor: int
    open_minor: int = Field(description="not yet netted: a claim on the supplier")
    currency: str
    status: Literal["open", "netted"]
    recorded_on: str


class DisputeOut(BaseModel):
    object: Literal["dispute"]
    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    invoice_id: str | None = Field(description="set when the invoice was already confirmed")
    amount_minor: int
    currency: str
    reason: str
    status: Literal["open", "agreed", "withdrawn"]
    agreed_minor: int
    credit_id: str | None


# --- when trade goes wrong: partial payment, obligor default and recovery ---------------

ClaimId = Annotated[StrictStr, Field(pattern=r"^dfl_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
DefaultReason = Literal["insolvency", "past_due"]


class RecordPayment(Strict):
    amount_minor: Amount


class DeclareDefault(Strict):
    obligor_id: OrgId
    reason: DefaultReason
    note: Annotated[StrictStr, Field(max_length=500)] = ""
    claim_id: ClaimId | None = None
    approval_id: ApprovalId | None = None


class RecordRecovery(Strict):
    amount_minor: Amount
    currency: Currency
    source: Name


class DefaultRequestOut(BaseModel):
    object: Literal["default_request"]
    approval_id: str
    claim_id: str
    obligor_id: str
    reason: str
    status: Literal["pending_approval"]


class ClaimTotalsOut(BaseModel):
    currency: str
    exposure_minor: int
    recovered_minor: int
    outstanding_minor: int
    loss_minor: int


class ClaimPieceOut(BaseModel):
    receivable_id: str
    program_id: str
    holder_id: str
    currency: str
    face_minor: int
    paid_minor: int
    exposure_minor: int = Field(description="what it lacked when the obligor defaulted")
    recovered_minor: int
    outstanding_minor: int
    loss_minor: int | None = Field(description="realised loss, once the claim is closed")
    status: str


class RecoveryShareOut(BaseModel):
    receivable_id: str
    holder_id: str
    amount_minor: int


class RecoveryOut(BaseModel):
    event_id: str
    at: str
    source: str
    currency: str
    amount_minor: int
    shares: list[RecoveryShareOut]


class ProgramLossOut(BaseModel):
    program_id: str
    currency: str
    exposure_minor: int
    loss_minor: int
    lgd_bps: int = Field(description="loss given default, basis points, rounded down")


class DefaultClaimOut(BaseModel):
    object: Literal["default_claim"]
    id: str
    obligor_id: str
    status: Literal["open", "closed"]
    reason: str
    declared_on: str
    approval_id: str
    requested_by: str | None = None
    approved_by: str | None = None
    totals: list[ClaimTotalsOut]
    pieces: list[ClaimPieceOut]
    recoveries: list[RecoveryOut]
    programs: list[ProgramLossOut]


# --- risk decisions and the fraud review queue --------------------------------------------

FlagId = Annotated[StrictStr, Field(pattern=r"^ffl_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
DecisionId = Annotated[StrictStr, Field(pattern=r"^rdc_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ModelId = Annotated[StrictStr, Field(pattern=r"^rmd_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Sha256Hex = Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
RiskName = Annotated[
    StrictStr, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$", max_length=64)
]


class RaiseFraudFlag(Strict):
    detector_id: RiskName
    evidence: Annotated[StrictStr, Field(min_length=1, max_length=500), _Printable] = Field(
        description="a summary of the evidence"
    )
    evidence_sha256: Sha256Hex = Field(description="sha256 of the full evidence the detector kept")
    program_id: ProgramId | None = Field(None, description="the invoice's program (with number)")
    supplier_id: OrgId | None = None
    invoice_number: InvoiceNumber | None = None
    receivable_id: ReceivableId | None = Field(
        None, description="or: a piece of the invoice's receivable"
    )
    decision_id: DecisionId | None = None
    id: FlagId | None = None


class ClearFraudFlag(Strict):
    reason: Name


class RecordRiskDecision(Strict):
    kind: Literal["score", "price", "fraud_flag"]
    subject_kind: Literal["organisation", "invoice", "receivable"]
    org_id: OrgId
    model_id: ModelId
    model_sha256: Sha256Hex
    features: Annotated[StrictStr, Field(min_length=2, max_length=65_536)] = Field(
        description="the feature vector, a canonical JSON object"
    )
    features_sha256: Sha256Hex
    output: Annotated[StrictStr, Field(min_length=2, max_length=16_384)] = Field(
        description="the output, a canonical JSON object"
    )
    reasons: list[Name] = Field(default_factory=list, max_length=20)
    program_id: ProgramId | None = None
    invoice_number: InvoiceNumber | None = None
    receivable_id: ReceivableId | None = None
    id: DecisionId | None = None


class FraudFlagOut(BaseModel):
    object: Literal["fraud_flag"]
    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    invoice_id: str | None = Field(description="set when the invoice was already confirmed")
    receivable_id: str | None = Field(description="the piece it was raised through, if any")
    detector_id: str
    evidence: str
    evidence_sha256: str
    decision_id: str | None
    status: Literal["open", "cleared"]
    raised_on: str
    cleared_on: str | None
    clear_reason: str | None


class RiskDecisionOut(BaseModel):
    object: Literal["risk_decision"]
    id: str
    kind: Literal["score", "price", "fraud_flag"]
    subject_kind: Literal["organisation", "invoice", "receivable"]
    org_id: str
    program_id: str | None
    invoice_number: str | None
    receivable_id: str | None
    model_id: str
    model_sha256: str
    features_sha256: str
    features: dict[str, Any]
    output: dict[str, Any]
    reasons: list[str]
    decided_on: str


class IndicativePriceOut(BaseModel):
    """A piece's latest price decision (`output`: the rate and its parts, in bps) and the
    grade and PD of its holder's latest score: nothing else of the holder's score."""

    object: Literal["indicative_price"]
    receivable_id: str
    decision_id: str
    model_id: str
    decided_on: str
    output: dict[str, Any]
    grade: str | None
    pd_bps: int | None


class RiskModelOut(BaseModel):
    object: Literal["risk_model"]
    id: str
    kind: str
    content_sha256: str
    feature_names: list[str]
    registered_on: str
