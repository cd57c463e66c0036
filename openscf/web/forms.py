"""The dashboard's forms: each turns posted fields into one command of the domain.

Every field is checked here with the same error shape as the domain's (`InvalidRequest`
with a code, a message a person can act on, and the field's name), so a bad amount or date
is shown next to the form like any refusal by the network. Amounts are typed in major
units in the one format `openscf.domain.money.parse_amount` accepts ("12500.00" or
"12,500.00"; never "12.500,00", "12 500", "1e3") and converted exactly (no float); rates
in percent ("4.5").

A form whose command is irrevocable and carries a typed amount has a question (`ask`): the
dashboard shows the amount back in the currency's words ("Confirm 12,500.00 EUR to Alb
Dichtungen KG, due 2027-01-26?") and sends the command only once the person says yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import check_currency, format_amount, parse_amount

__all__ = ["ACTIONS", "ID", "Action", "Form"]

Form = Mapping[str, str]
ID = re.compile(r"^[a-z]{2,5}_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_FIELD = 200
RATE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")


def text(form: Form, name: str, what: str) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise InvalidRequest("missing_field", f"fill in {what}", name)
    if len(value) > MAX_FIELD:
        raise InvalidRequest("field_too_long", f"{what} is at most {MAX_FIELD} characters", name)
    return value


def ident(form: Form, name: str, what: str) -> str:
    value = text(form, name, what)
    if not ID.match(value):
        raise InvalidRequest("invalid_id", f"{what} is not a valid id", name)
    return value


def amount(form: Form, name: str, currency: str, what: str = "the amount") -> int:
    """'12,500.10' -> 1250010 (EUR), strictly (`openscf.domain.money.parse_amount`)."""
    return parse_amount(text(form, name, what), currency, name)


def amounts(form: Form, name: str, currency: str) -> tuple[int, ...]:
    raw = text(form, name, "the amounts of the pieces")
    parts = [p for p in re.split(r"[;\s]+|,(?=\s)", raw) if p]
    if len(parts) < 2:
        raise InvalidRequest(
            "too_few_pieces",
            "give at least two amounts, separated by spaces or semicolons (e.g. 70000 50000)",
            name,
        )
    return tuple(amount({name: p}, name, currency, "each amount") for p in parts)


def day(form: Form, name: str, what: str) -> date:
    raw = text(form, name, what)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest("invalid_date", f"{what} must be a date (YYYY-MM-DD)", name) from None


def rate(form: Form, name: str) -> str:
    """'4.5' (percent) -> '0.045'."""
    raw = text(form, name, "the annual rate").rstrip("%").strip()
    if not RATE.fullmatch(raw):
        raise InvalidRequest(
            "invalid_rate",
            f"{raw[:40]!r} is not a rate in percent: type "
            "digits with '.' before the decimals, such as 4.5",
            name,
        )
    value = Decimal(raw)
    if not 0 < value <= 100:
        raise InvalidRequest(
            "invalid_rate", "the annual rate is a percentage above 0 and at most 100", name
        )
    return str((value / 100).normalize())


def fees(form: Form, name: str, currency: str) -> int:
    raw = (form.get(name) or "").strip()
    if not raw or raw in ("0", "0.0", "0.00", "0.000"):
        return 0
    if raw.startswith("-"):
        raise InvalidRequest("invalid_fees", "fees cannot be negative", name)
    return amount({name: raw}, name, currency, "the fees")


Names = Callable[[str], str]  # an organisation's id -> its name, as the person sees it


def ask_confirm(command: c.Command, names: Names) -> str | None:
    assert isinstance(command, c.ConfirmInvoice)
    return (
        f"Confirm {format_amount(command.amount_minor, command.currency)} to "
        f"{names(command.supplier_id)}, due {command.due_on.isoformat()}?"
    )


def ask_split(command: c.Command, currency: str) -> str | None:
    assert isinstance(command, c.SplitReceivable)
    pieces = [format_amount(a, currency) for a in command.amounts_minor]
    return f"Split the piece into {', '.join(pieces[:-1])} and {pieces[-1]}?"


def ask_transfer(command: c.Command, currency: str, names: Names) -> str | None:
    assert isinstance(command, c.TransferReceivable)
    if command.amount_minor is None:
        return None  # the whole piece: no amount was typed
    return (
        f"Transfer {format_amount(command.amount_minor, currency)} of the piece to "
        f"{names(command.to_org_id)}?"
    )


def ask_payment(command: c.Command, currency: str) -> str | None:
    assert isinstance(command, c.RecordPayment)
    return f"Pay {format_amount(command.amount_minor, currency)} of the piece to its holder now?"


def ask_credit_note(command: c.Command, currency: str) -> str | None:
    assert isinstance(command, c.RecordCreditNote)
    return (
        f"Record credit note {command.credit_note_number} for "
        f"{format_amount(command.amount_minor, currency)}? It is netted against the "
        "supplier's next confirmations."
    )


def ask_recovery(command: c.Command) -> str | None:
    assert isinstance(command, c.RecordRecovery)
    return (
        f"Record {format_amount(command.amount_minor, command.currency)} recovered from "
        f"{command.source} on the claim?"
    )


def optional_amount(form: Form, name: str, currency: str) -> int | None:
    """An amount field a person may leave empty (then the command's default applies)."""
    return amount(form, name, currency) if (form.get(name) or "").strip() else None


def currency_of(form: Form, name: str) -> str:
    return check_currency(text(form, name, "the currency").upper(), name)


@dataclass(frozen=True)
class Action:
    """A form: the role page it lives on, what it builds, and what success says.

    `ask`, when set, gives the question the person answers before the command is sent
    ((command, currency, names) -> question, or None when there is nothing to confirm).
    """

    role: str
    build: Callable[[Form, str], c.Command]  # (form, currency of the record) -> command
    done: str
    target: str  # the form field naming the record acted on (errors are shown next to it)
    ask: Callable[[c.Command, str, Names], str | None] | None = None


ACTIONS: dict[str, Action] = {
    "confirm": Action(
        "anchor",
        lambda f, cur: c.ConfirmInvoice(
            program_id=ident(f, "program_id", "the program"),
            supplier_id=ident(f, "supplier_id", "the supplier"),
            invoice_number=text(f, "invoice_number", "the invoice number"),
            amount_minor=amount(f, "amount", cur),
            currency=cur,
            due_on=day(f, "due_on", "the due date"),
        ),
        "Invoice confirmed",
        "invoice_number",
        ask=lambda cmd, cur, names: ask_confirm(cmd, names),
    ),
    "approve": Action(
        "anchor",
        lambda f, cur: c.ApproveConfirmation(ident(f, "approval_id", "the approval")),
        "Confirmation approved: the receivable is issued",
        "approval_id",
    ),
    "settle": Action(
        "anchor",
        lambda f, cur: c.SettleReceivable(ident(f, "receivable_id", "the piece")),
        "Receivable settled: its holder is paid",
        "receivable_id",
    ),
    "offer_early_payment": Action(
        "anchor",
        lambda f, cur: c.OfferEarlyPayment(
            ident(f, "receivable_id", "the piece"),
            rate(f, "annual_rate"),
            day(f, "value_date", "the payment date"),
        ),
        "Early payment offered",
        "receivable_id",
    ),
    "split": Action(
        "supplier",
        lambda f, cur: c.SplitReceivable(
            ident(f, "receivable_id", "the piece"), amounts(f, "amounts", cur)
        ),
        "Receivable split",
        "receivable_id",
        ask=lambda cmd, cur, names: ask_split(cmd, cur),
    ),
    "transfer": Action(
        "supplier",
        lambda f, cur: c.TransferReceivable(
            ident(f, "receivable_id", "the piece"),
            ident(f, "to_org_id", "the recipient"),
            amount(f, "amount", cur) if (f.get("amount") or "").strip() else None,
        ),
        "Receivable transferred",
        "receivable_id",
        ask=ask_transfer,
    ),
    "request_financing": Action(
        "supplier",
        lambda f, cur: c.RequestFinancing(ident(f, "receivable_id", "the piece")),
        "Financing requested: the program's funders can now bid",
        "receivable_id",
    ),
    "withdraw_financing": Action(
        "supplier",
        lambda f, cur: c.WithdrawFinancingRequest(ident(f, "request_id", "the request")),
        "Financing request withdrawn",
        "request_id",
    ),
    "accept_offer": Action(
        "supplier",
        lambda f, cur: c.AcceptFinancingOffer(ident(f, "offer_id", "the offer")),
        "Offer accepted: the funder pays you and now holds the piece",
        "offer_id",
    ),
    "accept_early_payment": Action(
        "supplier",
        lambda f, cur: c.AcceptEarlyPayment(ident(f, "offer_id", "the offer")),
        "Early payment accepted",
        "offer_id",
    ),
    "offer_financing": Action(
        "funder",
        lambda f, cur: c.OfferFinancing(
            ident(f, "request_id", "the request"),
            rate(f, "annual_rate"),
            day(f, "value_date", "the value date"),
            fees(f, "fees", cur),
        ),
        "Offer sent",
        "request_id",
    ),
    # When trade goes wrong. The domain decides who may act; the pages offer each form only
    # where it applies.
    "pay_part": Action(
        "anchor",
        lambda f, cur: c.RecordPayment(
            ident(f, "receivable_id", "the piece"), amount(f, "amount", cur)
        ),
        "Payment recorded: what is left stays owed",
        "receivable_id",
        ask=lambda cmd, cur, names: ask_payment(cmd, cur),
    ),
    "credit_note": Action(
        "anchor",
        lambda f, cur: c.RecordCreditNote(
            ident(f, "invoice_id", "the invoice"),
            text(f, "credit_note_number", "the credit note number"),
            amount(f, "amount", cur),
        ),
        "Credit note recorded: netted against the supplier's next confirmations",
        "invoice_id",
        ask=lambda cmd, cur, names: ask_credit_note(cmd, cur),
    ),
    "raise_dispute": Action(
        "anchor",
        lambda f, cur: c.RaiseDispute(
            ident(f, "program_id", "the program"),
            ident(f, "supplier_id", "the supplier"),
            text(f, "invoice_number", "the invoice number"),
            amount(f, "amount", cur),
            text(f, "reason", "the reason"),
        ),
        "Dispute raised",
        "invoice_number",
    ),
    "withdraw_dispute": Action(
        "anchor",
        lambda f, cur: c.ResolveDispute(ident(f, "dispute_id", "the dispute"), "withdrawn"),
        "Dispute withdrawn",
        "dispute_id",
    ),
    "agree_dispute": Action(
        "supplier",
        lambda f, cur: c.ResolveDispute(
            ident(f, "dispute_id", "the dispute"), "agreed", optional_amount(f, "amount", cur)
        ),
        "Dispute agreed: the anchor holds a credit for the agreed amount",
        "dispute_id",
    ),
    "pay_recourse": Action(
        "supplier",
        lambda f, cur: c.PayRecourse(ident(f, "receivable_id", "the obligation")),
        "Recourse obligation paid",
        "receivable_id",
    ),
    "put_back": Action(
        "funder",
        lambda f, cur: c.PutBackReceivable(ident(f, "receivable_id", "the piece")),
        "Piece put back: the seller now owes you what you lacked on it",
        "receivable_id",
    ),
    "request_default": Action(
        "auditor",
        lambda f, cur: c.RequestObligorDefault(
            ident(f, "obligor_id", "the obligor"),
            text(f, "reason", "the reason"),
            (f.get("note") or "").strip()[:MAX_FIELD],
        ),
        "Default requested: a second operator user approves it",
        "obligor_id",
    ),
    "approve_default": Action(
        "auditor",
        lambda f, cur: c.ApproveObligorDefault(ident(f, "approval_id", "the approval")),
        "Obligor declared in default: its pieces joined the claim",
        "approval_id",
    ),
    "record_recovery": Action(
        "auditor",
        lambda f, cur: c.RecordRecovery(
            ident(f, "claim_id", "the claim"),
            amount(f, "amount", currency_of(f, "currency")),
            currency_of(f, "currency"),
            text(f, "source", "where the money came from"),
        ),
        "Recovery recorded: shared among the claim's pieces",
        "claim_id",
        ask=lambda cmd, cur, names: ask_recovery(cmd),
    ),
    "close_claim": Action(
        "auditor",
        lambda f, cur: c.CloseDefaultClaim(ident(f, "claim_id", "the claim")),
        "Claim closed: what each piece still lacks is its holder's loss",
        "claim_id",
    ),
    # The fraud review queue: the anchor's checker, and the operator's (on the auditor page).
    "clear_fraud_flag": Action(
        "anchor",
        lambda f, cur: c.ClearFraudFlag(
            ident(f, "flag_id", "the flag"), text(f, "reason", "why the flag is cleared")
        ),
        "Flag cleared: the invoice may be confirmed and its pieces financed",
        "flag_id",
    ),
    "operator_clear_fraud_flag": Action(
        "auditor",
        lambda f, cur: c.ClearFraudFlag(
            ident(f, "flag_id", "the flag"), text(f, "reason", "why the flag is cleared")
        ),
        "Flag cleared: the invoice may be confirmed and its pieces financed",
        "flag_id",
    ),
}
