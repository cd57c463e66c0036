"""Which documents Peppol's rules bind, and the Peppol rules whose behaviour changed since
the pinned stylesheet's release, checked natively in their current form."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from openscf.documents.peppol_rules import (
    check_changed_rules,
    danish_cvr_ok,
    peppol_binding,
    swedish_organisation_number_ok,
)
from openscf.documents.validation import validate_invoice

from .test_en16931_examples import NS, mutate, remove, set_text

PEPPOL_BASE = "peppol-bis3/examples/base-example.xml"
MISTYPED = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.1"


def _root(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _base(einvoice: Path, *mutations) -> etree._Element:  # type: ignore[no-untyped-def]
    return _root(mutate((einvoice / PEPPOL_BASE).read_bytes(), *mutations))


def _set_attr(expr: str, name: str, value: str):  # type: ignore[no-untyped-def]
    def apply(root: etree._Element) -> None:
        for el in root.xpath(expr, namespaces=NS):
            el.set(name, value)

    return apply


def _set_all(expr: str, value: str):  # type: ignore[no-untyped-def]
    def apply(root: etree._Element) -> None:
        for el in root.xpath(expr, namespaces=NS):
            el.text = value

    return apply


def _ids(root: etree._Element) -> set[str]:
    return {f.rule_id for f in check_changed_rules(root)}


# --- which documents are bound -------------------------------------------------------------


def test_a_document_declaring_peppol_bis3_is_bound(einvoice: Path) -> None:
    assert peppol_binding(_base(einvoice))[0]


def test_a_mistyped_peppol_customization_id_is_still_bound(einvoice: Path) -> None:
    bound, why = peppol_binding(_base(einvoice, set_text("/*/cbc:CustomizationID", MISTYPED)))
    assert bound and "peppol.eu" in why


def test_a_missing_customization_id_with_a_peppol_process_is_bound(einvoice: Path) -> None:
    bound, why = peppol_binding(_base(einvoice, remove("/*/cbc:CustomizationID")))
    assert bound and "business process" in why


def test_peppol_participant_ids_alone_bind_a_document_with_an_unknown_claim(
    einvoice: Path,
) -> None:
    root = _base(
        einvoice,
        set_text("/*/cbc:CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:fdc:pepol"),
        remove("/*/cbc:ProfileID"),
    )
    bound, why = peppol_binding(root)
    assert bound and "participant identifiers" in why
    # Without Peppol addresses nothing says Peppol.
    email = _set_attr("//cac:Party/cbc:EndpointID", "schemeID", "EM")
    apply = _base(
        einvoice,
        set_text("/*/cbc:CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:fdc:pepol"),
        remove("/*/cbc:ProfileID"),
        email,
    )
    assert not peppol_binding(apply)[0]


def test_a_document_claiming_en16931_alone_or_another_cius_is_not_bound(einvoice: Path) -> None:
    for claim in (
        "urn:cen.eu:en16931:2017",
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    ):
        bound, why = peppol_binding(_base(einvoice, set_text("/*/cbc:CustomizationID", claim)))
        assert not bound and claim in why


def test_the_peppol_stage_runs_for_a_mistyped_id_and_r004_names_it(
    einvoice: Path, peppol_dir: Path
) -> None:
    data = mutate(
        (einvoice / PEPPOL_BASE).read_bytes(), set_text("/*/cbc:CustomizationID", MISTYPED)
    )
    report = validate_invoice(data, data_dir=peppol_dir, stages=("peppol",))
    assert report.stages_run == ("peppol",)
    assert "PEPPOL-EN16931-R004" in report.rule_ids() and not report.valid


def test_the_peppol_stage_runs_without_a_customization_id(einvoice: Path, peppol_dir: Path) -> None:
    data = mutate((einvoice / PEPPOL_BASE).read_bytes(), remove("/*/cbc:CustomizationID"))
    report = validate_invoice(data, data_dir=peppol_dir)
    assert "peppol" in report.stages_run and not report.valid


# --- the changed rules, known answers ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [("12345678", True), ("DK12345678", True), ("1234567", False), ("DK1234567X", False)],
)
def test_a_danish_cvr_is_8_digits_with_or_without_dk(value: str, ok: bool) -> None:
    assert danish_cvr_ok(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("5560360793", True),  # Saab AB, 556036-0793
        ("5560125790", True),  # AB Volvo, 556012-5790
        ("5560360794", False),  # check digit off by one
        ("556036079", False),
        ("55603607930", False),
        ("556036-079", False),
    ],
)
def test_a_swedish_organisation_number_carries_its_luhn_check_digit(value: str, ok: bool) -> None:
    assert swedish_organisation_number_ok(value) is ok


def test_the_changed_rules_pass_the_peppol_base_example(einvoice: Path) -> None:
    assert _ids(_base(einvoice)) == set()


def test_an_8_digit_danish_cvr_passes_and_a_7_digit_one_fails_r042(einvoice: Path) -> None:
    buyer_id = "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"
    good = _base(einvoice, _set_attr(buyer_id, "schemeID", "0184"), set_text(buyer_id, "12345678"))
    assert _ids(good) == set()
    bad = _base(einvoice, _set_attr(buyer_id, "schemeID", "0184"), set_text(buyer_id, "1234567"))
    assert _ids(bad) == {"PEPPOL-COMMON-R042"}


def test_a_swedish_number_with_a_wrong_check_digit_fails_r049(einvoice: Path) -> None:
    seller_id = "/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"
    good = _base(
        einvoice, _set_attr(seller_id, "schemeID", "0007"), set_text(seller_id, "5560360793")
    )
    assert _ids(good) == set()
    bad = _base(
        einvoice, _set_attr(seller_id, "schemeID", "0007"), set_text(seller_id, "5560360794")
    )
    assert _ids(bad) == {"PEPPOL-COMMON-R049"}


def test_an_amount_in_another_currency_fails_r051_but_the_accounting_vat_total_may(
    einvoice: Path,
) -> None:
    bad = _base(
        einvoice, _set_attr("/*/cac:LegalMonetaryTotal/cbc:PayableAmount", "currencyID", "SEK")
    )
    assert _ids(bad) == {"PEPPOL-EN16931-R051"}
    root = _base(einvoice)
    accounting = etree.SubElement(root, f"{{{NS['cac']}}}TaxTotal")
    amount = etree.SubElement(accounting, f"{{{NS['cbc']}}}TaxAmount", currencyID="SEK")
    amount.text = "100.00"
    assert _ids(root) == set()


def test_type_codes_326_and_384_need_a_german_seller_and_buyer_p0112(einvoice: Path) -> None:
    code = "/*/cbc:InvoiceTypeCode"
    root = _base(einvoice, set_text(code, "384"))
    assert "PEPPOL-EN16931-P0112" in _ids(root)
    german = _base(
        einvoice,
        set_text(code, "326"),
        _set_all("//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID", "DE123456789"),
        _set_all("//cac:PostalAddress/cac:Country/cbc:IdentificationCode", "DE"),
    )
    assert "PEPPOL-EN16931-P0112" not in _ids(german)
