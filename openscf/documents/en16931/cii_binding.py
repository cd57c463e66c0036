"""The CII binding of EN 16931: a UN/CEFACT Cross Industry Invoice (D16B) read into the
semantic model.

Where each business term sits in CII follows the official CII binding (EN 16931-3-3).
This reads only; the checks run over the model it returns, the same as for UBL.
(`openscf.documents.cii` is something else: it reads CII into the platform's
`NormalisedInvoice`; this module borrows its element-name helper.)

May import: `openscf.documents.en16931.model`, `openscf.documents.cii` (namespaces and
paths) and the standard library. Not the UBL binding or the checks.
"""

from __future__ import annotations

from decimal import Decimal

from openscf.documents import cii
from openscf.documents.en16931.cii_syntax import cii_syntax_breaches
from openscf.documents.en16931.model import (
    ABSENT,
    AllowanceCharge,
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

__all__ = ["read_cii"]

_C = cii.path


def _cii_date(el: El | None) -> str | None:
    if el is None:
        return None
    return _t(el.find(_C("udt:DateTimeString")))


def _cii_party(party: El | None) -> PartyTerms:
    if party is None:
        return PartyTerms()
    vat_ids: list[str] = []
    vat_els: list[El] = []
    tax_ids: list[str] = []
    for reg in party.iterfind(_C("ram:SpecifiedTaxRegistration", "ram:ID")):
        value = _t(reg)
        scheme = reg.get("schemeID")
        if value is None:
            continue
        if scheme == "VA":
            vat_ids.append(value)
            vat_els.append(reg)
            tax_ids.append(value)
        elif scheme == "FC":
            tax_ids.append(value)
    postal = party.find(_C("ram:PostalTradeAddress"))
    endpoint = party.find(_C("ram:URIUniversalCommunication", "ram:URIID"))
    ids = tuple(i for e in party.iterfind(_C("ram:ID")) if (i := _t(e))) + tuple(
        i for e in party.iterfind(_C("ram:GlobalID")) if (i := _t(e))
    )
    return PartyTerms(
        el=party,
        name=_t(party.find(_C("ram:Name"))),
        ids=ids,
        legal_id=_t(party.find(_C("ram:SpecifiedLegalOrganization", "ram:ID"))),
        vat_ids=tuple(vat_ids),
        tax_ids=tuple(tax_ids),
        vat_id_els=tuple(vat_els),
        postal=postal,
        country=_t(postal.find(_C("ram:CountryID"))) if postal is not None else None,
        endpoint=endpoint,
        endpoint_scheme=endpoint.get("schemeID") if endpoint is not None else None,
    )


def _cii_tax(el: El | None) -> tuple[str | None, Decimal | None, str | None]:
    if el is None:
        return None, None, None
    type_code = _t(el.find(_C("ram:TypeCode")))
    if type_code is not None and type_code.upper() != "VAT":
        return None, None, None
    rate_text = _t(el.find(_C("ram:RateApplicablePercent")))
    return _t(el.find(_C("ram:CategoryCode"))), _dec(rate_text), rate_text


def _cii_any_type(el: El | None) -> tuple[str | None, Decimal | None]:
    """(category, rate) of a trade tax, whatever its type code."""
    if el is None:
        return None, None
    return _t(el.find(_C("ram:CategoryCode"))), _dec(_t(el.find(_C("ram:RateApplicablePercent"))))


def _cii_ac(el: El) -> AllowanceCharge:
    tax = el.find(_C("ram:CategoryTradeTax"))
    cat, rate, rate_text = _cii_tax(tax)
    code_any, rate_any = _cii_any_type(tax)
    indicator = _t(el.find(_C("ram:ChargeIndicator", "udt:Indicator"))) or ""
    return AllowanceCharge(
        el=el,
        is_charge=indicator.lower() in ("true", "1"),
        amount=_amt(el.find(_C("ram:ActualAmount"))),
        base=_amt(el.find(_C("ram:BasisAmount"))),
        reason=_t(el.find(_C("ram:Reason"))),
        reason_code=_t(el.find(_C("ram:ReasonCode"))),
        category=cat,
        rate=rate,
        rate_text=rate_text,
        code_any_scheme=code_any,
        rate_any_scheme=rate_any,
    )


def read_cii(root: El) -> Model:
    m = Model(syntax="cii", root=root)
    ctx = root.find(_C("rsm:ExchangedDocumentContext"))
    doc = root.find(_C("rsm:ExchangedDocument"))
    tx = root.find(_C("rsm:SupplyChainTradeTransaction"))
    if ctx is not None:
        m.bt24 = _t(ctx.find(_C("ram:GuidelineSpecifiedDocumentContextParameter", "ram:ID")))
    if doc is not None:
        m.bt1 = _t(doc.find(_C("ram:ID")))
        m.bt2 = _cii_date(doc.find(_C("ram:IssueDateTime")))
        m.bt3 = _t(doc.find(_C("ram:TypeCode")))
        m.is_credit_note = m.bt3 in cii.CREDIT_NOTE_TYPES
    m.syntax_breaches = cii_syntax_breaches(root)
    if tx is None:
        return m
    agr = tx.find(_C("ram:ApplicableHeaderTradeAgreement"))
    dlv = tx.find(_C("ram:ApplicableHeaderTradeDelivery"))
    stl = tx.find(_C("ram:ApplicableHeaderTradeSettlement"))
    if agr is not None:
        m.seller = _cii_party(agr.find(_C("ram:SellerTradeParty")))
        m.buyer = _cii_party(agr.find(_C("ram:BuyerTradeParty")))
        rep = agr.find(_C("ram:SellerTaxRepresentativeTradeParty"))
        if rep is not None:
            m.tax_rep = _cii_party(rep)
    m.additional_docs = [
        (e, _t(e.find(_C("ram:IssuerAssignedID"))))
        for e in root.iter(f"{{{cii.NS_RAM}}}AdditionalReferencedDocument")
    ]
    if dlv is not None:
        for addr in dlv.iterfind(_C("ram:ShipToTradeParty", "ram:PostalTradeAddress")):
            m.deliver_to.append((addr, _t(addr.find(_C("ram:CountryID")))))
        m.deliver_to_country = next((c for _, c in m.deliver_to if c is not None), None)
        m.actual_delivery_date = _cii_date(
            dlv.find(_C("ram:ActualDeliverySupplyChainEvent", "ram:OccurrenceDateTime"))
        )
    if stl is not None:
        m.bt5 = _t(stl.find(_C("ram:InvoiceCurrencyCode")))
        m.bt6 = _t(stl.find(_C("ram:TaxCurrencyCode")))
        payee = stl.find(_C("ram:PayeeTradeParty"))
        if payee is not None:
            m.payee = _cii_party(payee)
        for terms in stl.iterfind(_C("ram:SpecifiedTradePaymentTerms")):
            m.bt9 = m.bt9 or _cii_date(terms.find(_C("ram:DueDateDateTime")))
            m.bt20 = m.bt20 or terms.find(_C("ram:Description")) is not None
            m.mandate_count += len(terms.findall(_C("ram:DirectDebitMandateID")))
        period = stl.find(_C("ram:BillingSpecifiedPeriod"))
        if period is not None:
            m.period = period
            m.period_start = _cii_date(period.find(_C("ram:StartDateTime")))
            m.period_end = _cii_date(period.find(_C("ram:EndDateTime")))
            m.period_has_terms = (
                period.find(_C("ram:StartDateTime")) is not None
                or period.find(_C("ram:EndDateTime")) is not None
            )
        for tax in stl.iterfind(_C("ram:ApplicableTradeTax")):
            cat, rate, rate_text = _cii_tax(tax)
            m.breakdowns.append(
                VatBreakdown(
                    el=tax,
                    taxable=_amt(tax.find(_C("ram:BasisAmount"))),
                    tax=_amt(tax.find(_C("ram:CalculatedAmount"))),
                    category=cat,
                    rate=rate,
                    rate_text=rate_text,
                    exemption_reason=_t(tax.find(_C("ram:ExemptionReason"))),
                    exemption_code=_t(tax.find(_C("ram:ExemptionReasonCode"))),
                    tax_point_date=_cii_date(tax.find(_C("ram:TaxPointDate"))),
                    due_date_code=_t(tax.find(_C("ram:DueDateTypeCode"))),
                )
            )
        # Without a charge indicator it is neither an allowance nor a charge (CII-SR-463).
        m.doc_acs = [
            _cii_ac(e)
            for e in stl.iterfind(_C("ram:SpecifiedTradeAllowanceCharge"))
            if (_t(e.find(_C("ram:ChargeIndicator", "udt:Indicator"))) or "").lower()
            in ("true", "false", "1", "0")
        ]
        totals = stl.find(_C("ram:SpecifiedTradeSettlementHeaderMonetarySummation"))
        if totals is not None:
            m.totals = totals
            m.bt106 = _amt(totals.find(_C("ram:LineTotalAmount")))
            m.bt107 = _amt(totals.find(_C("ram:AllowanceTotalAmount")))
            m.bt108 = _amt(totals.find(_C("ram:ChargeTotalAmount")))
            m.bt109 = _amt(totals.find(_C("ram:TaxBasisTotalAmount")))
            m.bt112 = _amt(totals.find(_C("ram:GrandTotalAmount")))
            m.bt113 = _amt(totals.find(_C("ram:TotalPrepaidAmount")))
            m.bt114 = _amt(totals.find(_C("ram:RoundingAmount")))
            m.bt115 = _amt(totals.find(_C("ram:DuePayableAmount")))
            for tt in totals.iterfind(_C("ram:TaxTotalAmount")):
                currency = tt.get("currencyID")
                m.tax_totals.append(
                    TaxTotal(
                        amount=_amt(tt),
                        currency=currency,
                        subtotal_taxes=[b.tax for b in m.breakdowns] if currency == m.bt5 else None,
                    )
                )
        for pm in stl.iterfind(_C("ram:SpecifiedTradeSettlementPaymentMeans")):
            accounts = [
                (a, _t(a.find(_C("ram:IBANID"))) or _t(a.find(_C("ram:ProprietaryID"))))
                for a in pm.iterfind(_C("ram:PayeePartyCreditorFinancialAccount"))
            ]
            cards = pm.findall(_C("ram:ApplicableTradeSettlementFinancialCard"))
            m.card_count += len(cards)
            pans = [(c, "".join((_t(c.find(_C("ram:ID"))) or "").split())) for c in cards]
            m.payment_means.append(
                PaymentMeans(
                    el=pm,
                    type_code=_t(pm.find(_C("ram:TypeCode"))),
                    accounts=accounts,
                    card_pans=pans,
                )
            )
        m.preceding = [
            (e, _t(e.find(_C("ram:IssuerAssignedID"))))
            for e in stl.iterfind(_C("ram:InvoiceReferencedDocument"))
        ]
    for le in tx.iterfind(_C("ram:IncludedSupplyChainTradeLineItem")):
        qty = le.find(_C("ram:SpecifiedLineTradeDelivery", "ram:BilledQuantity"))
        ls = le.find(_C("ram:SpecifiedLineTradeSettlement"))
        la = le.find(_C("ram:SpecifiedLineTradeAgreement"))
        product = le.find(_C("ram:SpecifiedTradeProduct"))
        cat = rate = rate_text = code_any = rate_any = None
        net = ABSENT
        lp = None
        acs: list[AllowanceCharge] = []
        if ls is not None:
            for tax in ls.iterfind(_C("ram:ApplicableTradeTax")):
                cat, rate, rate_text = _cii_tax(tax)
                if code_any is None:
                    code_any, rate_any = _cii_any_type(tax)
                if cat is not None:
                    code_any, rate_any = cat, rate
                    break
            net = _amt(
                ls.find(
                    _C("ram:SpecifiedTradeSettlementLineMonetarySummation", "ram:LineTotalAmount")
                )
            )
            lp = ls.find(_C("ram:BillingSpecifiedPeriod"))
            acs = [_cii_ac(e) for e in ls.iterfind(_C("ram:SpecifiedTradeAllowanceCharge"))]
        std_ids: list[El] = []
        classes: list[tuple[El, bool]] = []
        attrs: list[tuple[El, bool, bool]] = []
        name = None
        if product is not None:
            name = _t(product.find(_C("ram:Name")))
            std_ids = list(product.iterfind(_C("ram:GlobalID")))
            for dpc in product.iterfind(_C("ram:DesignatedProductClassification")):
                code = dpc.find(_C("ram:ClassCode"))
                classes.append((dpc, code is not None and bool(code.get("listID"))))
            attrs = [
                (a, a.find(_C("ram:Description")) is not None, a.find(_C("ram:Value")) is not None)
                for a in product.iterfind(_C("ram:ApplicableProductCharacteristic"))
            ]
        m.lines.append(
            Line(
                el=le,
                line_id=_t(le.find(_C("ram:AssociatedDocumentLineDocument", "ram:LineID"))),
                has_quantity=qty is not None,
                has_unit=qty is not None and qty.get("unitCode") is not None,
                net=net,
                item_name=name,
                net_price=_amt(la.find(_C("ram:NetPriceProductTradePrice", "ram:ChargeAmount")))
                if la is not None
                else ABSENT,
                gross_price=_amt(la.find(_C("ram:GrossPriceProductTradePrice", "ram:ChargeAmount")))
                if la is not None
                else ABSENT,
                category=cat,
                rate=rate,
                rate_text=rate_text,
                period=lp,
                period_start=_cii_date(lp.find(_C("ram:StartDateTime")))
                if lp is not None
                else None,
                period_end=_cii_date(lp.find(_C("ram:EndDateTime"))) if lp is not None else None,
                allowances=acs,
                std_ids=std_ids,
                std_id_schemes=[e.get("schemeID") for e in std_ids],
                classifications=classes,
                attributes=attrs,
                code_any_scheme=code_any,
                rate_any_scheme=rate_any,
            )
        )
    return m
