"""UBL 2.1 Invoice and CreditNote to `NormalisedInvoice`."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from lxml import etree

from openscf.documents.errors import (
    InvalidValueError,
    MissingElementError,
    UnknownDocumentTypeError,
)
from openscf.documents.invoice import InvoiceLine, NormalisedInvoice, Party, PartyId
from openscf.documents.xml import (
    amount_minor_at,
    decimal_at,
    element_path,
    party_id_at,
    text_of,
)

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

ROOTS = {
    f"{{{NS_INVOICE}}}Invoice": "invoice",
    f"{{{NS_CREDIT_NOTE}}}CreditNote": "credit_note",
}

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


@lru_cache(maxsize=512)
def cac(name: str) -> str:
    return f"{{{NS_CAC}}}{name}"


@lru_cache(maxsize=512)
def cbc(name: str) -> str:
    return f"{{{NS_CBC}}}{name}"


@lru_cache(maxsize=1024)
def path(*names: str) -> str:
    """A Clark-notation path for `find`: `path("cac:Party", "cbc:Name")`."""
    out = []
    for n in names:
        prefix, local = n.split(":")
        out.append(cac(local) if prefix == "cac" else cbc(local))
    return "/".join(out)


def _date(text: str | None, source: str, el: etree._Element | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidValueError(
            f"{text!r} is not a date (YYYY-MM-DD)",
            source=source,
            line=el.sourceline if el is not None else None,
            element=element_path(el) if el is not None else None,
        ) from None


def parse_party(party: etree._Element | None) -> Party:
    """A UBL `cac:Party` (of an invoice, order or despatch advice) as a `Party`."""
    if party is None:
        return Party(name="")
    name = text_of(party.find(path("cac:PartyLegalEntity", "cbc:RegistrationName"))) or text_of(
        party.find(path("cac:PartyName", "cbc:Name"))
    )
    ids = tuple(
        PartyId(value=v, scheme=e.get("schemeID"))
        for e in party.iterfind(path("cac:PartyIdentification", "cbc:ID"))
        if (v := text_of(e))
    )
    vat_id = None
    for pts in party.iterfind(cac("PartyTaxScheme")):
        if (text_of(pts.find(path("cac:TaxScheme", "cbc:ID"))) or "").upper() == "VAT":
            vat_id = text_of(pts.find(cbc("CompanyID")))
            break
    return Party(
        name=name or "",
        ids=ids,
        vat_id=vat_id,
        country=text_of(
            party.find(path("cac:PostalAddress", "cac:Country", "cbc:IdentificationCode"))
        ),
        legal_id=party_id_at(party.find(path("cac:PartyLegalEntity", "cbc:CompanyID"))),
        endpoint_id=party_id_at(party.find(cbc("EndpointID"))),
    )


# Shared with the other syntax: amounts and decimals read the same way.
_minor = amount_minor_at
_decimal = decimal_at


def parse_ubl(root: etree._Element, source: str = "<bytes>") -> NormalisedInvoice:
    """Read a UBL 2.1 Invoice or CreditNote element into a `NormalisedInvoice`."""
    kind = ROOTS.get(root.tag)
    if kind is None:
        raise UnknownDocumentTypeError(
            f"root element {root.tag} is not a UBL 2.1 Invoice or CreditNote", source=source
        )
    is_cn = kind == "credit_note"
    number = text_of(root.find(cbc("ID")))
    if number is None:
        raise MissingElementError(
            "the invoice has no number (cbc:ID)", source=source, element="cbc:ID"
        )
    issue_el = root.find(cbc("IssueDate"))
    issue = _date(text_of(issue_el), source, issue_el)
    if issue is None:
        raise MissingElementError(
            "the invoice has no issue date", source=source, element="cbc:IssueDate"
        )
    currency = text_of(root.find(cbc("DocumentCurrencyCode")))
    if currency is None:
        raise MissingElementError(
            "the invoice has no currency (cbc:DocumentCurrencyCode)",
            source=source,
            element="cbc:DocumentCurrencyCode",
        )
    due_el = root.find(cbc("DueDate"))
    if due_el is None:
        due_el = root.find(path("cac:PaymentMeans", "cbc:PaymentDueDate"))
    due = _date(text_of(due_el), source, due_el)

    totals = root.find(cac("LegalMonetaryTotal"))
    if totals is None:
        raise MissingElementError(
            "the invoice has no document totals", source=source, element="cac:LegalMonetaryTotal"
        )

    def total(name: str, required: bool = False) -> int:
        return _minor(totals.find(cbc(name)), currency, source, required=name if required else None)

    tax_minor = 0
    for tt in root.iterfind(path("cac:TaxTotal", "cbc:TaxAmount")):
        if tt.get("currencyID", currency) == currency:
            tax_minor = _minor(tt, currency, source)
            break

    lines = []
    line_tag = cac("CreditNoteLine") if is_cn else cac("InvoiceLine")
    qty_tag = cbc("CreditedQuantity") if is_cn else cbc("InvoicedQuantity")
    for line in root.iterfind(line_tag):
        qty_el = line.find(qty_tag)
        tax_cat = line.find(path("cac:Item", "cac:ClassifiedTaxCategory"))
        item_id = text_of(
            line.find(path("cac:Item", "cac:SellersItemIdentification", "cbc:ID"))
        ) or text_of(line.find(path("cac:Item", "cac:StandardItemIdentification", "cbc:ID")))
        lines.append(
            InvoiceLine(
                line_id=text_of(line.find(cbc("ID"))) or "",
                description=text_of(line.find(path("cac:Item", "cbc:Name")))
                or text_of(line.find(path("cac:Item", "cbc:Description")))
                or "",
                quantity=_decimal(qty_el, source) or Decimal(0),
                unit_code=qty_el.get("unitCode") if qty_el is not None else None,
                unit_price=_decimal(line.find(path("cac:Price", "cbc:PriceAmount")), source)
                or Decimal(0),
                net_amount_minor=_minor(
                    line.find(cbc("LineExtensionAmount")),
                    currency,
                    source,
                    required="cbc:LineExtensionAmount",
                ),
                vat_category=text_of(tax_cat.find(cbc("ID"))) if tax_cat is not None else None,
                vat_rate=_decimal(tax_cat.find(cbc("Percent")), source)
                if tax_cat is not None
                else None,
                order_line_ref=text_of(line.find(path("cac:OrderLineReference", "cbc:LineID"))),
                item_id=item_id,
            )
        )

    iban = bic = None
    for account in root.iterfind(path("cac:PaymentMeans", "cac:PayeeFinancialAccount")):
        acc = (text_of(account.find(cbc("ID"))) or "").replace(" ", "").upper()
        if _IBAN.match(acc):
            iban = acc
            bic = text_of(account.find(path("cac:FinancialInstitutionBranch", "cbc:ID")))
            break

    type_code = text_of(root.find(cbc("CreditNoteTypeCode" if is_cn else "InvoiceTypeCode")))
    return NormalisedInvoice(
        kind="credit_note" if is_cn else "invoice",
        syntax="ubl",
        number=number,
        issue_date=issue,
        due_date=due,
        currency=currency,
        seller=parse_party(root.find(path("cac:AccountingSupplierParty", "cac:Party"))),
        buyer=parse_party(root.find(path("cac:AccountingCustomerParty", "cac:Party"))),
        line_total_minor=total("LineExtensionAmount", True),
        tax_exclusive_minor=total("TaxExclusiveAmount", True),
        tax_minor=tax_minor,
        tax_inclusive_minor=total("TaxInclusiveAmount", True),
        payable_minor=total("PayableAmount", True),
        lines=tuple(lines),
        order_ref=text_of(root.find(path("cac:OrderReference", "cbc:ID"))),
        despatch_ref=text_of(root.find(path("cac:DespatchDocumentReference", "cbc:ID"))),
        payment_iban=iban,
        payment_bic=bic,
        type_code=type_code,
        allowance_total_minor=total("AllowanceTotalAmount"),
        charge_total_minor=total("ChargeTotalAmount"),
        prepaid_minor=total("PrepaidAmount"),
        rounding_minor=total("PayableRoundingAmount"),
        buyer_reference=text_of(root.find(cbc("BuyerReference"))),
        preceding_invoice_refs=tuple(
            t
            for e in root.iterfind(
                path("cac:BillingReference", "cac:InvoiceDocumentReference", "cbc:ID")
            )
            if (t := text_of(e))
        ),
    )
