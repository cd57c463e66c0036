"""UN/CEFACT Cross Industry Invoice (D16B, EN 16931 subset) to `NormalisedInvoice`."""

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

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

ROOT = f"{{{NS_RSM}}}CrossIndustryInvoice"

# UNTDID 1001 document types that are credit notes in EN 16931.
CREDIT_NOTE_TYPES = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_PREFIX = {"rsm": NS_RSM, "ram": NS_RAM, "udt": NS_UDT, "qdt": NS_QDT}


@lru_cache(maxsize=1024)
def path(*names: str) -> str:
    """A Clark-notation path for `find`: `path("ram:SellerTradeParty", "ram:Name")`."""
    out = []
    for n in names:
        prefix, local = n.split(":")
        out.append(f"{{{_PREFIX[prefix]}}}{local}")
    return "/".join(out)


def parse_cii_date(text: str | None, fmt: str | None = "102") -> date | None:
    """A udt:DateTimeString of format 102 (CCYYMMDD) as a date."""
    if text is None:
        return None
    t = text.strip()
    if fmt not in (None, "102") or len(t) != 8 or not t.isdigit():
        raise InvalidValueError(f"{text!r} is not a date in format 102 (CCYYMMDD)")
    return date(int(t[:4]), int(t[4:6]), int(t[6:8]))


def _date(el: etree._Element | None, source: str) -> date | None:
    if el is None:
        return None
    dts = el.find(path("udt:DateTimeString"))
    if dts is None:
        return None
    try:
        return parse_cii_date(text_of(dts), dts.get("format"))
    except (InvalidValueError, ValueError) as exc:
        raise InvalidValueError(
            str(exc) if isinstance(exc, InvalidValueError) else f"invalid date: {exc}",
            source=source,
            line=dts.sourceline,
            element=element_path(dts),
        ) from None


def _party(party: etree._Element | None) -> Party:
    if party is None:
        return Party(name="")
    ids = tuple(
        PartyId(v, None) for e in party.iterfind(path("ram:ID")) if (v := text_of(e))
    ) + tuple(
        PartyId(v, e.get("schemeID"))
        for e in party.iterfind(path("ram:GlobalID"))
        if (v := text_of(e))
    )
    vat_id = None
    for reg in party.iterfind(path("ram:SpecifiedTaxRegistration", "ram:ID")):
        if reg.get("schemeID") == "VA":
            vat_id = text_of(reg)
            break
    return Party(
        name=text_of(party.find(path("ram:Name"))) or "",
        ids=ids,
        vat_id=vat_id,
        country=text_of(party.find(path("ram:PostalTradeAddress", "ram:CountryID"))),
        legal_id=party_id_at(party.find(path("ram:SpecifiedLegalOrganization", "ram:ID"))),
        endpoint_id=party_id_at(party.find(path("ram:URIUniversalCommunication", "ram:URIID"))),
    )


# Shared with the other syntax: amounts and decimals read the same way.
_minor = amount_minor_at
_decimal = decimal_at


def parse_cii(root: etree._Element, source: str = "<bytes>") -> NormalisedInvoice:
    """Read a CII CrossIndustryInvoice element into a `NormalisedInvoice`."""
    if root.tag != ROOT:
        raise UnknownDocumentTypeError(
            f"root element {root.tag} is not a CII CrossIndustryInvoice", source=source
        )
    doc = root.find(path("rsm:ExchangedDocument"))
    tx = root.find(path("rsm:SupplyChainTradeTransaction"))
    if doc is None or tx is None:
        raise MissingElementError(
            "the invoice has no ExchangedDocument or SupplyChainTradeTransaction", source=source
        )
    number = text_of(doc.find(path("ram:ID")))
    if number is None:
        raise MissingElementError(
            "the invoice has no number (ram:ID)", source=source, element="ram:ID"
        )
    issue = _date(doc.find(path("ram:IssueDateTime")), source)
    if issue is None:
        raise MissingElementError(
            "the invoice has no issue date", source=source, element="ram:IssueDateTime"
        )
    type_code = text_of(doc.find(path("ram:TypeCode")))
    agreement = tx.find(path("ram:ApplicableHeaderTradeAgreement"))
    delivery = tx.find(path("ram:ApplicableHeaderTradeDelivery"))
    settlement = tx.find(path("ram:ApplicableHeaderTradeSettlement"))
    if agreement is None or settlement is None:
        raise MissingElementError("the invoice has no trade agreement or settlement", source=source)
    currency = text_of(settlement.find(path("ram:InvoiceCurrencyCode")))
    if currency is None:
        raise MissingElementError(
            "the invoice has no currency (ram:InvoiceCurrencyCode)",
            source=source,
            element="ram:InvoiceCurrencyCode",
        )
    due = None
    for terms in settlement.iterfind(path("ram:SpecifiedTradePaymentTerms")):
        due = _date(terms.find(path("ram:DueDateDateTime")), source)
        if due is not None:
            break
    totals = settlement.find(path("ram:SpecifiedTradeSettlementHeaderMonetarySummation"))
    if totals is None:
        raise MissingElementError(
            "the invoice has no document totals",
            source=source,
            element="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
        )

    def total(name: str, required: bool = False) -> int:
        return _minor(
            totals.find(path(f"ram:{name}")), currency, source, required=name if required else None
        )

    tax_minor = 0
    for tt in totals.iterfind(path("ram:TaxTotalAmount")):
        if tt.get("currencyID", currency) == currency:
            tax_minor = _minor(tt, currency, source)
            break

    lines = []
    for item in tx.iterfind(path("ram:IncludedSupplyChainTradeLineItem")):
        qty_el = item.find(path("ram:SpecifiedLineTradeDelivery", "ram:BilledQuantity"))
        line_settlement = item.find(path("ram:SpecifiedLineTradeSettlement"))
        tax = (
            line_settlement.find(path("ram:ApplicableTradeTax"))
            if line_settlement is not None
            else None
        )
        product = item.find(path("ram:SpecifiedTradeProduct"))
        net_el = None
        if line_settlement is not None:
            net_el = line_settlement.find(
                path("ram:SpecifiedTradeSettlementLineMonetarySummation", "ram:LineTotalAmount")
            )
        lines.append(
            InvoiceLine(
                line_id=text_of(item.find(path("ram:AssociatedDocumentLineDocument", "ram:LineID")))
                or "",
                description=(
                    text_of(product.find(path("ram:Name"))) if product is not None else None
                )
                or "",
                quantity=_decimal(qty_el, source) or Decimal(0),
                unit_code=qty_el.get("unitCode") if qty_el is not None else None,
                unit_price=_decimal(
                    item.find(
                        path(
                            "ram:SpecifiedLineTradeAgreement",
                            "ram:NetPriceProductTradePrice",
                            "ram:ChargeAmount",
                        )
                    ),
                    source,
                )
                or Decimal(0),
                net_amount_minor=_minor(net_el, currency, source, required="ram:LineTotalAmount"),
                vat_category=text_of(tax.find(path("ram:CategoryCode")))
                if tax is not None
                else None,
                vat_rate=_decimal(tax.find(path("ram:RateApplicablePercent")), source)
                if tax is not None
                else None,
                order_line_ref=text_of(
                    item.find(
                        path(
                            "ram:SpecifiedLineTradeAgreement",
                            "ram:BuyerOrderReferencedDocument",
                            "ram:LineID",
                        )
                    )
                ),
                item_id=(
                    text_of(product.find(path("ram:SellerAssignedID")))
                    or text_of(product.find(path("ram:GlobalID")))
                )
                if product is not None
                else None,
            )
        )

    iban = bic = None
    for means in settlement.iterfind(path("ram:SpecifiedTradeSettlementPaymentMeans")):
        acc = (
            text_of(means.find(path("ram:PayeePartyCreditorFinancialAccount", "ram:IBANID"))) or ""
        )
        acc = acc.replace(" ", "").upper()
        if _IBAN.match(acc):
            iban = acc
            bic = text_of(
                means.find(path("ram:PayeeSpecifiedCreditorFinancialInstitution", "ram:BICID"))
            )
            break

    return NormalisedInvoice(
        kind="credit_note" if type_code in CREDIT_NOTE_TYPES else "invoice",
        syntax="cii",
        number=number,
        issue_date=issue,
        due_date=due,
        currency=currency,
        seller=_party(agreement.find(path("ram:SellerTradeParty"))),
        buyer=_party(agreement.find(path("ram:BuyerTradeParty"))),
        line_total_minor=total("LineTotalAmount", True),
        tax_exclusive_minor=total("TaxBasisTotalAmount", True),
        tax_minor=tax_minor,
        tax_inclusive_minor=total("GrandTotalAmount", True),
        payable_minor=total("DuePayableAmount", True),
        lines=tuple(lines),
        order_ref=text_of(
            agreement.find(path("ram:BuyerOrderReferencedDocument", "ram:IssuerAssignedID"))
        ),
        despatch_ref=text_of(
            delivery.find(path("ram:DespatchAdviceReferencedDocument", "ram:IssuerAssignedID"))
        )
        if delivery is not None
        else None,
        payment_iban=iban,
        payment_bic=bic,
        type_code=type_code,
        allowance_total_minor=total("AllowanceTotalAmount"),
        charge_total_minor=total("ChargeTotalAmount"),
        prepaid_minor=total("TotalPrepaidAmount"),
        rounding_minor=total("RoundingAmount"),
        buyer_reference=text_of(agreement.find(path("ram:BuyerReference"))),
        preceding_invoice_refs=tuple(
            t
            for e in settlement.iterfind(
                path("ram:InvoiceReferencedDocument", "ram:IssuerAssignedID")
            )
            if (t := text_of(e))
        ),
    )
