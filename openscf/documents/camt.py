"""ISO 20022 bank-to-customer messages in: camt.053 statements, camt.054 notifications.

Read namespace-agnostically, so versions .02, .04 and .08 (and camt.052 reports, which
share the shape) go through one code path. Differences between versions handled here:

- entry status is `<Sts>BOOK</Sts>` up to .04 and `<Sts><Cd>BOOK</Cd></Sts>` from .08;
- parties are `<Dbtr><Nm>` up to .04 and `<Dbtr><Pty><Nm>` from .08;
- a transaction's amount is `TxDtls/Amt` from .04, `TxDtls/AmtDtls/TxAmt/Amt` before.

Amounts become integer minor units of their currency; nothing is rounded: an amount with
more decimals than its currency allows is an error. `NOTPROVIDED` end-to-end ids read as
absent. Errors are `DocumentError`s naming source, line and element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from lxml import etree

from openscf.documents.errors import (
    DocumentError,
    InvalidValueError,
    MissingElementError,
    UnknownDocumentTypeError,
    from_money_error,
)
from openscf.documents.xml import DEFAULT_MAX_BYTES, element_path, local_name, parse_xml, text_of
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import parse_document_amount

__all__ = [
    "AccountReport",
    "BankMessage",
    "Counterparty",
    "CreditDebit",
    "StatementEntry",
    "TransactionDetails",
    "parse_camt",
    "parse_camt_element",
]

CreditDebit = Literal["credit", "debit"]

_MESSAGES = {
    "BkToCstmrStmt": ("camt.053", "Stmt", "statement"),
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn", "notification"),
    "BkToCstmrAcctRpt": ("camt.052", "Rpt", "report"),
}
_VERSION = re.compile(r"camt\.05[234]\.001\.([0-9]{2})")


@dataclass(frozen=True, slots=True)
class Counterparty:
    """The other side of a transaction: name and account (IBAN or other id), agent BIC."""

    name: str | None = None
    iban: str | None = None
    account_id: str | None = None
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionDetails:
    """One transaction inside an entry (`NtryDtls/TxDtls`)."""

    end_to_end_id: str | None
    instruction_id: str | None
    account_servicer_ref: str | None
    amount_minor: int | None
    currency: str | None
    credit_debit: CreditDebit | None
    creditor_reference: str | None
    creditor_references: tuple[str, ...]
    remittance_info: tuple[str, ...]
    debtor: Counterparty | None
    creditor: Counterparty | None
    counterparty: Counterparty | None


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booked (or pending, or information-only) movement on the account."""

    amount_minor: int
    currency: str
    credit_debit: CreditDebit
    status: str
    reversal: bool
    booking_date: date | None
    value_date: date | None
    entry_ref: str | None
    account_servicer_ref: str | None
    bank_transaction_code: str | None
    additional_info: str | None
    transactions: tuple[TransactionDetails, ...]
    line: int | None = None

    @property
    def signed_amount_minor(self) -> int:
        return self.amount_minor if self.credit_debit == "credit" else -self.amount_minor


@dataclass(frozen=True, slots=True)
class AccountReport:
    """One `Stmt` (camt.053), `Ntfctn` (camt.054) or `Rpt` (camt.052)."""

    kind: Literal["statement", "notification", "report"]
    report_id: str
    account_iban: str | None
    account_other_id: str | None
    account_currency: str | None
    created_at: datetime | None
    entries: tuple[StatementEntry, ...]

    @property
    def account(self) -> str | None:
        return self.account_iban or self.account_other_id


@dataclass(frozen=True, slots=True)
class BankMessage:
    """A whole camt message: `message_type` like "camt.053", `version` like "001.04".

    `created_at` keeps the offset the bank wrote; banks often write none (naive time).
    """

    message_type: str
    version: str | None
    namespace: str | None
    message_id: str
    created_at: datetime | None
    reports: tuple[AccountReport, ...]
    source: str = "<bytes>"

    @property
    def entries(self) -> tuple[StatementEntry, ...]:
        return tuple(e for r in self.reports for e in r.entries)


# ---------------------------------------------------------------------------------------
# namespace-agnostic access
# ---------------------------------------------------------------------------------------


def _path(path: str) -> str:
    return "/".join(f"{{*}}{step}" for step in path.split("/"))


def _find(el: etree._Element, path: str) -> etree._Element | None:
    return el.find(_path(path))


def _findall(el: etree._Element, path: str) -> list[etree._Element]:
    return list(el.iterfind(_path(path)))


def _text(el: etree._Element, path: str) -> str | None:
    return text_of(_find(el, path))


def _located(exc: DocumentError, source: str, el: etree._Element) -> DocumentError:
    exc.source = exc.source or source
    exc.line = el.sourceline
    exc.element = element_path(el)
    return exc


def _missing(parent: etree._Element, tag: str, message: str, source: str) -> MissingElementError:
    """The error for a child `tag` that `parent` lacks, located at where it should be."""
    return MissingElementError(
        message, source=source, line=parent.sourceline, element=f"{element_path(parent)}/{tag}"
    )


def _required(el: etree._Element, path: str, source: str) -> str:
    value = _text(el, path)
    if value is None:
        raise _missing(el, path, f"{path} is missing", source)
    return value


def _amount(el: etree._Element, source: str) -> tuple[int, str]:
    currency = el.get("Ccy")
    value = text_of(el)
    if currency is None or value is None:
        raise _located(
            MissingElementError("an amount needs a value and a Ccy attribute"), source, el
        )
    try:
        return parse_document_amount(value, currency), currency
    except InvalidRequest as exc:
        raise _located(from_money_error(exc), source, el) from None


def _credit_debit(el: etree._Element, path: str, source: str) -> CreditDebit | None:
    node = _find(el, path)
    value = text_of(node)
    if value is None or node is None:
        return None
    if value == "CRDT":
        return "credit"
    if value == "DBIT":
        return "debit"
    raise _located(
        InvalidValueError(f"credit/debit indicator {value!r} is not CRDT or DBIT"), source, node
    )


def _date(el: etree._Element, path: str, source: str) -> date | None:
    """A DateAndDateTimeChoice: `<X><Dt>` or `<X><DtTm>` (the date part of it)."""
    node = _find(el, path)
    if node is None:
        return None
    value = _text(node, "Dt") or _text(node, "DtTm")
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise _located(
            InvalidValueError(f"{value!r} is not a date", code="invalid_date"), source, node
        ) from None


def _datetime(value: str | None, el: etree._Element, source: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _located(
            InvalidValueError(f"{value!r} is not a date-time", code="invalid_datetime"),
            source,
            el,
        ) from None


def _party(el: etree._Element | None) -> str | None:
    """Name of a party written as `<X><Nm>` (up to .04) or `<X><Pty><Nm>` (.08)."""
    if el is None:
        return None
    return _text(el, "Nm") or _text(el, "Pty/Nm")


def _counterparty(details: etree._Element, role: Literal["Dbtr", "Cdtr"]) -> Counterparty | None:
    party = _find(details, f"RltdPties/{role}")
    account = _find(details, f"RltdPties/{role}Acct")
    agent = _find(details, f"RltdAgts/{role}Agt")
    if party is None and account is None and agent is None:
        return None
    return Counterparty(
        name=_party(party),
        iban=_text(account, "Id/IBAN") if account is not None else None,
        account_id=_text(account, "Id/Othr/Id") if account is not None else None,
        bic=(
            (_text(agent, "FinInstnId/BIC") or _text(agent, "FinInstnId/BICFI"))
            if agent is not None
            else None
        ),
    )


def _transaction(
    details: etree._Element, entry_direction: CreditDebit, source: str
) -> TransactionDetails:
    amount_el = _find(details, "Amt")
    if amount_el is None:
        amount_el = _find(details, "AmtDtls/TxAmt/Amt")
    amount: int | None = None
    currency: str | None = None
    if amount_el is not None:
        amount, currency = _amount(amount_el, source)
    direction = _credit_debit(details, "CdtDbtInd", source)
    e2e = _text(details, "Refs/EndToEndId")
    if e2e is not None and e2e.upper() == "NOTPROVIDED":
        e2e = None
    references = tuple(
        ref.strip()
        for node in _findall(details, "RmtInf/Strd/CdtrRefInf/Ref")
        if (ref := text_of(node))
    )
    remittance = tuple(
        text for node in _findall(details, "RmtInf/Ustrd") if (text := text_of(node))
    )
    debtor = _counterparty(details, "Dbtr")
    creditor = _counterparty(details, "Cdtr")
    # The counterparty is the other side: who paid us on a credit, whom we paid on a debit.
    side = direction or entry_direction
    return TransactionDetails(
        end_to_end_id=e2e,
        instruction_id=_text(details, "Refs/InstrId"),
        account_servicer_ref=_text(details, "Refs/AcctSvcrRef"),
        amount_minor=amount,
        currency=currency,
        credit_debit=direction,
        creditor_reference=references[0] if references else None,
        creditor_references=references,
        remittance_info=remittance,
        debtor=debtor,
        creditor=creditor,
        counterparty=debtor if side == "credit" else creditor,
    )


def _bank_code(entry: etree._Element) -> str | None:
    domain = _find(entry, "BkTxCd/Domn")
    if domain is not None:
        parts = [
            _text(domain, "Cd"),
            _text(domain, "Fmly/Cd"),
            _text(domain, "Fmly/SubFmlyCd"),
        ]
        return "/".join(p for p in parts if p)
    return _text(entry, "BkTxCd/Prtry/Cd")


def _entry(entry: etree._Element, source: str) -> StatementEntry:
    amount_el = _find(entry, "Amt")
    if amount_el is None:
        raise _missing(entry, "Amt", "an entry has no amount", source)
    amount, currency = _amount(amount_el, source)
    direction = _credit_debit(entry, "CdtDbtInd", source)
    if direction is None:
        raise _missing(entry, "CdtDbtInd", "an entry has no credit/debit indicator", source)
    status_el = _find(entry, "Sts")
    status = None
    if status_el is not None:
        status = _text(status_el, "Cd") or _text(status_el, "Prtry") or text_of(status_el)
    if status is None:
        raise _missing(entry, "Sts", "an entry has no status", source)
    reversal = (_text(entry, "RvslInd") or "false").lower() == "true"
    transactions = tuple(
        _transaction(tx, direction, source) for tx in _findall(entry, "NtryDtls/TxDtls")
    )
    return StatementEntry(
        amount_minor=amount,
        currency=currency,
        credit_debit=direction,
        status=status,
        reversal=reversal,
        booking_date=_date(entry, "BookgDt", source),
        value_date=_date(entry, "ValDt", source),
        entry_ref=_text(entry, "NtryRef"),
        account_servicer_ref=_text(entry, "AcctSvcrRef"),
        bank_transaction_code=_bank_code(entry),
        additional_info=_text(entry, "AddtlNtryInf"),
        transactions=transactions,
        line=entry.sourceline,
    )


def _report(el: etree._Element, kind: str, source: str) -> AccountReport:
    report_id = _required(el, "Id", source)
    account = _find(el, "Acct")
    if account is None:
        raise _missing(el, "Acct", f"{kind} {report_id} has no account", source)
    iban = _text(account, "Id/IBAN")
    other = _text(account, "Id/Othr/Id")
    if iban is None and other is None:
        raise _missing(account, "Id", f"{kind} {report_id} names no account id", source)
    created = _find(el, "CreDtTm")
    return AccountReport(
        kind=kind,  # type: ignore[arg-type]
        report_id=report_id,
        account_iban=iban.replace(" ", "").upper() if iban else None,
        account_other_id=other,
        account_currency=_text(account, "Ccy"),
        created_at=_datetime(text_of(created), created, source) if created is not None else None,
        entries=tuple(_entry(n, source) for n in _findall(el, "Ntry")),
    )


def parse_camt_element(root: etree._Element, source: str = "<bytes>") -> BankMessage:
    """An already parsed camt `Document` element to a `BankMessage`."""
    namespace = etree.QName(root).namespace
    body = root[0] if local_name(root) == "Document" and len(root) else None
    known = _MESSAGES.get(local_name(body)) if body is not None else None
    if body is None or known is None:
        raise UnknownDocumentTypeError(
            "not a camt.052/053/054 message (expected Document with BkToCstmrStmt, "
            "BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt)",
            source=source,
            line=root.sourceline,
            element=element_path(root),
        )
    message_type, report_tag, kind = known
    version_match = _VERSION.search(namespace or "")
    header = _find(body, "GrpHdr")
    if header is None:
        raise _missing(body, "GrpHdr", "the message has no group header", source)
    created = _find(header, "CreDtTm")
    return BankMessage(
        message_type=message_type,
        version=f"001.{version_match.group(1)}" if version_match else None,
        namespace=namespace,
        message_id=_required(header, "MsgId", source),
        created_at=_datetime(text_of(created), created, source) if created is not None else None,
        reports=tuple(_report(n, kind, source) for n in _findall(body, report_tag)),
        source=source,
    )


def parse_camt(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> BankMessage:
    """Parse camt.052/053/054 bytes (any version) safely, or raise `DocumentError`."""
    return parse_camt_element(parse_xml(data, source, max_bytes=max_bytes), source)
