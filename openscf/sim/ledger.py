"""The simulator's own books: every order, invoice, receivable piece and payment, column by
column (struct of arrays: cheap at a million rows, which is what lets 10,000 firms run).

Row indexes are the ids: order k is `ord_k`, invoice k `inv_k`, piece k `rcv_k` on the
platform. Columns holding a firm hold its index in `Economy.firms`; `*_day` columns hold
days since the simulation's start; `*_minor` columns hold integer minor units. The ground
truth the platform never sees (fraud labels, hidden health, defaults, losses) lives here too.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from openscf.domain.ids import tagged_id

__all__ = ["CHANNELS", "INVOICE_KINDS", "PIECE_STATUS", "Ledger", "scale_minor"]

# Piece statuses, mirroring the platform's (plus NEVER_ISSUED: an id the platform refused).
LIVE, SPLIT, TRANSFERRED, SETTLED, PAID_EARLY, CANCELLED, OVERDUE, DEFAULTED, NEVER_ISSUED = range(
    9
)
# A financed piece of a defaulted anchor put back to its seller, in a program with
# recourse: PUT_BACK retires it, RECOURSE_DUE is what the seller then owes the funder.
PUT_BACK, RECOURSE_DUE = 9, 10
PIECE_STATUS = (
    "live",
    "split",
    "transferred",
    "settled",
    "paid_early",
    "cancelled",
    "overdue",
    "defaulted",
    "never_issued",
    "put_back",
    "recourse_due",
)

# How an invoice was (to be) paid.
CASH, CONFIRMED, BY_RECEIVABLE, REFUSED_CASH, REJECTED, UNPAID, CREDITED_IN_FULL, PENDING = range(8)
CHANNELS = (
    "cash",
    "confirmed",
    "paid_with_receivable",
    "refused_then_cash",
    "rejected_by_buyer",
    "unpaid_buyer_defaulted",
    "credited_in_full",
    "pending",
)
# What an invoice is: real trade or one of the fraud kinds.
TRADE, DUPLICATE, PHANTOM, RING = range(4)
INVOICE_KINDS = ("trade", "duplicate", "phantom", "ring")

# A piece's `piece_pays_for`: no invoice (a funder's or a passed-on piece's own value) ...
PAYS_FOR_NOTHING = -1
# ... or, at or below this, a payment run of several invoices: run k is encoded -2 - k.
FIRST_PAYMENT_RUN = -2


class Financing(NamedTuple):
    day: int
    piece: int
    holder: int
    funder: int
    face_minor: int
    annual_rate: str
    tenor_days: int
    discount_minor: int
    fees_minor: int
    proceeds_minor: int
    own_name_rate: float  # what the holder would have paid on its own name


class EarlyPayment(NamedTuple):
    day: int
    piece: int
    holder: int
    anchor: int
    face_minor: int
    annual_rate: str
    tenor_days: int
    discount_minor: int


class Loss(NamedTuple):
    day: int
    firm: int  # who lost
    amount_minor: int
    reason: str
    invoice: int


@dataclass
class Claim:
    """A default claim the operator declared on an obligor: its pieces, what each still
    lacked when it was declared, the recovery rate the administrator will pay (ground
    truth, drawn per default) and what was recovered."""

    claim_id: str
    obligor: int
    day: int
    pieces: list[int]
    exposure_minor: list[int]
    recovery_rate: float
    recovered_minor: list[int]
    closed_day: int = -1

    def loss_given_default(self) -> float:
        exposure = sum(self.exposure_minor)
        return 0.0 if exposure == 0 else 1 - sum(self.recovered_minor) / exposure


class HealthSnapshot(NamedTuple):
    firm: int
    day: int
    health: float
    stress: float
    is_defaulted: bool


def _int64s() -> array[int]:
    return array("q")


@dataclass
class Ledger:
    """The simulator's own books, column by column."""

    # orders
    order_seller: array[int] = field(default_factory=_int64s)
    order_buyer: array[int] = field(default_factory=_int64s)
    order_day: array[int] = field(default_factory=_int64s)
    order_amount_minor: array[int] = field(default_factory=_int64s)
    # invoices
    invoice_seller: array[int] = field(default_factory=_int64s)
    invoice_buyer: array[int] = field(default_factory=_int64s)
    invoice_order: array[int] = field(default_factory=_int64s)  # -1: no order behind it
    invoice_ordered_minor: array[int] = field(default_factory=_int64s)
    invoice_amount_minor: array[int] = field(default_factory=_int64s)
    invoice_credit_minor: array[int] = field(default_factory=_int64s)  # credit notes
    invoice_issue_day: array[int] = field(default_factory=_int64s)
    invoice_delivery_day: array[int] = field(default_factory=_int64s)
    invoice_due_day: array[int] = field(default_factory=_int64s)
    # when the buyer would have paid cash without the network (its usual lateness)
    invoice_cash_day: array[int] = field(default_factory=_int64s)
    invoice_paid_day: array[int] = field(default_factory=_int64s)
    invoice_rejected_day: array[int] = field(default_factory=_int64s)  # by the buyer, or -1
    invoice_piece: array[int] = field(default_factory=_int64s)  # its confirmed piece, or -1
    # what the seller turned into cash, and that amount x the days it took (for the
    # amount-weighted days from invoice to cash)
    invoice_realised_minor: array[int] = field(default_factory=_int64s)
    invoice_realised_minor_days: array[int] = field(default_factory=_int64s)
    invoice_is_late_delivery: bytearray = field(default_factory=bytearray)
    invoice_is_partial_delivery: bytearray = field(default_factory=bytearray)
    invoice_is_disputed: bytearray = field(default_factory=bytearray)
    invoice_channel: bytearray = field(default_factory=bytearray)  # index into CHANNELS
    invoice_kind: bytearray = field(default_factory=bytearray)  # index into INVOICE_KINDS
    invoice_number: list[str] = field(default_factory=list)
    # receivable pieces; piece_id: the network's id, in the namespace of the firm whose
    # command created the piece (rcv_<org body>.<index>)
    piece_id: list[str] = field(default_factory=list)
    piece_holder: array[int] = field(default_factory=_int64s)
    piece_anchor: array[int] = field(default_factory=_int64s)
    piece_face_minor: array[int] = field(default_factory=_int64s)
    piece_due_day: array[int] = field(default_factory=_int64s)
    # whose payment this piece's value is: an invoice, a payment run or PAYS_FOR_NOTHING
    piece_pays_for: array[int] = field(default_factory=_int64s)
    piece_root_invoice: array[int] = field(default_factory=_int64s)
    piece_status: bytearray = field(default_factory=bytearray)  # index into PIECE_STATUS
    piece_is_encumbered: bytearray = field(default_factory=bytearray)  # in a financing
    # payments (every movement of money or of a receivable as money)
    payment_day: array[int] = field(default_factory=_int64s)
    payment_payer: array[int] = field(default_factory=_int64s)
    payment_payee: array[int] = field(default_factory=_int64s)
    payment_amount_minor: array[int] = field(default_factory=_int64s)
    payment_kind: list[str] = field(default_factory=list)
    payment_invoice: array[int] = field(default_factory=_int64s)
    payment_piece: array[int] = field(default_factory=_int64s)
    # the invoices of each payment run paid with one piece
    payment_runs: list[list[int]] = field(default_factory=list)
    financings: list[Financing] = field(default_factory=list)
    early_payments: list[EarlyPayment] = field(default_factory=list)
    # ground truth
    labels: list[dict[str, Any]] = field(default_factory=list)
    labels_by_invoice: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    health: list[HealthSnapshot] = field(default_factory=list)
    default_day: dict[int, int] = field(default_factory=dict)  # firm -> day it defaulted
    losses: list[Loss] = field(default_factory=list)
    # what each piece's obligor has paid of it in parts (RecordPayment), by piece
    piece_paid_minor: dict[int, int] = field(default_factory=dict)
    # default claims on the platform: claim index -> its record (see `settlement.py`)
    claims: list[Claim] = field(default_factory=list)
    piece_claim: dict[int, int] = field(default_factory=dict)  # piece -> its claim

    # --- rows ---------------------------------------------------------------------------

    def add_order(self, seller: int, buyer: int, day: int, amount_minor: int) -> int:
        order = len(self.order_seller)
        self.order_seller.append(seller)
        self.order_buyer.append(buyer)
        self.order_day.append(day)
        self.order_amount_minor.append(amount_minor)
        return order

    def add_piece(
        self,
        holder: int,
        anchor: int,
        face_minor: int,
        due_day: int,
        pays_for: int,
        root_invoice: int,
        *,
        creator_org_id: str,
    ) -> int:
        """A piece the platform is about to be asked to create (NEVER_ISSUED until then),
        named in the namespace of `creator_org_id`, whose command creates it."""
        p = len(self.piece_holder)
        self.piece_id.append(tagged_id("rcv", creator_org_id, str(p)))
        self.piece_holder.append(holder)
        self.piece_anchor.append(anchor)
        self.piece_face_minor.append(face_minor)
        self.piece_due_day.append(due_day)
        self.piece_pays_for.append(pays_for)
        self.piece_root_invoice.append(root_invoice)
        self.piece_status.append(NEVER_ISSUED)
        self.piece_is_encumbered.append(0)
        return p

    def pay(
        self,
        day: int,
        payer: int,
        payee: int,
        amount_minor: int,
        kind: str,
        invoice: int = -1,
        piece: int = -1,
    ) -> None:
        self.payment_day.append(day)
        self.payment_payer.append(payer)
        self.payment_payee.append(payee)
        self.payment_amount_minor.append(amount_minor)
        self.payment_kind.append(kind)
        self.payment_invoice.append(invoice)
        self.payment_piece.append(piece)

    def outstanding_minor(self, p: int) -> int:
        """What piece p's obligor still owes of it (its face less its partial payments)."""
        return self.piece_face_minor[p] - self.piece_paid_minor.get(p, 0)

    def add_label(
        self,
        label: str,
        *,
        firm: int = -1,
        invoice: int = -1,
        piece: int = -1,
        related: int = -1,
        day: int = -1,
        ring: int = -1,
        variant: str = "",
        outcome: str = "",
        amount_minor: int = 0,
        detail: dict[str, Any] | None = None,
    ) -> None:
        entry = {
            "label": label,
            "firm": firm,
            "invoice": invoice,
            "piece": piece,
            "related_invoice": related,
            "day": day,
            "ring": ring,
            "variant": variant,
            "outcome": outcome,
            "amount_minor": amount_minor,
            "detail": detail or {},
        }
        self.labels.append(entry)
        if invoice >= 0:
            self.labels_by_invoice.setdefault(invoice, []).append(entry)

    def labels_for_invoice(self, invoice: int) -> list[dict[str, Any]]:
        return self.labels_by_invoice.get(invoice, [])

    # --- derived ------------------------------------------------------------------------

    def net_minor(self, invoice: int) -> int:
        """What the invoice is worth after its credit notes."""
        return self.invoice_amount_minor[invoice] - self.invoice_credit_minor[invoice]

    def pays_for_run(self, invoices: list[int]) -> int:
        """What a piece's value pays for: one invoice (its index) or a payment run of
        several (recorded in `payment_runs`, encoded as FIRST_PAYMENT_RUN - run index)."""
        if len(invoices) == 1:
            return invoices[0]
        self.payment_runs.append(invoices)
        return FIRST_PAYMENT_RUN - (len(self.payment_runs) - 1)

    def invoices_paid_by(self, pays_for: int) -> list[int]:
        if pays_for <= FIRST_PAYMENT_RUN:
            return self.payment_runs[FIRST_PAYMENT_RUN - pays_for]
        return [pays_for]

    def realise(self, pays_for: int, amount_minor: int, day: int) -> None:
        """The seller of what `pays_for` names turned `amount_minor` of what it was paid
        into cash (or used it as cash) on `day`: for the days-from-invoice-to-cash measure."""
        if pays_for == PAYS_FOR_NOTHING:
            return
        if pays_for <= FIRST_PAYMENT_RUN:
            # A payment run: share the amount out pro rata, the remainder to the last.
            invoices = self.payment_runs[FIRST_PAYMENT_RUN - pays_for]
            nets = [self.net_minor(i) for i in invoices]
            total, given = sum(nets), 0
            for k, (i, net) in enumerate(zip(invoices, nets, strict=True)):
                share = (
                    amount_minor - given if k == len(invoices) - 1 else amount_minor * net // total
                )
                given += share
                self.invoice_realised_minor[i] += share
                self.invoice_realised_minor_days[i] += share * (day - self.invoice_issue_day[i])
            return
        self.invoice_realised_minor[pays_for] += amount_minor
        self.invoice_realised_minor_days[pays_for] += amount_minor * (
            day - self.invoice_issue_day[pays_for]
        )


def scale_minor(amount_minor: int, factor: float) -> int:
    """amount x factor (a float from a random process), rounded half-even to the minor
    unit through Decimal: the float never touches the amount itself."""
    product = Decimal(amount_minor) * Decimal(f"{factor:.4f}")
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
