"""Events: signed, immutable records of what happened. Past-tense names.

An event body (`Event` subclass) says what changed; an `EventRecord` wraps it with who did
it, when, and (once logged) its sequence number. `record_to_data` / `record_from_data`
map records to plain data and back; `openscf.trust.canonical_bytes` of that data is the
one byte form used for hashing, signing and storage.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from openscf.domain.errors import InvalidRequest
from openscf.trust.canonical import EVENT_ENCODING_VERSION

__all__ = [
    "EVENT_TYPES",
    "Auth",
    "BankAccountChangeRequested",
    "BankAccountChanged",
    "ConfirmationRequested",
    "CreditNetted",
    "CreditNoteRecorded",
    "CustodyDisabled",
    "DefaultClaimClosed",
    "DisputeRaised",
    "DisputeResolved",
    "EarlyPaymentOffered",
    "Event",
    "EventRecord",
    "FinancingOfferAccepted",
    "FinancingOfferDeclined",
    "FinancingOffered",
    "FinancingRequestWithdrawn",
    "FinancingRequested",
    "FraudFlagCleared",
    "FraudFlagRaised",
    "FunderAdded",
    "KeyRegistered",
    "KeyRevoked",
    "MatchOverrideApproved",
    "MatchOverrideRequested",
    "ObligorDefaultRequested",
    "ObligorDefaulted",
    "OrganisationRegistered",
    "PaymentReconciled",
    "PermissionGrantRequested",
    "PermissionGranted",
    "ProgramCreated",
    "ProgramRecourseSet",
    "ReceivableCancelled",
    "ReceivableDefaulted",
    "ReceivableIssued",
    "ReceivableOverdue",
    "ReceivablePaidEarly",
    "ReceivablePartlyPaid",
    "ReceivablePutBack",
    "ReceivableSettled",
    "ReceivableSplit",
    "ReceivableTransferred",
    "RecoveryDistributed",
    "RiskDecisionRecorded",
    "RiskModelRegistered",
    "SupplierOnboarded",
    "TradeDocumentLinked",
    "UserAdded",
    "format_instant",
    "parse_instant",
    "record_from_data",
    "record_to_data",
]


class Event:
    """Base of every event body. `parties()` names the organisations it concerns."""

    TYPE: ClassVar[str]

    def parties(self) -> tuple[str, ...]:
        names = (
            "org_id",
            "anchor_id",
            "supplier_id",
            "funder_id",
            "holder_id",
            "obligor_id",
            "from_org_id",
            "to_org_id",
            "payee_id",
        )
        found = {getattr(self, n) for n in names if getattr(self, n, None)}
        return tuple(sorted(found))

    def subjects(self) -> tuple[str, ...]:
        """Ids of receivables this event touches (for chain-of-custody lookups)."""
        ids: list[str] = []
        for name in ("receivable_id", "parent_id", "new_receivable_id"):
            value = getattr(self, name, None)
            if value:
                ids.append(value)
        ids.extend(getattr(self, "piece_ids", ()) or ())
        return tuple(ids)


@dataclass(frozen=True, slots=True)
class OrganisationRegistered(Event):
    TYPE: ClassVar[str] = "OrganisationRegistered"
    org_id: str
    name: str
    roles: tuple[str, ...]
    country: str
    lei: str | None
    iban: str | None
    bic: str | None


@dataclass(frozen=True, slots=True)
class KeyRegistered(Event):
    TYPE: ClassVar[str] = "KeyRegistered"
    key_id: str
    org_id: str
    public_key: str
    custodial: bool
    replaces: str | None


@dataclass(frozen=True, slots=True)
class KeyRevoked(Event):
    TYPE: ClassVar[str] = "KeyRevoked"
    key_id: str
    org_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class UserAdded(Event):
    TYPE: ClassVar[str] = "UserAdded"
    user_id: str
    org_id: str
    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankAccountChangeRequested(Event):
    TYPE: ClassVar[str] = "BankAccountChangeRequested"
    approval_id: str
    org_id: str
    maker_id: str
    iban: str
    bic: str


@dataclass(frozen=True, slots=True)
class BankAccountChanged(Event):
    TYPE: ClassVar[str] = "BankAccountChanged"
    org_id: str
    iban: str
    bic: str
    approval_id: str | None
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class ProgramCreated(Event):
    TYPE: ClassVar[str] = "ProgramCreated"
    program_id: str
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


@dataclass(frozen=True, slots=True)
class FunderAdded(Event):
    TYPE: ClassVar[str] = "FunderAdded"
    program_id: str
    anchor_id: str
    funder_id: str


@dataclass(frozen=True, slots=True)
class SupplierOnboarded(Event):
    TYPE: ClassVar[str] = "SupplierOnboarded"
    program_id: str
    anchor_id: str
    supplier_id: str
    onboarded_on: date


@dataclass(frozen=True, slots=True)
class ConfirmationRequested(Event):
    TYPE: ClassVar[str] = "ConfirmationRequested"
    approval_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    maker_id: str
    invoice_id: str
    invoice_number: str
    receivable_id: str
    amount_minor: int
    currency: str
    due_on: date


@dataclass(frozen=True, slots=True)
class ReceivableIssued(Event):
    TYPE: ClassVar[str] = "ReceivableIssued"
    receivable_id: str
    program_id: str
    obligor_id: str
    supplier_id: str
    invoice_id: str
    invoice_number: str
    face_minor: int
    currency: str
    invoice_due_on: date
    due_on: date
    confirmed_by: str
    approval_id: str | None
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class ReceivableSplit(Event):
    TYPE: ClassVar[str] = "ReceivableSplit"
    parent_id: str
    holder_id: str
    obligor_id: str
    piece_ids: tuple[str, ...]
    faces_minor: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReceivableTransferred(Event):
    TYPE: ClassVar[str] = "ReceivableTransferred"
    receivable_id: str
    new_receivable_id: str
    from_org_id: str
    to_org_id: str
    obligor_id: str
    face_minor: int
    reason: str  # transfer | financing


@dataclass(frozen=True, slots=True)
class FinancingRequested(Event):
    TYPE: ClassVar[str] = "FinancingRequested"
    request_id: str
    program_id: str
    receivable_id: str
    holder_id: str


@dataclass(frozen=True, slots=True)
class FinancingOffered(Event):
    TYPE: ClassVar[str] = "FinancingOffered"
    offer_id: str
    request_id: str
    receivable_id: str
    holder_id: str
    funder_id: str
    annual_rate: str
    fees_minor: int
    value_date: date
    days: int
    discount_minor: int
    proceeds_minor: int


@dataclass(frozen=True, slots=True)
class FinancingOfferAccepted(Event):
    TYPE: ClassVar[str] = "FinancingOfferAccepted"
    offer_id: str
    request_id: str
    receivable_id: str
    holder_id: str
    funder_id: str
    face_minor: int
    proceeds_minor: int


@dataclass(frozen=True, slots=True)
class FinancingRequestWithdrawn(Event):
    TYPE: ClassVar[str] = "FinancingRequestWithdrawn"
    request_id: str
    receivable_id: str
    holder_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class EarlyPaymentOffered(Event):
    TYPE: ClassVar[str] = "EarlyPaymentOffered"
    offer_id: str
    receivable_id: str
    obligor_id: str
    holder_id: str
    annual_rate: str
    value_date: date
    days: int
    discount_minor: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class ReceivablePaidEarly(Event):
    TYPE: ClassVar[str] = "ReceivablePaidEarly"
    offer_id: str
    receivable_id: str
    obligor_id: str
    payee_id: str
    face_minor: int
    discount_minor: int
    amount_minor: int
    value_date: date


@dataclass(frozen=True, slots=True)
class ReceivableSettled(Event):
    TYPE: ClassVar[str] = "ReceivableSettled"
    receivable_id: str
    obligor_id: str
    payee_id: str
    amount_minor: int
    currency: str
    value_date: date


@dataclass(frozen=True, slots=True)
class ReceivableOverdue(Event):
    TYPE: ClassVar[str] = "ReceivableOverdue"
    receivable_id: str
    obligor_id: str
    holder_id: str
    as_of: date


@dataclass(frozen=True, slots=True)
class ReceivableDefaulted(Event):
    TYPE: ClassVar[str] = "ReceivableDefaulted"
    receivable_id: str
    obligor_id: str
    holder_id: str
    as_of: date


@dataclass(frozen=True, slots=True)
class ReceivableCancelled(Event):
    TYPE: ClassVar[str] = "ReceivableCancelled"
    receivable_id: str
    obligor_id: str
    holder_id: str
    face_minor: int
    reason: str


# --- trade documents and payments ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchOverrideRequested(Event):
    TYPE: ClassVar[str] = "MatchOverrideRequested"
    approval_id: str
    program_id: str
    anchor_id: str
    maker_id: str
    document_id: str
    document_sha256: str
    reasons: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class MatchOverrideApproved(Event):
    TYPE: ClassVar[str] = "MatchOverrideApproved"
    approval_id: str
    program_id: str
    anchor_id: str
    document_id: str
    approved_by: str


@dataclass(frozen=True, slots=True)
class TradeDocumentLinked(Event):
    """The trade document behind a confirmation: its hash, its canonical fingerprint,
    its three-way match status and flags as the anchor signed them, and the override
    that let it through when it was not matched."""

    TYPE: ClassVar[str] = "TradeDocumentLinked"
    document_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_id: str
    receivable_id: str
    invoice_number: str
    document_sha256: str
    fingerprint: str
    match_status: str
    flags: tuple[str, ...]
    override_id: str | None


@dataclass(frozen=True, slots=True)
class PaymentReconciled(Event):
    """A bank statement showed the payment executed: the settlement (or disbursement) is
    final."""

    TYPE: ClassVar[str] = "PaymentReconciled"
    instruction_id: str
    kind: str
    receivable_id: str
    offer_id: str | None
    from_org_id: str
    to_org_id: str
    amount_minor: int
    currency: str
    value_date: date
    booked_on: date
    bank_reference: str
    match_rule: str


# --- declined offers, separation of duties and custody ---------------------------------


@dataclass(frozen=True, slots=True)
class FinancingOfferDeclined(Event):
    """An open offer lost: another offer on its request was accepted, or the request was
    withdrawn (by the holder, or because the piece was settled)."""

    TYPE: ClassVar[str] = "FinancingOfferDeclined"
    offer_id: str
    request_id: str
    receivable_id: str
    holder_id: str
    funder_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PermissionGrantRequested(Event):
    """A maker asked that `user_id` hold an approval permission; a second, existing
    approver of the organisation must approve it before it takes effect."""

    TYPE: ClassVar[str] = "PermissionGrantRequested"
    approval_id: str
    org_id: str
    maker_id: str
    user_id: str
    permission: str


@dataclass(frozen=True, slots=True)
class PermissionGranted(Event):
    """`user_id` now holds `permission`. For an approval permission, `approval_id` names
    the grant request, `requested_by` its maker and `approved_by` its approver."""

    TYPE: ClassVar[str] = "PermissionGranted"
    org_id: str
    user_id: str
    permission: str
    approval_id: str | None
    requested_by: str
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class CustodyDisabled(Event):
    """The organisation switched custody off: its custodial keys are revoked and the
    server signs nothing more for it; only keys it holds itself sign its requests."""

    TYPE: ClassVar[str] = "CustodyDisabled"
    org_id: str
    revoked_key_ids: tuple[str, ...]


# --- when trade goes wrong: recourse and dilution (appended) ---------------------------


@dataclass(frozen=True, slots=True)
class ProgramRecourseSet(Event):
    """The program finances with recourse: follows its ProgramCreated (a program without
    recourse has no such event, so its history reads as before)."""

    TYPE: ClassVar[str] = "ProgramRecourseSet"
    program_id: str
    anchor_id: str
    recourse_days: int


@dataclass(frozen=True, slots=True)
class ReceivablePutBack(Event):
    """The funder put a defaulted piece back to the seller: `receivable_id` (of `face_minor`)
    is retired; `returned_receivable_id` is the same claim on the obligor, now held by the
    seller (in the same default claim, if any); `recourse_id` is the seller's obligation to
    pay the funder `owed_minor` by `due_on`: what the funder still lacked on the piece (its
    face less what the obligor paid and what recoveries brought)."""

    TYPE: ClassVar[str] = "ReceivablePutBack"
    receivable_id: str
    returned_receivable_id: str
    recourse_id: str
    program_id: str
    funder_id: str
    seller_id: str
    obligor_id: str
    face_minor: int
    owed_minor: int
    currency: str
    due_on: date

    def parties(self) -> tuple[str, ...]:
        return tuple(sorted({self.funder_id, self.seller_id, self.obligor_id}))

    def subjects(self) -> tuple[str, ...]:
        return (self.receivable_id, self.returned_receivable_id, self.recourse_id)


@dataclass(frozen=True, slots=True)
class CreditNoteRecorded(Event):
    TYPE: ClassVar[str] = "CreditNoteRecorded"
    credit_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_id: str
    receivable_id: str
    credit_note_number: str
    amount_minor: int
    currency: str
    recorded_on: date


@dataclass(frozen=True, slots=True)
class DisputeRaised(Event):
    TYPE: ClassVar[str] = "DisputeRaised"
    dispute_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    invoice_id: str | None
    amount_minor: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True)
class DisputeResolved(Event):
    """`outcome` agreed (by the supplier) or withdrawn (by the anchor). An agreed dispute on
    a confirmed invoice opens credit `credit_id` for `agreed_minor`."""

    TYPE: ClassVar[str] = "DisputeResolved"
    dispute_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    outcome: str
    agreed_minor: int
    invoice_id: str | None
    credit_id: str | None
    recorded_on: date


@dataclass(frozen=True, slots=True)
class CreditNetted(Event):
    """`amount_minor` of credit `credit_id` was netted against the confirmation of invoice
    `invoice_id`: receivable `receivable_id` was issued for that much less than the
    invoice (the event follows its ReceivableIssued)."""

    TYPE: ClassVar[str] = "CreditNetted"
    credit_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_id: str
    receivable_id: str
    amount_minor: int
    currency: str


# --- when trade goes wrong: partial payment, obligor default and recovery ---------------


@dataclass(frozen=True, slots=True)
class ReceivablePartlyPaid(Event):
    """The obligor paid part of a piece to its holder; `paid_minor` is the total paid so
    far and `outstanding_minor` what is still owed (both after this payment)."""

    TYPE: ClassVar[str] = "ReceivablePartlyPaid"
    receivable_id: str
    obligor_id: str
    payee_id: str
    amount_minor: int
    paid_minor: int
    outstanding_minor: int
    currency: str
    value_date: date


class _ManyHolders(Event):
    """An event that concerns every holder it lists, besides its named parties."""

    def parties(self) -> tuple[str, ...]:
        holders: tuple[str, ...] = getattr(self, "holder_ids", ())
        return tuple(sorted({*Event.parties(self), *holders}))


@dataclass(frozen=True, slots=True)
class ObligorDefaultRequested(Event):
    """An operator's maker asked that `obligor_id` be declared in default."""

    TYPE: ClassVar[str] = "ObligorDefaultRequested"
    approval_id: str
    org_id: str
    maker_id: str
    obligor_id: str
    claim_id: str
    reason: str
    note: str


@dataclass(frozen=True, slots=True)
class ObligorDefaulted(_ManyHolders):
    """The obligor is in default: every piece it still owed joins claim `claim_id`, with
    its holder and what it still lacked (`outstanding_minor`, in `currencies`)."""

    TYPE: ClassVar[str] = "ObligorDefaulted"
    claim_id: str
    org_id: str
    obligor_id: str
    reason: str
    approval_id: str
    requested_by: str
    approved_by: str
    as_of: date
    piece_ids: tuple[str, ...]
    holder_ids: tuple[str, ...]
    outstanding_minor: tuple[int, ...]
    currencies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecoveryDistributed(_ManyHolders):
    """Money recovered on a claim, shared among its pieces in `currency` pro rata to what
    each lacked (largest remainder, ties to the lower piece id): `shares_minor[i]` went to
    `holder_ids[i]` for `piece_ids[i]`, and the shares sum to `amount_minor`."""

    TYPE: ClassVar[str] = "RecoveryDistributed"
    claim_id: str
    org_id: str
    obligor_id: str
    source: str
    amount_minor: int
    currency: str
    piece_ids: tuple[str, ...]
    holder_ids: tuple[str, ...]
    shares_minor: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DefaultClaimClosed(_ManyHolders):
    """The claim is closed and its loss realised. Per piece: what it lacked at default
    (`exposures_minor`), what was recovered and the loss (the rest). Per program:
    exposure, loss and loss given default in basis points (loss * 10000 // exposure,
    rounded down)."""

    TYPE: ClassVar[str] = "DefaultClaimClosed"
    claim_id: str
    org_id: str
    obligor_id: str
    piece_ids: tuple[str, ...]
    holder_ids: tuple[str, ...]
    exposures_minor: tuple[int, ...]
    recovered_minor: tuple[int, ...]
    losses_minor: tuple[int, ...]
    program_ids: tuple[str, ...]
    program_exposures_minor: tuple[int, ...]
    program_losses_minor: tuple[int, ...]
    program_lgd_bps: tuple[int, ...]


# --- risk decisions on the log ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskModelRegistered(Event):
    TYPE: ClassVar[str] = "RiskModelRegistered"
    model_id: str
    kind: str
    content_sha256: str
    feature_names: tuple[str, ...]
    registered_on: date


@dataclass(frozen=True, slots=True)
class RiskDecisionRecorded(Event):
    """A decision of a registered model: subject, model and its hash, the feature vector
    (canonical JSON text) and its hash, the output (canonical JSON text) and reasons."""

    TYPE: ClassVar[str] = "RiskDecisionRecorded"
    decision_id: str
    kind: str
    subject_kind: str
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
class FraudFlagRaised(Event):
    TYPE: ClassVar[str] = "FraudFlagRaised"
    flag_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    invoice_id: str | None
    receivable_id: str | None
    detector_id: str
    evidence: str
    evidence_sha256: str
    decision_id: str | None
    raised_on: date


@dataclass(frozen=True, slots=True)
class FraudFlagCleared(Event):
    TYPE: ClassVar[str] = "FraudFlagCleared"
    flag_id: str
    program_id: str
    anchor_id: str
    supplier_id: str
    invoice_number: str
    reason: str
    cleared_on: date


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        OrganisationRegistered,
        KeyRegistered,
        KeyRevoked,
        UserAdded,
        BankAccountChangeRequested,
        BankAccountChanged,
        ProgramCreated,
        FunderAdded,
        SupplierOnboarded,
        ConfirmationRequested,
        ReceivableIssued,
        ReceivableSplit,
        ReceivableTransferred,
        FinancingRequested,
        FinancingOffered,
        FinancingOfferAccepted,
        FinancingRequestWithdrawn,
        EarlyPaymentOffered,
        ReceivablePaidEarly,
        ReceivableSettled,
        ReceivableOverdue,
        ReceivableDefaulted,
        ReceivableCancelled,
        # trade documents and payments
        MatchOverrideRequested,
        MatchOverrideApproved,
        TradeDocumentLinked,
        PaymentReconciled,
        # separation of duties and custody
        FinancingOfferDeclined,
        PermissionGrantRequested,
        PermissionGranted,
        CustodyDisabled,
        # recourse and dilution
        ProgramRecourseSet,
        ReceivablePutBack,
        CreditNoteRecorded,
        DisputeRaised,
        DisputeResolved,
        CreditNetted,
        # when trade goes wrong
        ReceivablePartlyPaid,
        ObligorDefaultRequested,
        ObligorDefaulted,
        RecoveryDistributed,
        DefaultClaimClosed,
        # risk decisions on the log
        RiskModelRegistered,
        RiskDecisionRecorded,
        FraudFlagRaised,
        FraudFlagCleared,
    )
}


@dataclass(frozen=True, slots=True)
class Auth:
    """The acting organisation's signature behind an event.

    `request` is the canonical text of the signed command envelope (type, org, actor, a
    client timestamp and every field, ids included); `signature` is Ed25519 (base64) by
    key `key_id` over `REQUEST_SIGNING_CONTEXT + request`. Every event a command caused
    carries its authorising request, so an auditor checks the signature with the key in
    force at the event's time and re-derives the events from the request. `custodial`
    says the server held the key and signed on the organisation's behalf.
    """

    key_id: str
    custodial: bool
    request: str
    signature: str


REQUEST_SIGNING_CONTEXT = b"openscf signed request v1\n"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event with its envelope. `seq` is assigned by the log when it is appended."""

    id: str
    org_id: str
    actor_id: str
    occurred_at: datetime
    event: Event
    seq: int | None = None
    auth: Auth | None = None


# The last instant formatted and its text: a command formats the same instant several
# times (its request, each event, its idempotency record), and a batch shares one clock
# reading. Compared by identity (a datetime is immutable), so it can never be wrong.
_last_formatted: tuple[datetime | None, str] = (None, "")


def format_instant(instant: datetime) -> str:
    """RFC 3339 UTC with microseconds: '2026-11-26T19:50:03.123456Z'."""
    global _last_formatted
    last = _last_formatted
    if last[0] is instant:
        return last[1]
    assert instant.tzinfo is not None, "instants are timezone-aware"
    utc = instant.astimezone(UTC) if instant.utcoffset() else instant
    # isoformat is C code; strftime is several times slower on this hot path.
    text = utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    _last_formatted = (instant, text)
    return text


def parse_instant(text: str) -> datetime:
    """The inverse of `format_instant` (fromisoformat is C code, strptime is not)."""
    if not text.endswith("Z") or len(text) != 27:
        raise ValueError(f"not an openscf instant: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


# --- plain-data codec ---------------------------------------------------------------

Encoder = Callable[[Any], Any]


def _encoder(hint: Any) -> tuple[Encoder, Encoder]:
    """(to_data, from_data) for one field type."""
    text = str(hint)
    if hint is date or text in ("datetime.date", "date"):
        return (lambda v: v.isoformat()), date.fromisoformat
    if "date | None" in text or text == "typing.Optional[datetime.date]":
        return (lambda v: None if v is None else v.isoformat()), (
            lambda v: None if v is None else date.fromisoformat(v)
        )
    if text.startswith("tuple"):
        return (lambda v: list(v)), (lambda v: tuple(v))
    return (lambda v: v), (lambda v: v)


_CODECS: dict[type[Event], list[tuple[str, Encoder, Encoder]]] = {}


def _codec(cls: type[Event]) -> list[tuple[str, Encoder, Encoder]]:
    codec = _CODECS.get(cls)
    if codec is None:
        hints = typing.get_type_hints(cls)
        codec = []
        for f in fields(cls):  # type: ignore[arg-type]
            to_data, from_data = _encoder(hints[f.name])
            codec.append((f.name, to_data, from_data))
        _CODECS[cls] = codec
    return codec


def record_to_data(record: EventRecord) -> dict[str, Any]:
    """The signed content of an event: everything but the log's sequence number."""
    body = {
        name: to_data(getattr(record.event, name))
        for name, to_data, _ in _codec(type(record.event))
    }
    data = {
        "v": EVENT_ENCODING_VERSION,
        "id": record.id,
        "type": record.event.TYPE,
        "org": record.org_id,
        "actor": record.actor_id,
        "at": format_instant(record.occurred_at),
        "data": body,
    }
    if record.auth is not None:
        a = record.auth
        data["auth"] = {
            "key": a.key_id,
            "custodial": a.custodial,
            "request": a.request,
            "sig": a.signature,
        }
    return data


def record_from_data(data: dict[str, Any], seq: int | None = None) -> EventRecord:
    if data.get("v") != EVENT_ENCODING_VERSION:
        raise InvalidRequest("unknown_event_version", f"event encoding version {data.get('v')!r}")
    cls = EVENT_TYPES.get(data.get("type", ""))
    if cls is None:
        raise InvalidRequest("unknown_event_type", f"unknown event type {data.get('type')!r}")
    body = data["data"]
    kwargs = {name: from_data(body[name]) for name, _, from_data in _codec(cls)}
    auth = data.get("auth")
    return EventRecord(
        id=data["id"],
        org_id=data["org"],
        actor_id=data["actor"],
        occurred_at=parse_instant(data["at"]),
        event=cls(**kwargs),
        seq=seq,
        auth=None
        if auth is None
        else Auth(auth["key"], bool(auth["custodial"]), auth["request"], auth["sig"]),
    )
