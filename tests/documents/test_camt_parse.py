"""camt.053 / camt.054 parsing: real bank files (.02, .04) and generated .08 statements."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from openscf.documents.camt import parse_camt
from openscf.documents.errors import DocumentError

from ..conftest import conformance_file

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTFINANCE_053 = "camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml"
POSTFINANCE_054 = "200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml"
FI_053 = "FI_camt_053_sample.xml.xml"
FI_054 = "FI_camt_054_sample.xml.xml"


def sample(name: str) -> bytes:
    return conformance_file(f"iso20022/samples/{name}").read_bytes()


def test_the_postfinance_camt_053_v04_statement_gives_its_account_and_five_entries():
    message = parse_camt(sample(POSTFINANCE_053), POSTFINANCE_053)
    assert (message.message_type, message.version) == ("camt.053", "001.04")
    assert message.message_id == "20201124375204229003967"
    assert message.created_at == datetime(2020, 11, 25, 2, 2, 16)
    (statement,) = message.reports
    assert statement.kind == "statement"
    assert statement.report_id == "20201124375204229003973"
    assert statement.account_iban == "CH2909000000250094239"
    assert [(e.amount_minor, e.currency, e.credit_debit) for e in statement.entries] == [
        (450, "CHF", "credit"),
        (7770, "CHF", "debit"),
        (150000, "CHF", "credit"),
        (153700, "CHF", "credit"),
        (169222, "CHF", "credit"),
    ]
    first, _, _, fourth, _ = statement.entries
    assert first.status == "BOOK" and not first.reversal
    assert first.entry_ref == "41100000000872849"
    assert first.account_servicer_ref == "0758103031480900"
    assert first.bank_transaction_code == "PMNT/IDDT/PMDD"
    assert (fourth.booking_date, fourth.value_date) == (date(2020, 11, 24), date(2020, 11, 25))
    assert (
        fourth.additional_info is not None and "KUNDENNUMMER 01-429580-3" in fourth.additional_info
    )


def test_a_transaction_keeps_its_own_credit_debit_indicator_even_when_it_differs():
    # In the PostFinance file the 77.70 entry is a debit whose transaction says CRDT.
    statement = parse_camt(sample(POSTFINANCE_053)).reports[0]
    entry = statement.entries[1]
    (tx,) = entry.transactions
    assert (entry.credit_debit, tx.credit_debit, tx.amount_minor) == ("debit", "credit", 7770)
    assert tx.account_servicer_ref == "0758103031480977"


def test_the_postfinance_camt_054_v04_notification_gives_its_single_credit():
    message = parse_camt(sample(POSTFINANCE_054))
    assert (message.message_type, message.version) == ("camt.054", "001.04")
    (notification,) = message.reports
    assert notification.kind == "notification"
    assert notification.report_id == "20190424375204223076553"
    assert notification.account_iban == "CH2909000000250094239"
    (entry,) = notification.entries
    assert (entry.amount_minor, entry.currency, entry.credit_debit) == (150000, "CHF", "credit")
    assert (entry.booking_date, entry.value_date) == (date(2019, 4, 24), date(2019, 4, 25))


def test_the_finnish_camt_053_v02_entries_add_up_to_its_transaction_summary():
    message = parse_camt(sample(FI_053))
    assert (message.message_type, message.version) == ("camt.053", "001.02")
    assert message.created_at == datetime(
        2009, 10, 30, 3, 30, 47, tzinfo=timezone(timedelta(hours=2))
    )
    (statement,) = message.reports
    assert (statement.report_id, statement.account_iban, statement.account_currency) == (
        "BANKSTMTID0972009",
        "FI7433010001222090",
        "EUR",
    )
    credits = [e.amount_minor for e in statement.entries if e.credit_debit == "credit"]
    debits = [e.amount_minor for e in statement.entries if e.credit_debit == "debit"]
    # TxsSummry in the file: 6 credits for 23075.00, 4 debits for 9430.17.
    assert (len(credits), sum(credits)) == (6, 2_307_500)
    assert (len(debits), sum(debits)) == (4, 943_017)


def test_the_finnish_v02_batch_entry_gives_each_transaction_with_amount_and_creditor():
    statement = parse_camt(sample(FI_053)).reports[0]
    batch = statement.entries[2]
    assert batch.amount_minor == 423005
    assert [t.amount_minor for t in batch.transactions] == [200002, 100001, 123002]
    assert sum(t.amount_minor or 0 for t in batch.transactions) == batch.amount_minor
    first, second, _ = batch.transactions
    assert first.instruction_id == "TITOT1106ID01"
    assert first.creditor_reference == "3900"
    assert first.counterparty is not None
    assert first.counterparty.name == "Creditor Company"
    assert first.counterparty.account_id == "29501800020582"
    assert second.remittance_info == ("Invoices 123 and 321",)


def test_the_finnish_v02_incoming_sepa_transfer_gives_end_to_end_id_reference_and_payer():
    entry = parse_camt(sample(FI_053)).reports[0].entries[8]
    (tx,) = entry.transactions
    assert tx.end_to_end_id == "EndToEndIdSCT01"
    assert tx.creditor_reference == "RF98123456789012"
    assert tx.counterparty is not None
    assert (tx.counterparty.name, tx.counterparty.bic) == ("DEBTOR", "NDEAFIHH")
    assert tx.amount_minor == 1_000_000


def test_the_finnish_camt_054_v02_reads_references_reversals_and_missing_value_dates():
    message = parse_camt(sample(FI_054))
    assert (message.message_type, message.version) == ("camt.054", "001.02")
    (notification,) = message.reports
    assert notification.report_id == "BANKFILEID00001NTR00001"
    sct = notification.entries[2]
    assert [t.end_to_end_id for t in sct.transactions] == [
        "EndToEndIdAT-41-001",
        "EndToEndIdAT-41-002",
    ]
    first = sct.transactions[0]
    assert first.creditor_references == ("RF7812345", "RF0812344")
    assert first.creditor_reference == "RF7812345"
    assert first.amount_minor == 250000
    outgoing = notification.entries[4]
    assert outgoing.value_date is None and outgoing.booking_date == date(2009, 10, 30)
    assert outgoing.transactions[0].counterparty is not None
    assert outgoing.transactions[0].counterparty.name == "CREDITOR"
    error_entry = notification.entries[5]
    assert (error_entry.status, error_entry.reversal) == ("INFO", True)


@pytest.fixture(scope="module")
def writer():
    from . import test_camt_statement_writer

    return test_camt_statement_writer


def test_a_generated_camt_053_v08_statement_is_schema_valid_and_reads_back(writer):
    data = writer.sample_statement()
    schema = writer.camt053_schema()
    from lxml import etree

    assert schema.validate(etree.fromstring(data)), schema.error_log
    message = parse_camt(data, "generated.xml")
    assert (message.message_type, message.version) == ("camt.053", "001.08")
    (statement,) = message.reports
    assert statement.account_iban == "CH2909000000250094239"
    debit, credit = statement.entries
    assert (debit.amount_minor, debit.credit_debit, debit.status) == (25_050, "debit", "BOOK")
    assert debit.account_servicer_ref == "BANKREF-1"
    (tx,) = debit.transactions
    assert tx.end_to_end_id == "RCV-1"
    assert tx.creditor_reference == "RF18539007547034"
    assert tx.remittance_info == ("Settlement & fees <March>",)
    assert tx.counterparty is not None
    assert tx.counterparty == tx.creditor
    assert (tx.counterparty.name, tx.counterparty.iban, tx.counterparty.bic) == (
        "Supplier AG",
        "DE89370400440532013000",
        "DEUTDEFFXXX",
    )
    assert credit.value_date == date(2025, 3, 6)
    (incoming,) = credit.transactions
    assert incoming.end_to_end_id is None  # NOTPROVIDED
    assert incoming.counterparty is not None and incoming.counterparty.name == "Customer GmbH"


def test_a_document_that_is_not_camt_is_refused_with_its_location():
    with pytest.raises(DocumentError) as caught:
        parse_camt(b'<Document xmlns="urn:x"><CstmrCdtTrfInitn/></Document>', "pain.xml")
    assert caught.value.code == "unknown_document_type"
    assert caught.value.source == "pain.xml"


CAMT = (
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    "<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-01-01T00:00:00</CreDtTm></GrpHdr>"
    "<Stmt><Id>S</Id><Acct><Id><IBAN>CH2909000000250094239</IBAN></Id></Acct>"
    "{entry}</Stmt></BkToCstmrStmt></Document>"
)


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (
            '<Ntry><Amt Ccy="CHF">1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Sts><Cd>BOOK</Cd></Sts></Ntry>",
            "amount_precision",
        ),
        ("<Ntry><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts></Ntry>", "missing_element"),
        (
            '<Ntry><Amt Ccy="CHF">1.00</Amt><CdtDbtInd>XXX</CdtDbtInd>'
            "<Sts><Cd>BOOK</Cd></Sts></Ntry>",
            "invalid_value",
        ),
        (
            '<Ntry><Amt Ccy="CHF">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2025-13-01</Dt></BookgDt></Ntry>",
            "invalid_date",
        ),
    ],
)
def test_a_bad_entry_is_an_error_naming_the_line_and_element(entry, code):
    data = CAMT.format(entry=entry).replace("<Ntry>", "\n<Ntry>").encode()
    with pytest.raises(DocumentError) as caught:
        parse_camt(data, "bad.xml")
    assert caught.value.code == code
    assert (caught.value.source, caught.value.line) == ("bad.xml", 2)
    assert "Ntry" in (caught.value.element or "")


def test_a_statement_with_a_doctype_is_refused():
    with pytest.raises(DocumentError) as caught:
        parse_camt(b'<!DOCTYPE d [<!ENTITY x "y">]>' + CAMT.format(entry="").encode())
    assert caught.value.code == "unsafe_xml"
