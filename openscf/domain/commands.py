"""Commands: what an actor asks the network to do. Imperative names, immutable, typed.

Ids of what a command creates are client-supplied when the client wants idempotent
retries; the app fills in fresh ids for any left as ``None`` before the domain decides.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from openscf.domain.errors import InvalidRequest

__all__ = [
    "COMMAND_TYPES",
    "AcceptEarlyPayment",
    "AcceptFinancingOffer",
    "AddFunder",
    "AddUser",
    "ApproveBankAccountChange",
    "ApproveConfirmation",
    "ApproveMatchOverride",
    "ApproveObligorDefault",
    "ApprovePermissionGrant",
    "CancelReceivable",
    "ClearFraudFlag",
    "CloseDefaultClaim",
    "Command",
    "ConfirmInvoice",
    "ConfirmTradeInvoice",
    "CreateProgram",
    "DisableCustody",
    "GrantPermission",
    "MarkDefaulted",
    "MarkOverdue",
    "OfferEarlyPayment",
    "OfferFinancing",
    "OnboardSupplier",
    "PayRecourse",
    "PutBackReceivable",
    "RaiseDispute",
    "RaiseFraudFlag",
    "ReconcilePayment",
    "RecordCreditNote",
    "RecordPayment",
    "RecordRecovery",
    "RecordRiskDecision",
    "RegisterKey",
    "RegisterOrganisation",
    "RegisterRiskModel",
    "RequestBankAccountChange",
    "RequestFinancing",
    "RequestMatchOverride",
    "RequestObligorDefault",
    "ResolveDispute",
    "RevokeKey",
    "SettleReceivable",
    "SplitReceivable",
    "TransferReceivable",
    "WithdrawFinancingRequest",
    "command_from_data",
    "command_to_data",
    "field_names",
]


@dataclass(frozen=True, slots=True)
class RegisterOrganisation:
    name: str
    roles: tuple[str, ...]
    country: str
    lei: str | None = None
    iban: str | None = None
    bic: str | None = None
    org_id: str | None = None
    # A custodial signing key, generated and held by the server (the app fills in the
    # public half and its id). False: the organisation registers its own key later.
    custodial_key: bool = True
    key_id: str | None = None
    public_key: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterKey:
    """Register an Ed25519 public key for an organisation; with `replaces`, rotate."""

    org_id: str
    public_key: str | None = None
    custodial: bool = False
    replaces: str | None = None
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class RevokeKey:
    key_id: str
    reason: str = "revoked"


@dataclass(frozen=True, slots=True)
class AddUser:
    org_id: str
    name: str
    permissions: tuple[str, ...]
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class RequestBankAccountChange:
    org_id: str
    iban: str
    bic: str
    approval_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveBankAccountChange:
    approval_id: str


@dataclass(frozen=True, slots=True)
class CreateProgram:
    name: str
    currency: str
    max_tenor_days: int
    program_limit_minor: int
    supplier_limit_minor: int
    funder_limit_minor: int
    day_count: str = "ACT/360"
    calendar: str = "TARGET"
    approval_threshold_minor: int = 0
    default_after_days: int = 30
    program_id: str | None = None
    # With recourse the funder of a defaulted piece may put it back to the seller, who
    # must pay its face within `recourse_days`; without (the default) the funder keeps it.
    recourse: bool = False
    recourse_days: int = 30


@dataclass(frozen=True, slots=True)
class AddFunder:
    program_id: str
    funder_id: str


@dataclass(frozen=True, slots=True)
class OnboardSupplier:
    program_id: str
    supplier_id: str


@dataclass(frozen=True, slots=True)
class ConfirmInvoice:
    program_id: str
    supplier_id: str
    invoice_number: str
    amount_minor: int
    currency: str
    due_on: date
    invoice_id: str | None = None
    receivable_id: str | None = None
    approval_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveConfirmation:
    approval_id: str


@dataclass(frozen=True, slots=True)
class SplitReceivable:
    receivable_id: str
    amounts_minor: tuple[int, ...]
    piece_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TransferReceivable:
    """Transfer a piece to another organisation; with `amount_minor` below the face, only
    that much moves (a split and a transfer, atomically) and the rest stays."""

    receivable_id: str
    to_org_id: str
    amount_minor: int | None = None
    new_receivable_id: str | None = None
    part_id: str | None = None
    remainder_id: str | None = None


@dataclass(frozen=True, slots=True)
class RequestFinancing:
    receivable_id: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class OfferFinancing:
    request_id: str
    annual_rate: str
    value_date: date
    fees_minor: int = 0
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptFinancingOffer:
    offer_id: str
    new_receivable_id: str | None = None


@dataclass(frozen=True, slots=True)
class WithdrawFinancingRequest:
    request_id: str


@dataclass(frozen=True, slots=True)
class OfferEarlyPayment:
    receivable_id: str
    annual_rate: str
    value_date: date
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptEarlyPayment:
    offer_id: str


@dataclass(frozen=True, slots=True)
class SettleReceivable:
    receivable_id: str


@dataclass(frozen=True, slots=True)
class MarkOverdue:
    receivable_id: str


@dataclass(frozen=True, slots=True)
class MarkDefaulted:
    receivable_id: str


@dataclass(frozen=True, slots=True)
class CancelReceivable:
    receivable_id: str
    reason: str = "cancelled by the anchor"


# --- trade documents and payments ---------------------------------------------------
# The documents themselves live outside the log (openscf.app.trade stores them); what the
# network decides on them is here: the three-way-match gate with its maker-checker
# override, the confirmation of an imported invoice, and the bank's reconciliation that
# makes a payment final.


@dataclass(frozen=True, slots=True)
class RequestMatchOverride:
    """An anchor's maker asks a checker to let an imported invoice be confirmed although
    its three-way match failed or it was flagged (near-duplicate). `reasons` are what the
    maker saw (e.g. "match:price_mismatch", "near_duplicate:doc_..."); `document_sha256`
    pins the exact document bytes."""

    program_id: str
    document_id: str
    document_sha256: str
    reasons: tuple[str, ...]
    note: str = ""
    approval_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveMatchOverride:
    approval_id: str


@dataclass(frozen=True, slots=True)
class ConfirmTradeInvoice:
    """Confirm an invoice that came in as a trade document (UBL/CII or an ERP payables
    row). The app fills the fields from the stored document and its three-way match; the
    anchor signs them. Confirmable when `match_status` is "matched" (or "erp_approved" for
    an ERP payables row) and nothing is flagged, else only with an approved override.
    Then it is a ConfirmInvoice (limits, tenor, maker-checker threshold all apply)."""

    program_id: str
    document_id: str
    supplier_id: str
    invoice_number: str
    amount_minor: int
    currency: str
    due_on: date
    document_sha256: str
    fingerprint: str
    match_status: str
    flags: tuple[str, ...] = ()
    override_id: str | None = None
    invoice_id: str | None = None
    receivable_id: str | None = None
    approval_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReconcilePayment:
    """The operator records that a bank statement shows a payment instruction executed:
    a maturity settlement (obligor -> holder, the face) or a financing disbursement
    (funder -> seller, the proceeds; `offer_id` names the accepted offer). A settlement
    is final only once reconciled."""

    instruction_id: str
    kind: str  # settlement | disbursement
    receivable_id: str
    from_org_id: str
    to_org_id: str
    amount_minor: int
    currency: str
    value_date: date
    booked_on: date
    bank_reference: str
    match_rule: str
    offer_id: str | None = None


# --- separation of duties and custody -------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantPermission:
    """Give an existing user of the acting organisation a permission. An approval
    permission ('checker') takes effect only once a second, existing approver of the
    organisation approves it (ApprovePermissionGrant); others take effect at once."""

    user_id: str
    permission: str
    approval_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovePermissionGrant:
    approval_id: str


@dataclass(frozen=True, slots=True)
class DisableCustody:
    """The organisation switches custody off: the server revokes its custodial keys and
    signs nothing more for it. Needs a key the organisation registered itself."""

    org_id: str


# --- when trade goes wrong: recourse and dilution (appended) ---------------------------


@dataclass(frozen=True, slots=True)
class PutBackReceivable:
    """The funder holding a defaulted financed piece puts it back to the seller (the
    organisation that accepted the financing), in a program with recourse. The claim on
    the anchor returns to the seller (`returned_receivable_id`) and the seller owes the
    funder the face by a due date (`recourse_id`, a piece whose obligor is the seller)."""

    receivable_id: str
    returned_receivable_id: str | None = None
    recourse_id: str | None = None


@dataclass(frozen=True, slots=True)
class PayRecourse:
    """The seller pays a recourse obligation it owes the funder (its face, at any time: it
    is owed already). A settlement like any other: `ReceivableSettled`, then reconciled."""

    receivable_id: str


@dataclass(frozen=True, slots=True)
class RecordCreditNote:
    """The anchor records a supplier's credit note on a confirmed invoice. The receivable
    stays whole; the anchor holds a credit against the supplier, netted against the
    supplier's next confirmations."""

    invoice_id: str
    credit_note_number: str
    amount_minor: int
    credit_id: str | None = None


@dataclass(frozen=True, slots=True)
class RaiseDispute:
    """The anchor disputes `amount_minor` of a supplier's invoice, named by number (it may
    not be confirmed yet: then it cannot be confirmed until the dispute is resolved)."""

    program_id: str
    supplier_id: str
    invoice_number: str
    amount_minor: int
    reason: str
    dispute_id: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveDispute:
    """The supplier agrees (`outcome` "agreed", `amount_minor` at most the disputed amount,
    default all of it) or the anchor withdraws the dispute (`outcome` "withdrawn"). An
    agreed dispute on a confirmed invoice becomes a credit (`credit_id`)."""

    dispute_id: str
    outcome: str
    amount_minor: int | None = None
    credit_id: str | None = None


# --- when trade goes wrong: partial payment, obligor default and recovery ---------------
# The rules are in openscf.domain.recovery.


@dataclass(frozen=True, slots=True)
class RecordPayment:
    """The obligor pays `amount_minor` of a piece from its maturity on, to its holder.
    Less than what is owed leaves the rest owed (it can go overdue); the payment that
    completes it settles the piece."""

    receivable_id: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class RequestObligorDefault:
    """The operator's maker asks that `obligor_id` be declared in default: `reason` is
    "insolvency" (an insolvency event, described in `note`) or "past_due" (a piece it owes
    is past its program's `default_after_days`). A second operator user approves it."""

    obligor_id: str
    reason: str
    note: str = ""
    approval_id: str | None = None
    claim_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveObligorDefault:
    approval_id: str


@dataclass(frozen=True, slots=True)
class RecordRecovery:
    """The operator records money recovered on a default claim (from the administrator,
    an insurer, a guarantor: `source`); it is shared among the claim's pieces in
    `currency`, pro rata to what each still lacks."""

    claim_id: str
    amount_minor: int
    currency: str
    source: str


@dataclass(frozen=True, slots=True)
class CloseDefaultClaim:
    """The operator closes a default claim: nothing more is recovered, and what each
    piece still lacks is its holder's realised loss."""

    claim_id: str


# --- risk decisions on the log: models, decisions, fraud flags ----------------------------
# The rules are in openscf.domain.risk_log.


@dataclass(frozen=True, slots=True)
class RegisterRiskModel:
    """The operator's risk service registers a model artefact: its id, the scorer `kind`
    that reads it, the sha256 of its exact bytes and the features it reads, in order."""

    kind: str
    content_sha256: str
    feature_names: tuple[str, ...]
    model_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordRiskDecision:
    """The operator's risk service records a decision (`kind` score, price or fraud_flag)
    on a subject (`subject_kind` organisation, invoice or receivable), citing a registered
    model and its content hash. `features` and `output` are canonical JSON objects (text);
    `features_sha256` is the sha256 of the features' bytes."""

    kind: str
    subject_kind: str
    org_id: str
    model_id: str
    model_sha256: str
    features: str
    features_sha256: str
    output: str
    reasons: tuple[str, ...] = ()
    program_id: str | None = None
    invoice_number: str | None = None
    receivable_id: str | None = None
    decision_id: str | None = None


@dataclass(frozen=True, slots=True)
class RaiseFraudFlag:
    """The operator's risk service flags a supplier's invoice: named by program, supplier
    and number (confirmed or not), or through a piece of its receivable
    (`receivable_id`). `evidence` is a summary, `evidence_sha256` the hash of the full
    evidence the detector kept; `decision_id` may name the recorded decision behind it."""

    detector_id: str
    evidence: str
    evidence_sha256: str
    program_id: str | None = None
    supplier_id: str | None = None
    invoice_number: str | None = None
    receivable_id: str | None = None
    decision_id: str | None = None
    flag_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClearFraudFlag:
    """A checker clears an open flag, saying why: the operator's, or the invoice's anchor's;
    never the user who raised it."""

    flag_id: str
    reason: str


Command = (
    RegisterOrganisation
    | RegisterKey
    | RevokeKey
    | AddUser
    | RequestBankAccountChange
    | ApproveBankAccountChange
    | CreateProgram
    | AddFunder
    | OnboardSupplier
    | ConfirmInvoice
    | ApproveConfirmation
    | SplitReceivable
    | TransferReceivable
    | RequestFinancing
    | OfferFinancing
    | AcceptFinancingOffer
    | WithdrawFinancingRequest
    | OfferEarlyPayment
    | AcceptEarlyPayment
    | SettleReceivable
    | MarkOverdue
    | MarkDefaulted
    | CancelReceivable
    # trade documents and payments
    | RequestMatchOverride
    | ApproveMatchOverride
    | ConfirmTradeInvoice
    | ReconcilePayment
    # separation of duties and custody
    | GrantPermission
    | ApprovePermissionGrant
    | DisableCustody
    # recourse and dilution
    | PutBackReceivable
    | PayRecourse
    | RecordCreditNote
    | RaiseDispute
    | ResolveDispute
    # when trade goes wrong
    | RecordPayment
    | RequestObligorDefault
    | ApproveObligorDefault
    | RecordRecovery
    | CloseDefaultClaim
    | RegisterRiskModel
    | RecordRiskDecision
    | RaiseFraudFlag
    | ClearFraudFlag
)


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        RegisterOrganisation,
        RegisterKey,
        RevokeKey,
        AddUser,
        RequestBankAccountChange,
        ApproveBankAccountChange,
        CreateProgram,
        AddFunder,
        OnboardSupplier,
        ConfirmInvoice,
        ApproveConfirmation,
        SplitReceivable,
        TransferReceivable,
        RequestFinancing,
        OfferFinancing,
        AcceptFinancingOffer,
        WithdrawFinancingRequest,
        OfferEarlyPayment,
        AcceptEarlyPayment,
        SettleReceivable,
        MarkOverdue,
        MarkDefaulted,
        CancelReceivable,
        # trade documents and payments
        RequestMatchOverride,
        ApproveMatchOverride,
        ConfirmTradeInvoice,
        ReconcilePayment,
        # separation of duties and custody
        GrantPermission,
        ApprovePermissionGrant,
        DisableCustody,
        # recourse and dilution
        PutBackReceivable,
        PayRecourse,
        RecordCreditNote,
        RaiseDispute,
        ResolveDispute,
        # when trade goes wrong
        RecordPayment,
        RequestObligorDefault,
        ApproveObligorDefault,
        RecordRecovery,
        CloseDefaultClaim,
        RegisterRiskModel,
        RecordRiskDecision,
        RaiseFraudFlag,
        ClearFraudFlag,
    )
}


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def field_names(command: Command) -> tuple[str, ...]:
    """The command's field names in declaration order (`fields()` is slow per request)."""
    names = _FIELD_NAMES.get(type(command))
    if names is None:
        names = _FIELD_NAMES[type(command)] = tuple(f.name for f in fields(command))
    return names


def command_to_data(command: Command) -> dict[str, Any]:
    """Plain JSON values: dates as ISO text, tuples as lists."""
    out: dict[str, Any] = {}
    for name in field_names(command):
        value = getattr(command, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


_SHAPES: dict[str, tuple[dict[str, str], frozenset[str]]] = {}


def _shape(cls: type[Command]) -> tuple[dict[str, str], frozenset[str]]:
    """Field types and names of a command class, computed once (this runs per request)."""
    shape = _SHAPES.get(cls.__name__)
    if shape is None:
        hints = {name: str(hint) for name, hint in typing.get_type_hints(cls).items()}
        shape = (hints, frozenset(f.name for f in fields(cls)))
        _SHAPES[cls.__name__] = shape
    return shape


def command_from_data(type_name: str, data: dict[str, Any]) -> Command:
    """The inverse of `command_to_data`; refuses unknown types and fields."""
    cls = COMMAND_TYPES.get(type_name)
    if cls is None:
        raise InvalidRequest("unknown_command", f"unknown command type {type_name!r}", "type")
    hints, names = _shape(cls)
    unknown = set(data) - names
    if unknown:
        raise InvalidRequest(
            "unknown_field", f"unknown fields {sorted(unknown)}", sorted(unknown)[0]
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        try:
            if value is not None and "datetime.date" in hint:
                value = date.fromisoformat(value)
            elif isinstance(value, list):
                value = tuple(value)
        except (TypeError, ValueError):
            raise InvalidRequest("invalid_date", f"{name} must be YYYY-MM-DD", name) from None
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InvalidRequest("missing_field", str(exc), None) from None
