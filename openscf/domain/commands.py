"""Commands: what an actor asks the network to do. Imperative names, immutable, typed.

Ids of what a command creates are client-supplied when the client wants idempotent
retries; the app fills in fresh ids for any left as ``None`` before the domain decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "AcceptEarlyPayment",
    "AcceptFinancingOffer",
    "AddFunder",
    "AddUser",
    "ApproveBankAccountChange",
    "ApproveConfirmation",
    "CancelReceivable",
    "Command",
    "ConfirmInvoice",
    "CreateProgram",
    "MarkDefaulted",
    "MarkOverdue",
    "OfferEarlyPayment",
    "OfferFinancing",
    "OnboardSupplier",
    "RegisterOrganisation",
    "RequestBankAccountChange",
    "RequestFinancing",
    "SettleReceivable",
    "SplitReceivable",
    "TransferReceivable",
    "WithdrawFinancingRequest",
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


Command = (
    RegisterOrganisation
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
)
