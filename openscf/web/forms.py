"""The dashboard's forms: each turns posted fields into one command of the domain.

Every field is checked here with the same error shape as the domain's (`InvalidRequest`
with a code, a message a person can act on, and the field's name), so a bad amount or date
is shown next to the form like any refusal by the network. Amounts are typed in major
units ("12,500.00") and converted exactly (no float); rates in percent ("4.5").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import MAX_AMOUNT_MINOR, parse_major

__all__ = ["ACTIONS", "Action", "Form"]

Form = Mapping[str, str]
ID = re.compile(r"^[a-z]{2,5}_[A-Za-z0-9_]{1,64}$")
MAX_FIELD = 200
DECIMAL = re.compile(r"^\d{1,20}(\.\d{1,20})?$")


def text(form: Form, name: str, what: str) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise InvalidRequest("missing_field", f"fill in {what}", name)
    if len(value) > MAX_FIELD:
        raise InvalidRequest("field_too_long", f"{what} is at most {MAX_FIELD} characters",
                             name)
    return value


def ident(form: Form, name: str, what: str) -> str:
    value = text(form, name, what)
    if not ID.match(value):
        raise InvalidRequest("invalid_id", f"{what} is not a valid id", name)
    return value


def amount(form: Form, name: str, currency: str, what: str = "the amount") -> int:
    """'12,500.10' -> 1250010 (EUR). Plain decimals only: no exponents, no signs."""
    raw = text(form, name, what).replace(",", "").replace(" ", "").replace("_", "")
    if raw.startswith("-") or raw in ("0", "0.0", "0.00"):
        raise InvalidRequest("invalid_amount", f"{what} must be above zero", name)
    if not DECIMAL.match(raw):
        raise InvalidRequest("invalid_amount", f"{raw[:40]!r} is not a decimal amount such "
                             "as 12500.00", name)
    value = parse_major(raw, currency, name)
    if value <= 0:
        raise InvalidRequest("invalid_amount", f"{what} must be above zero", name)
    if value > MAX_AMOUNT_MINOR:
        raise InvalidRequest("amount_too_large", f"{what} is too large", name)
    return value


def amounts(form: Form, name: str, currency: str) -> tuple[int, ...]:
    raw = text(form, name, "the amounts of the pieces")
    parts = [p for p in re.split(r"[;\s]+|,(?=\s)", raw) if p]
    if len(parts) < 2:
        raise InvalidRequest("too_few_pieces", "give at least two amounts, separated by "
                             "spaces or semicolons (e.g. 70000 50000)", name)
    return tuple(amount({name: p}, name, currency, "each amount") for p in parts)


def day(form: Form, name: str, what: str) -> date:
    raw = text(form, name, what)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest("invalid_date", f"{what} must be a date (YYYY-MM-DD)",
                             name) from None


def rate(form: Form, name: str) -> str:
    """'4.5' (percent) -> '0.045'."""
    raw = text(form, name, "the annual rate").rstrip("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidRequest("invalid_rate", f"{raw!r} is not a rate in percent, such as 4.5",
                             name) from None
    if not value.is_finite() or not 0 < value <= 100:
        raise InvalidRequest("invalid_rate", "the annual rate is a percentage above 0 and at "
                             "most 100", name)
    return str((value / 100).normalize())


def fees(form: Form, name: str, currency: str) -> int:
    raw = (form.get(name) or "").strip().replace(",", "")
    if not raw or raw in ("0", "0.0", "0.00"):
        return 0
    if raw.startswith("-"):
        raise InvalidRequest("invalid_fees", "fees cannot be negative", name)
    return amount({name: raw}, name, currency, "the fees")


@dataclass(frozen=True)
class Action:
    """A form: the role page it lives on, what it builds, and what success says."""

    role: str
    build: Callable[[Form, str], c.Command]  # (form, currency of the record) -> command
    done: str
    target: str  # the form field naming the record acted on (errors are shown next to it)


ACTIONS: dict[str, Action] = {
    "confirm": Action(
        "anchor",
        lambda f, cur: c.ConfirmInvoice(
            program_id=ident(f, "program_id", "the program"),
            supplier_id=ident(f, "supplier_id", "the supplier"),
            invoice_number=text(f, "invoice_number", "the invoice number"),
            amount_minor=amount(f, "amount", cur), currency=cur,
            due_on=day(f, "due_on", "the due date")),
        "Invoice confirmed", "invoice_number"),
    "approve": Action(
        "anchor", lambda f, cur: c.ApproveConfirmation(ident(f, "approval_id", "the approval")),
        "Confirmation approved: the receivable is issued", "approval_id"),
    "settle": Action(
        "anchor", lambda f, cur: c.SettleReceivable(ident(f, "receivable_id", "the piece")),
        "Receivable settled: its holder is paid", "receivable_id"),
    "offer_early_payment": Action(
        "anchor",
        lambda f, cur: c.OfferEarlyPayment(
            ident(f, "receivable_id", "the piece"), rate(f, "annual_rate"),
            day(f, "value_date", "the payment date")),
        "Early payment offered", "receivable_id"),
    "split": Action(
        "supplier",
        lambda f, cur: c.SplitReceivable(ident(f, "receivable_id", "the piece"),
                                         amounts(f, "amounts", cur)),
        "Receivable split", "receivable_id"),
    "transfer": Action(
        "supplier",
        lambda f, cur: c.TransferReceivable(
            ident(f, "receivable_id", "the piece"), ident(f, "to_org_id", "the recipient"),
            amount(f, "amount", cur) if (f.get("amount") or "").strip() else None),
        "Receivable transferred", "receivable_id"),
    "request_financing": Action(
        "supplier", lambda f, cur: c.RequestFinancing(ident(f, "receivable_id", "the piece")),
        "Financing requested: the program's funders can now bid", "receivable_id"),
    "withdraw_financing": Action(
        "supplier",
        lambda f, cur: c.WithdrawFinancingRequest(ident(f, "request_id", "the request")),
        "Financing request withdrawn", "request_id"),
    "accept_offer": Action(
        "supplier",
        lambda f, cur: c.AcceptFinancingOffer(ident(f, "offer_id", "the offer")),
        "Offer accepted: the funder pays you and now holds the piece", "offer_id"),
    "accept_early_payment": Action(
        "supplier", lambda f, cur: c.AcceptEarlyPayment(ident(f, "offer_id", "the offer")),
        "Early payment accepted", "offer_id"),
    "offer_financing": Action(
        "funder",
        lambda f, cur: c.OfferFinancing(
            ident(f, "request_id", "the request"), rate(f, "annual_rate"),
            day(f, "value_date", "the value date"), fees(f, "fees", cur)),
        "Offer sent", "request_id"),
}
