"""Immutable records of the network's state. A change replaces a record; nothing mutates.

Statuses of a receivable piece:

    live ──split/transfer/financing──▶ split | transferred      (retired, replaced by new pieces)
      │ ──settle / early payment────▶ settled | paid_early
      │ ──cancel (anchor, supplier still holds the whole)──▶ cancelled
      └─maturity passes──▶ overdue ──grace passes──▶ defaulted   (both still payable)
                                                          │ ──put back (recourse)──▶ put_back
    A put-back retires the funder's defaulted piece and creates two: the same claim on the
    anchor, now held by the seller (still defaulted), and a recourse obligation whose
    obligor is the seller and holder the funder (status recourse_due ──pay──▶ settled).
    The obligation's face is what the funder still lacked (face - paid - recovered); a
    returned piece that was in a default claim stays in it, so later recoveries reach the
    seller.

A piece may be paid in parts from maturity on (`paid_minor` grows; what is left stays
owed and can go overdue); it is settled when fully paid. When the operator declares its
obligor in default, every outstanding piece joins the obligor's default claim (status
defaulted, `claim_id` set): from then on only recoveries pay it (`recovered_minor`), and
when the claim is closed the rest is written off as the holder's loss:

    live | overdue | defaulted ──obligor default──▶ defaulted (in a claim) ──close──▶ written_off
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

__all__ = [
    "APPROVAL_PERMISSIONS",
    "ONBOARDING_APPROVERS",
    "OUTSTANDING",
    "PERMISSIONS",
    "ROLES",
    "Approval",
    "ApprovalStatus",
    "Credit",
    "CreditStatus",
    "DefaultClaim",
    "DefaultClaimStatus",
    "Dispute",
    "DisputeStatus",
    "EarlyPaymentOffer",
    "EarlyPaymentOfferStatus",
    "Exposure",
    "FinancingOffer",
    "FinancingOfferStatus",
    "FinancingRequest",
    "FinancingRequestStatus",
    "FraudFlag",
    "FraudFlagStatus",
    "Invoice",
    "OrgKey",
    "Organisation",
    "Program",
    "Receivable",
    "ReceivableStatus",
    "Relationship",
    "RiskDecision",
    "RiskModel",
    "User",
    "exposure_key",
]

ROLES = ("anchor", "supplier", "funder", "auditor", "operator")
PERMISSIONS = ("maker", "checker", "viewer", "admin")
# Permissions that approve another user's request (maker-checker). Granting one is itself
# a maker-checker change (docs/security.md, "Separation of duties").
APPROVAL_PERMISSIONS = ("checker",)
# The operator seeds an organisation's first approvers at onboarding, at most this many;
# every later grant needs an approver of the organisation itself.
ONBOARDING_APPROVERS = 2

# The statuses of each record, as types: a status outside its set is a type error.
ReceivableStatus = Literal[
    "live",
    "split",
    "transferred",
    "settled",
    "paid_early",
    "cancelled",
    "overdue",
    "defaulted",
    "put_back",
    "recourse_due",
    "written_off",
]
FinancingRequestStatus = Literal["open", "accepted", "withdrawn"]
FinancingOfferStatus = Literal["open", "accepted", "declined"]
EarlyPaymentOfferStatus = Literal["open", "accepted"]
ApprovalStatus = Literal["pending", "approved"]
CreditStatus = Literal["open", "netted"]
DisputeStatus = Literal["open", "agreed", "withdrawn"]
DefaultClaimStatus = Literal["open", "closed"]

# Pieces still owed by the obligor: they count against limits and must be paid.
OUTSTANDING: frozenset[ReceivableStatus] = frozenset({"live", "overdue", "defaulted"})
# A recourse obligation (the seller owes the funder a put-back piece's face) while unpaid.
# It is not the anchor's debt, so it counts against no program limit.
RECOURSE_DUE: ReceivableStatus = "recourse_due"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    roles: tuple[str, ...]
    country: str
    lei: str | None = None
    iban: str | None = None
    bic: str | None = None
    # Users holding an approval permission (the operator seeds at most two).
    approvers: int = 0
    # The organisation switched custody off: the server no longer signs for it.
    custody_disabled: bool = False
    # The operator declared it in default: its open (or closed) default claim.
    default_claim_id: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    org_id: str
    name: str
    permissions: tuple[str, ...]
    # Separation of duties: who created the user, since when it holds an approval
    # permission, and who asked for and approved that grant. It never approves their
    # requests, nor a request made before it held the permission.
    created_by: str | None = None
    approver_since: datetime | None = None
    approver_sponsors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Program:
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
    # Confirmations above this face need a second user's approval (maker-checker).
    approval_threshold_minor: int
    # Days after maturity before an unpaid piece is marked defaulted.
    default_after_days: int
    funder_ids: tuple[str, ...] = ()
    # With recourse, the funder of a defaulted piece may put it back to the seller, who
    # then owes the face within `recourse_days`. Without, the funder keeps the loss.
    recourse: bool = False
    recourse_days: int = 0


@dataclass(frozen=True, slots=True)
class Relationship:
    program_id: str
    supplier_id: str
    onboarded_on: date


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    number: str
    amount_minor: int
    currency: str
    due_on: date
    receivable_id: str


@dataclass(frozen=True, slots=True)
class Receivable:
    id: str
    program_id: str
    obligor_id: str
    # The supplier whose invoice the root receivable confirmed: limits count against it.
    supplier_id: str
    holder_id: str
    face_minor: int
    currency: str
    due_on: date
    issued_at: datetime
    invoice_id: str
    root_id: str
    parent_id: str | None
    status: ReceivableStatus
    # An open financing request locks the piece against moves until it is resolved.
    encumbrance: str | None = None
    # Paid by the obligor so far (partial payments, then the final settlement).
    paid_minor: int = 0
    # Received from recoveries after the obligor's default, and the claim it belongs to.
    recovered_minor: int = 0
    claim_id: str | None = None

    @property
    def outstanding_minor(self) -> int:
        """What is still owed on the piece: the face less payments and recoveries."""
        return self.face_minor - self.paid_minor - self.recovered_minor


@dataclass(frozen=True, slots=True)
class FinancingRequest:
    id: str
    program_id: str
    receivable_id: str
    holder_id: str
    status: FinancingRequestStatus
    accepted_offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class FinancingOffer:
    id: str
    request_id: str
    funder_id: str
    annual_rate: str
    fees_minor: int
    value_date: date
    days: int
    discount_minor: int
    proceeds_minor: int
    status: FinancingOfferStatus


@dataclass(frozen=True, slots=True)
class EarlyPaymentOffer:
    id: str
    receivable_id: str
    # The piece's obligor, who offers to pay it early.
    obligor_id: str
    annual_rate: str
    value_date: date
    days: int
    discount_minor: int
    amount_minor: int
    status: EarlyPaymentOfferStatus


@dataclass(frozen=True, slots=True)
class Approval:
    """A maker's request waiting for a checker of the same organisation."""

    id: str
    org_id: str
    kind: str  # confirmation | bank_account | match_override | permission_grant
    maker_id: str
    status: ApprovalStatus
    # The command's canonical fields, so the checker approves exactly what the maker saw.
    payload_json: str
    requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Credit:
    """A dilution after confirmation: the anchor holds `amount_minor` against the supplier
    (a credit note, or a dispute the supplier agreed). The confirmed receivable stays whole;
    the credit is netted against the supplier's next confirmations in the program
    (`open_minor` is what is left) and, while never netted, is a claim on the supplier."""

    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_id: str
    source: str  # credit_note | dispute
    reference: str  # the credit note's number, or the dispute's id
    amount_minor: int
    open_minor: int
    currency: str
    status: CreditStatus
    recorded_on: date


@dataclass(frozen=True, slots=True)
class Dispute:
    """The anchor disputes (part of) a supplier's invoice. Before confirmation it holds the
    invoice back from confirmation until resolved; after, an agreed dispute is a Credit."""

    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    number_key: str
    amount_minor: int
    currency: str
    reason: str
    invoice_id: str | None
    status: DisputeStatus
    agreed_minor: int = 0
    credit_id: str | None = None


FraudFlagStatus = Literal["open", "cleared"]


@dataclass(frozen=True, slots=True)
class RiskModel:
    """A model artefact registered by the operator's risk service: a decision may cite it
    only by this id and this content hash (sha256 of the artefact's exact bytes). `kind`
    names the scorer that computes an output from the artefact and a feature vector
    (`openscf.risk.scoring`); `feature_names` are the features it reads, exactly."""

    id: str
    kind: str
    content_sha256: str
    feature_names: tuple[str, ...]
    registered_on: date


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """A score, price or fraud flag decided by a registered model, as recorded on the log.

    `features` and `output` are canonical JSON objects (text); `features_sha256` is the
    sha256 of the features' bytes. The subject is an organisation (`org_id`), a supplier's
    invoice (`program_id`, `org_id` the supplier, `invoice_number`) or a piece
    (`receivable_id`, `org_id` one of its parties)."""

    id: str
    kind: str  # score | price | fraud_flag
    subject_kind: str  # organisation | invoice | receivable
    org_id: str
    program_id: str | None
    invoice_number: str | None
    receivable_id: str | None
    model_id: str
    model_sha256: str
    features_sha256: str
    features: str
    output: str
    reasons: tuple[str, ...]
    decided_on: date


@dataclass(frozen=True, slots=True)
class FraudFlag:
    """A fraud detector's flag on a supplier's invoice (named by number, confirmed or not).
    While open the invoice cannot be confirmed and no piece of its receivable can be
    financed or paid early; a checker other than the user who raised it clears it."""

    id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    number_key: str
    invoice_id: str | None
    receivable_id: str | None
    detector_id: str
    evidence: str
    evidence_sha256: str
    decision_id: str | None
    status: FraudFlagStatus
    raised_by: str
    raised_on: date
    cleared_by: str | None = None
    clear_reason: str | None = None
    cleared_on: date | None = None


@dataclass(frozen=True, slots=True)
class DefaultClaim:
    """The holders' claim on an obligor declared in default: the pieces it owed then.

    Recoveries are shared among these pieces until the claim is closed, which writes off
    what is left as the realised loss."""

    id: str
    obligor_id: str
    status: DefaultClaimStatus
    reason: str  # insolvency | past_due
    declared_on: date
    piece_ids: tuple[str, ...]
    approval_id: str


@dataclass(frozen=True, slots=True)
class OrgKey:
    """An organisation's Ed25519 public key and the window in which it signs for it.

    `custodial` keys were generated and are held (sealed) by the server for organisations
    that chose it; the events they sign say so.
    """

    id: str
    org_id: str
    public_key: str  # "ed25519:" + base64
    custodial: bool
    valid_from: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    def in_force_at(self, at: datetime) -> bool:
        ends = [t for t in (self.rotated_at, self.revoked_at) if t is not None]
        return self.valid_from <= at and (not ends or at < min(ends))


@dataclass(frozen=True, slots=True)
class Exposure:
    """Outstanding face counted against one limit: a program, a supplier or a funder in it."""

    key: str
    outstanding_minor: int


def exposure_key(kind: str, program_id: str, org_id: str | None = None) -> str:
    assert kind in ("program", "supplier", "funder")
    return f"{kind}:{program_id}" if org_id is None else f"{kind}:{program_id}:{org_id}"
