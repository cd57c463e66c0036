"""An unknown currency is refused wherever a document's money is read or written, never read
as if it had two decimals: every reader and writer asks `openscf.domain.money`, which
holds the one table of currencies (tests/domain/test_money.py refuses it there)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from openscf.documents.camt import parse_camt
from openscf.documents.errors import DocumentError
from openscf.documents.order import parse_order
from openscf.documents.pain001 import PaymentInstruction, build_pain001
from openscf.documents.parse import parse_invoice
from openscf.documents.payables_csv import parse_payables_csv
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import CURRENCY_EXPONENTS

from ..conftest import conformance_file

UNKNOWN = "XYZ"  # well formed, three capitals, and in no table


def setup_module() -> None:
    assert UNKNOWN not in CURRENCY_EXPONENTS


def _refused(read: object) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read()  # type: ignore[operator]
    assert caught.value.code == "invalid_currency", caught.value
    assert f"'{UNKNOWN}'" in caught.value.message
    return caught.value


def test_a_cii_invoice_in_an_unknown_currency_is_refused() -> None:
    data = conformance_file("einvoice/en16931/cii/examples/CII_example1.xml").read_bytes()
    assert b">EUR<" in data
    data = data.replace(b">EUR<", f">{UNKNOWN}<".encode()).replace(
        b'"EUR"', f'"{UNKNOWN}"'.encode()
    )
    _refused(lambda: parse_invoice(data, "cii.xml"))


def test_an_order_in_an_unknown_currency_is_refused() -> None:
    data = conformance_file("einvoice/peppol-poacc3/Order_Example.xml").read_bytes()
    assert b'"NOK"' in data
    data = data.replace(b">NOK<", f">{UNKNOWN}<".encode()).replace(
        b'"NOK"', f'"{UNKNOWN}"'.encode()
    )
    _refused(lambda: parse_order(data, "order.xml"))


def test_a_bank_statement_entry_in_an_unknown_currency_is_refused() -> None:
    data = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-01-01T00:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>S</Id><Acct><Id><IBAN>CH2909000000250094239</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="{UNKNOWN}">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        "<Sts><Cd>BOOK</Cd></Sts></Ntry></Stmt></BkToCstmrStmt></Document>"
    ).encode()
    error = _refused(lambda: parse_camt(data, "camt.xml"))
    assert error.source == "camt.xml"


def test_a_payables_row_in_an_unknown_currency_is_a_row_error() -> None:
    data = (
        "invoice_number,invoice_date,due_date,currency,amount,supplier_id,order_number,"
        f"disputed\nINV-1,2025-01-15,2025-03-16,{UNKNOWN},12500.00,SUP-001,,false\n"
    )
    result = parse_payables_csv(data.encode(), source="payables.csv")
    assert [(e.line, e.element, e.code) for e in result.errors] == [
        (2, "currency", "invalid_currency")
    ]
    assert not result.ok


def test_a_payment_file_in_an_unknown_currency_is_not_built() -> None:
    instruction = PaymentInstruction(
        instruction_id="RCV-00001",
        debtor_name="Anchor AG",
        debtor_iban="CH2909000000250094239",
        debtor_bic="POFICHBEXXX",
        creditor_name="Supplier",
        creditor_iban="GB29NWBK60161331926819",
        creditor_bic="NWBKGB2L",
        amount_minor=10_000,
        currency="EUR",
        value_date=date(2025, 3, 3),
        creditor_reference=None,
        remittance_text="receivable 1",
    )
    build_pain001(
        [instruction],
        message_id="MSG-1",
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        initiating_party="OpenSCF",
    )
    unknown = replace(instruction, currency=UNKNOWN)
    _refused(
        lambda: build_pain001(
            [unknown],
            message_id="MSG-1",
            created_at=datetime(2025, 3, 1, tzinfo=UTC),
            initiating_party="OpenSCF",
        )
    )


def test_a_document_error_is_the_callers_invalid_request() -> None:
    # The one tree: a refused document is an InvalidRequest (400), never the system's.
    error = DocumentError("bad", code="invalid_currency")
    assert isinstance(error, InvalidRequest) and error.fault == "caller"
    assert (error.code, error.message, error.param) == ("invalid_currency", "bad", None)
