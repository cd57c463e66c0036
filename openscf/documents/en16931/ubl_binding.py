"""The UBL binding of EN 16931: a UBL 2.1 Invoice or CreditNote read into the semantic model.

Where each business term sits in UBL follows the official UBL binding (EN 16931-3-2).
This reads only; the checks run over the model it returns, the same as for CII.
(`openscf.documents.ubl` is something else: it reads UBL into the platform's
`NormalisedInvoice`; this module borrows its element-name helpers.)

May import: `openscf.documents.en16931.model`, `openscf.documents.ubl` (namespaces and
paths) and the standard library. Not the CII binding or the checks.
"""

from __future__ import annotations

from decimal import Decimal

from openscf.documents import ubl
from openscf.documents.en16931.model import (
    AllowanceCharge,
    Amt,
    El,
    Line,
    Model,
    PartyTerms,
    PaymentMeans,
    TaxTotal,
    VatBreakdown,
)

# Short names: the binding calls these on nearly every line.
from openscf.documents.en16931.model import amount_of as _amt
from openscf.documents.en16931.model import element_text as _t
from openscf.documents.en16931.model import to_decimal as _dec
from openscf.documents.en16931.ubl_syntax import ubl_scan

__all__ = ["read_ubl"]

_CAC, _CBC = ubl.cac, ubl.cbc
_U = ubl.path


def _ubl_tax_category(el: El | None) -> tuple[str | None, Decimal | None, str | None]:
    """(category, rate, rate text) of a UBL TaxCategory / ClassifiedTaxCategory, VAT only."""
    if el is None:
        return None, None, None
    scheme = _t(el.find(_U("cac:TaxScheme", "cbc:ID")))
    if scheme is None or scheme.upper() != "VAT":
        return None, None, None
    rate_text = _t(el.find(_CBC("Percent")))
    return _t(el.find(_CBC("ID"))), _dec(rate_text), rate_text


def _ubl_any_scheme(el: El | None) -> tuple[str | None, Decimal | None]:
    """(category, rate) of a tax category, whatever its tax scheme."""
    if el is None:
        return None, None
    return _t(el.find(_CBC("ID"))), _dec(_t(el.find(_CBC("Percent"))))


def _ubl_party(party: El | None, *, trading_name_is_name: bool = False) -> PartyTerms:
    if party is None:
        return PartyTerms()
    vat_ids: list[str] = []
    vat_els: list[El] = []
    tax_ids: list[str] = []
    for pts in party.iterfind(_CAC("PartyTaxScheme")):
        cid_el = pts.find(_CBC("CompanyID"))
        cid = _t(cid_el)
        if cid is None:
            continue
        tax_ids.append(cid)
        scheme = _t(pts.find(_U("cac:TaxScheme", "cbc:ID")))
        if scheme is not None and scheme.upper() == "VAT":
            vat_ids.append(cid)
            assert cid_el is not None
            vat_els.append(cid_el)
    names = tuple(n for e in party.iterfind(_U("cac:PartyName", "cbc:Name")) if (n := _t(e)))
    endpoint = party.find(_CBC("EndpointID"))
    postal = party.find(_CAC("PostalAddress"))
    return PartyTerms(
        el=party,
        name=(names[0] if names else None)
        if trading_name_is_name
        else _t(party.find(_U("cac:PartyLegalEntity", "cbc:RegistrationName"))),
        other_names=names,
        ids=tuple(
            i for e in party.iterfind(_U("cac:PartyIdentification", "cbc:ID")) if (i := _t(e))
        ),
        legal_id=_t(party.find(_U("cac:PartyLegalEntity", "cbc:CompanyID"))),
        vat_ids=tuple(vat_ids),
        tax_ids=tuple(tax_ids),
        vat_id_els=tuple(vat_els),
        postal=postal,
        country=_t(postal.find(_U("cac:Country", "cbc:IdentificationCode")))
        if postal is not None
        else None,
        endpoint=endpoint,
        endpoint_scheme=endpoint.get("schemeID") if endpoint is not None else None,
    )


def _ubl_ac(el: El) -> AllowanceCharge:
    tc = el.find(_CAC("TaxCategory"))
    cat, rate, rate_text = _ubl_tax_category(tc)
    code_any, rate_any = _ubl_any_scheme(tc)
    return AllowanceCharge(
        el=el,
        is_charge=(_t(el.find(_CBC("ChargeIndicator"))) or "").lower() in ("true", "1"),
        amount=_amt(el.find(_CBC("Amount"))),
        base=_amt(el.find(_CBC("BaseAmount"))),
        reason=_t(el.find(_CBC("AllowanceChargeReason"))),
        reason_code=_t(el.find(_CBC("AllowanceChargeReasonCode"))),
        category=cat,
        rate=rate,
        rate_text=rate_text,
        code_any_scheme=code_any,
        rate_any_scheme=rate_any,
    )


def read_ubl(root: El) -> Model:
    is_cn = root.tag == f"{{{ubl.NS_CREDIT_NOTE}}}CreditNote"
    m = Model(syntax="ubl", root=root, is_credit_note=is_cn)
    m.bt24 = _t(root.find(_CBC("CustomizationID")))
    m.bt1 = _t(root.find(_CBC("ID")))
    m.bt2 = _t(root.find(_CBC("IssueDate")))
    m.bt3 = _t(root.find(_CBC("CreditNoteTypeCode" if is_cn else "InvoiceTypeCode")))
    m.bt5 = _t(root.find(_CBC("DocumentCurrencyCode")))
    m.bt6 = _t(root.find(_CBC("TaxCurrencyCode")))
    m.bt9 = _t(root.find(_CBC("DueDate")))
    m.bt20 = any(_t(e) for e in root.iterfind(_U("cac:PaymentTerms", "cbc:Note")))
    m.tax_point_date = _t(root.find(_CBC("TaxPointDate")))
    m.seller = _ubl_party(root.find(_U("cac:AccountingSupplierParty", "cac:Party")))
    m.buyer = _ubl_party(root.find(_U("cac:AccountingCustomerParty", "cac:Party")))
    payee = root.find(_CAC("PayeeParty"))
    if payee is not None:
        m.payee = _ubl_party(payee, trading_name_is_name=True)
    rep = root.find(_CAC("TaxRepresentativeParty"))
    if rep is not None:
        m.tax_rep = _ubl_party(rep, trading_name_is_name=True)
    for addr in root.iterfind(_U("cac:Delivery", "cac:DeliveryLocation", "cac:Address")):
        m.deliver_to.append((addr, _t(addr.find(_U("cac:Country", "cbc:IdentificationCode")))))
    period = root.find(_CAC("InvoicePeriod"))
    if period is not None:
        m.period = period
        m.period_start = _t(period.find(_CBC("StartDate")))
        m.period_end = _t(period.find(_CBC("EndDate")))
        m.period_code = _t(period.find(_CBC("DescriptionCode")))
        m.period_has_terms = len(period) > 0
    delivery = root.find(_CAC("Delivery"))
    if delivery is not None:
        date = delivery.find(_CBC("ActualDeliveryDate"))
        if date is not None and len(date.text or "") > 1:
            m.actual_delivery_date = date.text
        m.deliver_to_country = _t(
            delivery.find(
                _U("cac:DeliveryLocation", "cac:Address", "cac:Country", "cbc:IdentificationCode")
            )
        )
    totals = root.find(_CAC("LegalMonetaryTotal"))
    if totals is not None:
        m.totals = totals
        m.bt106 = _amt(totals.find(_CBC("LineExtensionAmount")))
        m.bt107 = _amt(totals.find(_CBC("AllowanceTotalAmount")))
        m.bt108 = _amt(totals.find(_CBC("ChargeTotalAmount")))
        m.bt109 = _amt(totals.find(_CBC("TaxExclusiveAmount")))
        m.bt112 = _amt(totals.find(_CBC("TaxInclusiveAmount")))
        m.bt113 = _amt(totals.find(_CBC("PrepaidAmount")))
        m.bt114 = _amt(totals.find(_CBC("PayableRoundingAmount")))
        m.bt115 = _amt(totals.find(_CBC("PayableAmount")))
    for tt in root.iterfind(_CAC("TaxTotal")):
        subs: list[Amt] = []
        for sub in tt.iterfind(_CAC("TaxSubtotal")):
            cat, rate, rate_text = _ubl_tax_category(sub.find(_CAC("TaxCategory")))
            tc = sub.find(_CAC("TaxCategory"))
            bd = VatBreakdown(
                el=sub,
                taxable=_amt(sub.find(_CBC("TaxableAmount"))),
                tax=_amt(sub.find(_CBC("TaxAmount"))),
                category=cat,
                rate=rate,
                rate_text=rate_text,
                exemption_reason=_t(tc.find(_CBC("TaxExemptionReason")))
                if tc is not None
                else None,
                exemption_code=_t(tc.find(_CBC("TaxExemptionReasonCode")))
                if tc is not None
                else None,
            )
            m.breakdowns.append(bd)
            subs.append(bd.tax)
        amount_el = tt.find(_CBC("TaxAmount"))
        m.tax_totals.append(
            TaxTotal(
                amount=_amt(amount_el),
                currency=amount_el.get("currencyID") if amount_el is not None else None,
                subtotal_taxes=subs if subs else None,
            )
        )
    m.doc_acs = [_ubl_ac(e) for e in root.iterfind(_CAC("AllowanceCharge"))]
    line_tag = _CAC("CreditNoteLine") if is_cn else _CAC("InvoiceLine")
    qty_tag = _CBC("CreditedQuantity") if is_cn else _CBC("InvoicedQuantity")
    for le in root.iterfind(line_tag):
        qty = le.find(qty_tag)
        item = le.find(_CAC("Item"))
        cat = rate = rate_text = code_any = rate_any = None
        std_ids: list[El] = []
        classes: list[tuple[El, bool]] = []
        attrs: list[tuple[El, bool, bool]] = []
        name = None
        if item is not None:
            name = _t(item.find(_CBC("Name")))
            ctc = item.find(_CAC("ClassifiedTaxCategory"))
            cat, rate, rate_text = _ubl_tax_category(ctc)
            code_any, rate_any = _ubl_any_scheme(ctc)
            std_ids = list(item.iterfind(_U("cac:StandardItemIdentification", "cbc:ID")))
            classes = [
                (c, bool(c.get("listID")))
                for c in item.iterfind(
                    _U("cac:CommodityClassification", "cbc:ItemClassificationCode")
                )
            ]
            attrs = [
                (a, a.find(_CBC("Name")) is not None, a.find(_CBC("Value")) is not None)
                for a in item.iterfind(_CAC("AdditionalItemProperty"))
            ]
        lp = le.find(_CAC("InvoicePeriod"))
        m.lines.append(
            Line(
                el=le,
                line_id=_t(le.find(_CBC("ID"))),
                has_quantity=qty is not None,
                has_unit=qty is not None and qty.get("unitCode") is not None,
                net=_amt(le.find(_CBC("LineExtensionAmount"))),
                item_name=name,
                net_price=_amt(le.find(_U("cac:Price", "cbc:PriceAmount"))),
                gross_price=_amt(le.find(_U("cac:Price", "cac:AllowanceCharge", "cbc:BaseAmount"))),
                category=cat,
                rate=rate,
                rate_text=rate_text,
                period=lp,
                period_start=_t(lp.find(_CBC("StartDate"))) if lp is not None else None,
                period_end=_t(lp.find(_CBC("EndDate"))) if lp is not None else None,
                allowances=[_ubl_ac(e) for e in le.iterfind(_CAC("AllowanceCharge"))],
                std_ids=std_ids,
                std_id_schemes=[e.get("schemeID") for e in std_ids],
                classifications=classes,
                attributes=attrs,
                code_any_scheme=code_any,
                rate_any_scheme=rate_any,
            )
        )
    for pm in root.iterfind(_CAC("PaymentMeans")):
        accounts = [(a, _t(a.find(_CBC("ID")))) for a in pm.iterfind(_CAC("PayeeFinancialAccount"))]
        pans = [
            (e, "".join(e.text.split()) if e.text else "")
            for e in pm.iterfind(_U("cac:CardAccount", "cbc:PrimaryAccountNumberID"))
        ]
        m.card_count += len(pm.findall(_CAC("CardAccount")))
        m.mandate_count += len(pm.findall(_CAC("PaymentMandate")))
        m.payment_means.append(
            PaymentMeans(
                el=pm,
                type_code=_t(pm.find(_CBC("PaymentMeansCode"))),
                accounts=accounts,
                card_pans=pans,
            )
        )
    m.additional_docs = [
        (e, _t(e.find(_CBC("ID")))) for e in root.iterfind(_CAC("AdditionalDocumentReference"))
    ]
    m.preceding = [
        (e, _t(e.find(_U("cac:InvoiceDocumentReference", "cbc:ID"))))
        for e in root.iterfind(_CAC("BillingReference"))
    ]
    m.codes, m.syntax_breaches = ubl_scan(root)
    return m
