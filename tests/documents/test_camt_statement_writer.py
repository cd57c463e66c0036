"""A camt.053.001.08 writer that plays the bank in tests, and checks that it writes valid files.

`write_camt053` writes a statement the way a bank would; `bank_executes` turns a pain.001
file into the statement entries a bank would book for it. Other test modules import this
one (`from . import test_camt_statement_writer as bank`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from lxml import etree

from openscf.documents.pain001 import PAIN001_NAMESPACE
from openscf.domain.money import format_minor, parse_document_amount

from ..conftest import conformance_file

CAMT053_08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053_schema() -> etree.XMLSchema:
    xsd = conformance_file("iso20022/xsd/camt.053.001.08.xsd")
    return etree.XMLSchema(etree.parse(str(xsd)))


@dataclass
class BankTx:
    amount_minor: int
    end_to_end_id: str | None = None
    creditor_reference: str | None = None
    remittance: str | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None


@dataclass
class BankEntry:
    amount_minor: int
    currency: str
    credit_debit: str  # "CRDT" or "DBIT"
    booking_date: date
    value_date: date
    transactions: list[BankTx] = field(default_factory=list)
    status: str = "BOOK"
    reversal: bool = False
    account_servicer_ref: str | None = None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{CAMT053_08}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _dated(parent: etree._Element, tag: str, day: date) -> None:
    _sub(_sub(parent, tag), "Dt", day.isoformat())


def write_camt053(
    *,
    account_iban: str,
    currency: str,
    entries: list[BankEntry],
    opening_minor: int = 0,
    message_id: str = "BANKMSG-1",
    statement_id: str = "STMT-1",
    created_at: datetime = datetime(2025, 3, 6, 2, 0, tzinfo=UTC),
    statement_date: date = date(2025, 3, 5),
) -> bytes:
    """A camt.053.001.08 statement for one account, with opening and closing balances."""
    root = etree.Element(f"{{{CAMT053_08}}}Document", nsmap={None: CAMT053_08})
    body = _sub(root, "BkToCstmrStmt")
    header = _sub(body, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", created_at.isoformat())
    stmt = _sub(body, "Stmt")
    _sub(stmt, "Id", statement_id)
    _sub(stmt, "CreDtTm", created_at.isoformat())
    acct = _sub(stmt, "Acct")
    _sub(_sub(acct, "Id"), "IBAN", account_iban)
    _sub(acct, "Ccy", currency)
    closing = opening_minor + sum(
        (e.amount_minor if e.credit_debit == "CRDT" else -e.amount_minor)
        for e in entries
        if e.status == "BOOK"
    )
    for code, value in (("OPBD", opening_minor), ("CLBD", closing)):
        bal = _sub(stmt, "Bal")
        _sub(_sub(_sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
        _sub(bal, "Amt", format_minor(abs(value), currency), Ccy=currency)
        _sub(bal, "CdtDbtInd", "CRDT" if value >= 0 else "DBIT")
        _dated(bal, "Dt", statement_date)
    for entry in entries:
        ntry = _sub(stmt, "Ntry")
        _sub(ntry, "Amt", format_minor(entry.amount_minor, entry.currency), Ccy=entry.currency)
        _sub(ntry, "CdtDbtInd", entry.credit_debit)
        if entry.reversal:
            _sub(ntry, "RvslInd", "true")
        _sub(_sub(ntry, "Sts"), "Cd", entry.status)
        _dated(ntry, "BookgDt", entry.booking_date)
        _dated(ntry, "ValDt", entry.value_date)
        if entry.account_servicer_ref:
            _sub(ntry, "AcctSvcrRef", entry.account_servicer_ref)
        domain = _sub(_sub(ntry, "BkTxCd"), "Domn")
        _sub(domain, "Cd", "PMNT")
        family = _sub(domain, "Fmly")
        _sub(family, "Cd", "ICDT" if entry.credit_debit == "DBIT" else "RCDT")
        _sub(family, "SubFmlyCd", "ESCT")
        if not entry.transactions:
            continue
        details = _sub(ntry, "NtryDtls")
        for tx in entry.transactions:
            txd = _sub(details, "TxDtls")
            refs = _sub(txd, "Refs")
            _sub(refs, "EndToEndId", tx.end_to_end_id or "NOTPROVIDED")
            _sub(txd, "Amt", format_minor(tx.amount_minor, entry.currency), Ccy=entry.currency)
            _sub(txd, "CdtDbtInd", entry.credit_debit)
            role = "Cdtr" if entry.credit_debit == "DBIT" else "Dbtr"
            if tx.counterparty_name or tx.counterparty_iban:
                parties = _sub(txd, "RltdPties")
                if tx.counterparty_name:
                    _sub(_sub(_sub(parties, role), "Pty"), "Nm", tx.counterparty_name)
                if tx.counterparty_iban:
                    _sub(_sub(_sub(parties, f"{role}Acct"), "Id"), "IBAN", tx.counterparty_iban)
            if tx.counterparty_bic:
                agents = _sub(txd, "RltdAgts")
                _sub(_sub(_sub(agents, f"{role}Agt"), "FinInstnId"), "BICFI", tx.counterparty_bic)
            if tx.remittance or tx.creditor_reference:
                rmt = _sub(txd, "RmtInf")
                if tx.remittance:
                    _sub(rmt, "Ustrd", tx.remittance)
                if tx.creditor_reference:
                    ref = _sub(_sub(rmt, "Strd"), "CdtrRefInf")
                    tp = _sub(ref, "Tp")
                    _sub(_sub(tp, "CdOrPrtry"), "Cd", "SCOR")
                    _sub(tp, "Issr", "ISO")
                    _sub(ref, "Ref", tx.creditor_reference)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def bank_executes(pain001: bytes) -> dict[str, list[BankEntry]]:
    """The debit entries a bank books for a pain.001 file, per debtor IBAN.

    Each transaction becomes one entry on its requested execution date, carrying the
    EndToEndId, the creditor reference, the remittance text and the creditor.
    """
    ns = {"p": PAIN001_NAMESPACE}
    doc = etree.fromstring(pain001)
    booked: dict[str, list[BankEntry]] = {}
    for block in doc.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", ns):
        iban = block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns)
        day = date.fromisoformat(block.findtext("p:ReqdExctnDt/p:Dt", namespaces=ns) or "")
        for tx in block.iterfind("p:CdtTrfTxInf", ns):
            amount_el = tx.find("p:Amt/p:InstdAmt", ns)
            assert amount_el is not None and iban is not None
            ccy = amount_el.get("Ccy") or ""
            minor = parse_document_amount(amount_el.text or "", ccy)
            booked.setdefault(iban, []).append(
                BankEntry(
                    amount_minor=minor,
                    currency=ccy,
                    credit_debit="DBIT",
                    booking_date=day,
                    value_date=day,
                    transactions=[
                        BankTx(
                            amount_minor=minor,
                            end_to_end_id=tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns),
                            creditor_reference=tx.findtext(
                                "p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref", namespaces=ns
                            ),
                            remittance=tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns),
                            counterparty_name=tx.findtext("p:Cdtr/p:Nm", namespaces=ns),
                            counterparty_iban=tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
                            counterparty_bic=tx.findtext(
                                "p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=ns
                            ),
                        )
                    ],
                )
            )
    return booked


def sample_statement() -> bytes:
    return write_camt053(
        account_iban="CH2909000000250094239",
        currency="CHF",
        opening_minor=1_000_000,
        entries=[
            BankEntry(
                amount_minor=25_050,
                currency="CHF",
                credit_debit="DBIT",
                booking_date=date(2025, 3, 5),
                value_date=date(2025, 3, 5),
                account_servicer_ref="BANKREF-1",
                transactions=[
                    BankTx(
                        25_050,
                        end_to_end_id="RCV-1",
                        creditor_reference="RF18539007547034",
                        remittance="Settlement & fees <March>",
                        counterparty_name="Supplier AG",
                        counterparty_iban="DE89370400440532013000",
                        counterparty_bic="DEUTDEFFXXX",
                    )
                ],
            ),
            BankEntry(
                amount_minor=5_000,
                currency="CHF",
                credit_debit="CRDT",
                booking_date=date(2025, 3, 5),
                value_date=date(2025, 3, 6),
                transactions=[BankTx(5_000, counterparty_name="Customer GmbH")],
            ),
        ],
    )


def test_the_test_bank_writes_statements_valid_against_the_camt_053_001_08_schema():
    schema = camt053_schema()
    doc = etree.fromstring(sample_statement())
    assert schema.validate(doc), schema.error_log


def test_the_closing_balance_is_the_opening_balance_plus_booked_entries():
    ns = {"c": CAMT053_08}
    doc = etree.fromstring(sample_statement())
    balances = {
        b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns): b.findtext("c:Amt", namespaces=ns)
        for b in doc.iterfind(".//c:Bal", ns)
    }
    assert balances == {"OPBD": "10000.00", "CLBD": "9799.50"}
