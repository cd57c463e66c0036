"""pain.001.001.09 credit transfer initiation: grouping, sums, validation, schema, speed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from openscf.documents.errors import DocumentError
from openscf.documents.iban import create_rf_reference
from openscf.documents.pain001 import (
    PAIN001_NAMESPACE,
    PaymentInstruction,
    build_pain001,
    validate_instructions,
)

from ..conftest import conformance_file

NS = {"p": PAIN001_NAMESPACE}
CREATED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

ANCHOR_IBAN = "CH2909000000250094239"
FUNDER_IBAN = "DE89370400440532013000"


@pytest.fixture(scope="module")
def pain001_schema() -> etree.XMLSchema:
    xsd = conformance_file("iso20022/xsd/pain.001.001.09.xsd")
    return etree.XMLSchema(etree.parse(str(xsd)))


def instruction(n: int, **changes: object) -> PaymentInstruction:
    base = PaymentInstruction(
        instruction_id=f"RCV-{n:05d}",
        debtor_name="Anchor AG",
        debtor_iban=ANCHOR_IBAN,
        debtor_bic="POFICHBEXXX",
        creditor_name=f"Supplier {n}",
        creditor_iban="GB29NWBK60161331926819",
        creditor_bic="NWBKGB2L",
        amount_minor=10_000 + n,
        currency="EUR",
        value_date=date(2025, 3, 3),
        creditor_reference=None,
        remittance_text=f"Settlement of receivable {n}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def build(instructions: list[PaymentInstruction]) -> etree._Element:
    xml = build_pain001(
        instructions, message_id="MSG-2025-03-01", created_at=CREATED, initiating_party="OpenSCF"
    )
    return etree.fromstring(xml)


def test_a_mixed_batch_is_valid_against_the_pain_001_001_09_schema(pain001_schema):
    instructions = [
        instruction(1, creditor_reference=create_rf_reference("INV1001")),
        instruction(2, creditor_bic=None, remittance_text=None),
        instruction(3, currency="JPY", amount_minor=150_000),
        instruction(4, debtor_iban=FUNDER_IBAN, debtor_bic="DEUTDEFFXXX", debtor_name="Funder"),
        instruction(5, value_date=date(2025, 3, 4), remittance_text="Tom & Jerry <Ltd>"),
    ]
    doc = build(instructions)
    assert pain001_schema.validate(doc), pain001_schema.error_log


def test_instructions_are_grouped_by_debtor_account_and_value_date_with_correct_sums():
    instructions = [
        instruction(1, amount_minor=100),
        instruction(2, debtor_iban=FUNDER_IBAN, debtor_bic="DEUTDEFFXXX", amount_minor=250),
        instruction(3, amount_minor=1_000),
        instruction(4, value_date=date(2025, 3, 5), amount_minor=7),
    ]
    doc = build(instructions)
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "4"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "13.57"
    blocks = doc.findall("p:CstmrCdtTrfInitn/p:PmtInf", namespaces=NS)
    summary = [
        (
            b.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
            b.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS),
            b.findtext("p:NbOfTxs", namespaces=NS),
            b.findtext("p:CtrlSum", namespaces=NS),
            [e.text for e in b.iterfind("p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=NS)],
        )
        for b in blocks
    ]
    assert summary == [
        (ANCHOR_IBAN, "2025-03-03", "2", "11.00", ["RCV-00001", "RCV-00003"]),
        (ANCHOR_IBAN, "2025-03-05", "1", "0.07", ["RCV-00004"]),
        (FUNDER_IBAN, "2025-03-03", "1", "2.50", ["RCV-00002"]),
    ]
    ids = [b.findtext("p:PmtInfId", namespaces=NS) for b in blocks]
    assert len(set(ids)) == 3


def test_amounts_follow_the_currency_exponent_and_the_control_sum_adds_them_exactly():
    doc = build(
        [
            instruction(1, currency="JPY", amount_minor=1234),
            instruction(2, currency="KWD", amount_minor=1),
            instruction(3, currency="EUR", amount_minor=5),
        ]
    )
    amounts = [(e.get("Ccy"), e.text) for e in doc.iterfind(".//p:InstdAmt", namespaces=NS)]
    assert amounts == [("JPY", "1234"), ("KWD", "0.001"), ("EUR", "0.05")]
    ctrl = doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS)
    assert Decimal(ctrl) == Decimal("1234.051")


def test_the_rf_reference_is_written_as_structured_scor_remittance_and_text_is_escaped():
    ref = create_rf_reference("INV1001")
    doc = build([instruction(1, creditor_reference=ref, remittance_text="A & B <C>")])
    tx = doc.find(".//p:CdtTrfTxInf", namespaces=NS)
    assert tx is not None
    assert tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == "A & B <C>"
    assert tx.findtext("p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref", namespaces=NS) == ref
    assert tx.findtext("p:RmtInf/p:Strd/p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Cd", namespaces=NS) == (
        "SCOR"
    )


def test_an_invalid_creditor_iban_stops_the_build_and_names_the_instruction():
    bad = instruction(2, creditor_iban="GB29NWBK60161331926810")
    with pytest.raises(DocumentError) as caught:
        build([instruction(1), bad])
    assert caught.value.code == "invalid_iban"
    assert caught.value.element == "instructions[1] (RCV-00002).creditor_iban"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"debtor_bic": "POFI1HBE"}, "invalid_bic"),
        ({"creditor_reference": "RF00539007547034"}, "invalid_creditor_reference"),
        ({"amount_minor": 0}, "invalid_amount"),
        ({"amount_minor": -5}, "invalid_amount"),
        ({"currency": "EURO"}, "invalid_currency"),
        ({"creditor_name": "x" * 141}, "text_too_long"),
        ({"remittance_text": "line\nbreak"}, "invalid_characters"),
        ({"instruction_id": "has space"}, "invalid_instruction_id"),
        ({"instruction_id": "X" * 36}, "invalid_instruction_id"),
    ],
)
def test_a_bad_instruction_field_is_refused_with_its_code(changes, code):
    with pytest.raises(DocumentError) as caught:
        build([instruction(1, **changes)])
    assert caught.value.code == code


def test_two_instructions_with_the_same_id_are_refused():
    with pytest.raises(DocumentError) as caught:
        build([instruction(1), instruction(2, instruction_id="RCV-00001")])
    assert caught.value.code == "duplicate_instruction_id"


def test_one_debtor_account_with_two_debtor_names_on_one_day_is_refused():
    with pytest.raises(DocumentError) as caught:
        build([instruction(1), instruction(2, debtor_name="Someone Else")])
    assert caught.value.code == "inconsistent_debtor"


def test_a_file_needs_instructions_an_aware_timestamp_and_a_message_id():
    with pytest.raises(DocumentError):
        build([])
    with pytest.raises(DocumentError) as naive:
        build_pain001(
            [instruction(1)],
            message_id="M1",
            created_at=datetime(2025, 1, 1),
            initiating_party="OpenSCF",
        )
    assert naive.value.code == "invalid_timestamp"
    with pytest.raises(DocumentError) as bad_id:
        build_pain001(
            [instruction(1)], message_id="", created_at=CREATED, initiating_party="OpenSCF"
        )
    assert bad_id.value.code == "invalid_message_id"


def test_validate_instructions_lists_every_bad_instruction():
    errors = validate_instructions(
        [
            instruction(1, creditor_iban="nope"),
            instruction(2),
            instruction(3, amount_minor=0),
            instruction(4, instruction_id="RCV-00002"),
        ]
    )
    assert [e.code for e in errors] == [
        "invalid_iban",
        "invalid_amount",
        "duplicate_instruction_id",
    ]


def test_one_hundred_thousand_instructions_make_one_complete_file():
    # The time it takes is measured by bench/documents_pain001.py, not asserted here.
    creditors = [
        "GB29NWBK60161331926819",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
    ]
    many = [
        instruction(
            n,
            instruction_id=f"RCV-{n:07d}",
            creditor_iban=creditors[n % 4],
            value_date=date(2025, 3, 3 + n % 3),
        )
        for n in range(100_000)
    ]
    xml = build_pain001(many, message_id="MSG-BIG", created_at=CREATED, initiating_party="OpenSCF")
    assert xml.count(b"<CdtTrfTxInf>") == 100_000
