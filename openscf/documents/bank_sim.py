"""Play the bank: execute pain.001 files and write the camt.053 statements a bank would.

For the demo and for tests that need the round trip (pain.001 out, camt.053 in) without
a bank. `execute_pain001` books each credit transfer of a pain.001.001.09 file as one
debit entry on its debtor account, on the requested execution date, carrying the
EndToEndId, the creditor reference and the creditor; `write_camt053` writes one
camt.053.001.08 statement per account (valid against the ISO 20022 XSD), with opening
and closing balances.

Pure apart from the bytes it is given; parsing goes through the safe XML parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree

from openscf.documents.errors import InvalidValueError, UnknownDocumentTypeError, from_money_error
from openscf.documents.pain001 import PAIN001_NAMESPACE
from openscf.documents.xml import parse_xml
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import format_minor, parse_document_amount

__all__ = ["CAMT053_NAMESPACE", "BookedPayment", "execute_pain001", "write_camt053"]

CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@dataclass(frozen=True, slots=True)
class BookedPayment:
    """One executed credit transfer, as the debtor's bank books it."""

    debtor_iban: str
    amount_minor: int
    currency: str
    booking_date: date
    end_to_end_id: str | None
    creditor_reference: str | None
    creditor_name: str | None
    creditor_iban: str | None
    bank_reference: str


def execute_pain001(
    data: bytes, source: str = "pain.001", *, reference_prefix: str = "BANK"
) -> list[BookedPayment]:
    """The debit bookings a bank makes for a pain.001.001.09 file, in file order."""
    root = parse_xml(data, source)
    if root.tag != f"{{{PAIN001_NAMESPACE}}}Document":
        raise UnknownDocumentTypeError(
            "not a pain.001.001.09 document",
            source=source,
            line=root.sourceline,
            element=str(root.tag),
        )
    ns = {"p": PAIN001_NAMESPACE}
    out: list[BookedPayment] = []
    for block in root.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", ns):
        iban = block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns)
        day_text = block.findtext("p:ReqdExctnDt/p:Dt", namespaces=ns)
        if not iban or not day_text:
            raise InvalidValueError(
                "a payment block names no debtor IBAN or execution date",
                source=source,
                line=block.sourceline,
                element="PmtInf",
            )
        day = date.fromisoformat(day_text)
        for tx in block.iterfind("p:CdtTrfTxInf", ns):
            amount = tx.find("p:Amt/p:InstdAmt", ns)
            if amount is None:
                raise InvalidValueError(
                    "a transaction has no amount",
                    source=source,
                    line=tx.sourceline,
                    element="CdtTrfTxInf",
                )
            currency = amount.get("Ccy") or ""
            try:
                amount_minor = parse_document_amount(amount.text or "", currency)
            except InvalidRequest as exc:
                error = from_money_error(exc, "InstdAmt")
                error.source, error.line = source, amount.sourceline
                raise error from None
            out.append(
                BookedPayment(
                    debtor_iban=iban,
                    amount_minor=amount_minor,
                    currency=currency,
                    booking_date=day,
                    end_to_end_id=tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
                    creditor_reference=tx.findtext(
                        "p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref", namespaces=ns
                    ),
                    creditor_name=tx.findtext("p:Cdtr/p:Nm", namespaces=ns),
                    creditor_iban=tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
                    bank_reference=f"{reference_prefix}-{len(out) + 1:06d}",
                )
            )
    return out


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{CAMT053_NAMESPACE}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _dated(parent: etree._Element, tag: str, day: date) -> None:
    _sub(_sub(parent, tag), "Dt", day.isoformat())


def write_camt053(
    account_iban: str,
    currency: str,
    payments: Iterable[BookedPayment],
    *,
    statement_date: date,
    opening_minor: int = 0,
    message_id: str = "STMT-1",
    created_at: datetime | None = None,
) -> bytes:
    """A camt.053.001.08 statement of one account with the given debits booked on it."""
    booked: Sequence[BookedPayment] = [p for p in payments if p.debtor_iban == account_iban]
    created = (
        created_at or datetime.combine(statement_date, datetime.min.time(), tzinfo=UTC)
    ).replace(microsecond=0)
    root = etree.Element(f"{{{CAMT053_NAMESPACE}}}Document", nsmap={None: CAMT053_NAMESPACE})
    body = _sub(root, "BkToCstmrStmt")
    header = _sub(body, "GrpHdr")
    _sub(header, "MsgId", message_id[:35])
    _sub(header, "CreDtTm", created.isoformat())
    stmt = _sub(body, "Stmt")
    _sub(stmt, "Id", f"{message_id[:30]}-1")
    _sub(stmt, "CreDtTm", created.isoformat())
    account = _sub(stmt, "Acct")
    _sub(_sub(account, "Id"), "IBAN", account_iban)
    _sub(account, "Ccy", currency)
    closing = opening_minor - sum(p.amount_minor for p in booked)
    for code, value in (("OPBD", opening_minor), ("CLBD", closing)):
        balance = _sub(stmt, "Bal")
        _sub(_sub(_sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
        _sub(balance, "Amt", format_minor(abs(value), currency), Ccy=currency)
        _sub(balance, "CdtDbtInd", "CRDT" if value >= 0 else "DBIT")
        _dated(balance, "Dt", statement_date)
    for payment in booked:
        entry = _sub(stmt, "Ntry")
        _sub(
            entry, "Amt", format_minor(payment.amount_minor, payment.currency), Ccy=payment.currency
        )
        _sub(entry, "CdtDbtInd", "DBIT")
        _sub(_sub(entry, "Sts"), "Cd", "BOOK")
        _dated(entry, "BookgDt", payment.booking_date)
        _dated(entry, "ValDt", payment.booking_date)
        _sub(entry, "AcctSvcrRef", payment.bank_reference)
        domain = _sub(_sub(entry, "BkTxCd"), "Domn")
        _sub(domain, "Cd", "PMNT")
        family = _sub(domain, "Fmly")
        _sub(family, "Cd", "ICDT")
        _sub(family, "SubFmlyCd", "ESCT")
        tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
        refs = _sub(tx, "Refs")
        _sub(refs, "AcctSvcrRef", payment.bank_reference)
        _sub(refs, "EndToEndId", payment.end_to_end_id or "NOTPROVIDED")
        _sub(tx, "Amt", format_minor(payment.amount_minor, payment.currency), Ccy=payment.currency)
        _sub(tx, "CdtDbtInd", "DBIT")
        if payment.creditor_name or payment.creditor_iban:
            parties = _sub(tx, "RltdPties")
            if payment.creditor_name:
                _sub(_sub(_sub(parties, "Cdtr"), "Pty"), "Nm", payment.creditor_name)
            if payment.creditor_iban:
                _sub(_sub(_sub(parties, "CdtrAcct"), "Id"), "IBAN", payment.creditor_iban)
        if payment.creditor_reference:
            reference = _sub(_sub(_sub(tx, "RmtInf"), "Strd"), "CdtrRefInf")
            kind = _sub(reference, "Tp")
            _sub(_sub(kind, "CdOrPrtry"), "Cd", "SCOR")
            _sub(kind, "Issr", "ISO")
            _sub(reference, "Ref", payment.creditor_reference)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
