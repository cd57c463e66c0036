"""Generated cases for the native/official agreement test: one mutation per published rule.

Each case takes a valid example from the corpus and applies one mutation that breaks one
rule of EN 16931 (the way the official unit tests of CEN's artefacts are built: a valid
invoice, one change, the rule that must fire). A mutation may break other rules too; the
agreement test compares every rule id either stage reports, so those count as well.

The mutations are built from a few operations (remove, set text, set attribute, duplicate,
add a fragment, turn the invoice into another VAT category) applied to the element paths
the rule texts name. Where a rule cannot be broken by any document (BR-CO-05..08 are
declared not machine-checkable by CEN and always pass), `NEVER_FIRES` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from .test_en16931_examples import NS

Mutation = Callable[[etree._Element], None]

UBL_BASE = "peppol-bis3/examples/base-example.xml"  # standard rate, one charge, two lines
UBL_ALLOWANCES = "peppol-bis3/examples/Allowance-example.xml"  # S and E, allowances, charges
UBL_CREDIT_NOTE = "peppol-bis3/examples/base-creditnote-correction.xml"
UBL_TC434 = "en16931/ubl/examples/ubl-tc434-example5.xml"

# Rules the official artefacts declare but never fail (their test is `true`).
NEVER_FIRES = {"BR-CO-05", "BR-CO-06", "BR-CO-07", "BR-CO-08"}
# Rules CEN's UBL binding declares but can never fail: BR-DEC-13/15 compare the amount's
# currency with a child element of the amount, which does not exist.
NEVER_FIRES_IN_UBL = {"BR-DEC-13", "BR-DEC-15"}
# Rules that no document can break without stopping CEN's UBL stylesheet with an XPath
# type error (XPTY0004): a repeated element is passed to normalize-space() by another rule.
OFFICIAL_CANNOT_EVALUATE = {"UBL-SR-09", "UBL-SR-15", "UBL-SR-22", "UBL-SR-27"}


@dataclass(frozen=True)
class Case:
    rule: str  # the rule the mutation breaks
    base: str  # corpus path under einvoice/
    mutations: tuple[Mutation, ...]
    note: str = ""
    fires: bool = True  # False: a case where the rule must NOT fire (a known false alarm)
    # True: CEN's stylesheet stops with an XPath type error on this document (it applies
    # a one-value function to the repeated element), so only the native stage can report it.
    official_fails: bool = False

    @property
    def id(self) -> str:
        return f"{self.rule}{'-' + self.note if self.note else ''}"


def _xp(root: etree._Element, expr: str) -> list[etree._Element]:
    found = root.xpath(expr, namespaces=NS)
    assert isinstance(found, list) and found, f"mutation target {expr} not found"
    return [e for e in found if isinstance(e, etree._Element)]


def rm(expr: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        for el in _xp(root, expr):
            parent = el.getparent()
            assert parent is not None
            parent.remove(el)

    return apply


def txt(expr: str, value: str, *, every: bool = False) -> Mutation:
    def apply(root: etree._Element) -> None:
        targets = _xp(root, expr)
        for el in targets if every else targets[:1]:
            el.text = value

    return apply


def attr(expr: str, name: str, value: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        _xp(root, expr)[0].set(name, value)

    return apply


def dup(expr: str) -> Mutation:
    """Repeat the first match right after itself."""

    def apply(root: etree._Element) -> None:
        el = _xp(root, expr)[0]
        el.addnext(etree.fromstring(etree.tostring(el)))

    return apply


_FRAGMENT = '<w xmlns:cac="{cac}" xmlns:cbc="{cbc}" xmlns:ram="{ram}" xmlns:udt="{udt}">{body}</w>'


def add(parent: str, fragment: str, *, first: bool = False) -> Mutation:
    """Append (or prepend) a fragment, written with cac:/cbc: or ram:/udt: prefixes."""

    def apply(root: etree._Element) -> None:
        holder = etree.fromstring(
            _FRAGMENT.format(
                cac=NS["cac"], cbc=NS["cbc"], ram=NS["ram"], udt=NS["udt"], body=fragment
            )
        )
        target = _xp(root, parent)[0]
        for i, child in enumerate(list(holder)):
            if first:
                target.insert(i, child)
            else:
                target.append(child)

    return apply


def shift(expr: str, delta: str) -> Mutation:
    def apply(root: etree._Element) -> None:
        el = _xp(root, expr)[0]
        el.text = str(Decimal((el.text or "0").strip()) + Decimal(delta))

    return apply


_ALL_CATEGORIES = "//cac:ClassifiedTaxCategory | //cac:TaxCategory"


def as_category(code: str, rate: str | None, *, reason: bool) -> Mutation:
    """Turn every VAT category of the invoice into `code` with `rate` (None: no rate),
    giving the breakdowns an exemption reason or not."""

    def apply(root: etree._Element) -> None:
        for cat in _xp(root, _ALL_CATEGORIES):
            cat.find(f"{{{NS['cbc']}}}ID").text = code  # type: ignore[union-attr]
            percent = cat.find(f"{{{NS['cbc']}}}Percent")
            if rate is None and percent is not None:
                cat.remove(percent)
            elif rate is not None and percent is not None:
                percent.text = rate
            for old in cat.findall(f"{{{NS['cbc']}}}TaxExemptionReason"):
                cat.remove(old)
            if (
                reason
                and etree.QName(cat).localname == "TaxCategory"
                and (
                    cat.getparent() is not None
                    and etree.QName(cat.getparent()).localname == "TaxSubtotal"
                )
            ):
                scheme = cat.find(f"{{{NS['cac']}}}TaxScheme")
                el = etree.Element(f"{{{NS['cbc']}}}TaxExemptionReason")
                el.text = "Exempt"
                assert scheme is not None
                scheme.addprevious(el)
        if rate is None or Decimal(rate) == 0:
            _without_tax(root)

    return apply


def _without_tax(root: etree._Element) -> None:
    """Zero every VAT amount and make the totals add up again."""
    for amount in _xp(root, "//cac:TaxSubtotal/cbc:TaxAmount | /*/cac:TaxTotal/cbc:TaxAmount"):
        amount.text = "0"
    totals = _xp(root, "/*/cac:LegalMonetaryTotal")[0]
    cbc = NS["cbc"]
    exclusive = Decimal((totals.findtext(f"{{{cbc}}}TaxExclusiveAmount") or "0").strip())
    prepaid = Decimal((totals.findtext(f"{{{cbc}}}PrepaidAmount") or "0").strip())
    totals.find(f"{{{cbc}}}TaxInclusiveAmount").text = str(exclusive)  # type: ignore[union-attr]
    totals.find(f"{{{cbc}}}PayableAmount").text = str(exclusive - prepaid)  # type: ignore[union-attr]


# --- UBL ------------------------------------------------------------------------------

B, A, CN, T5 = UBL_BASE, UBL_ALLOWANCES, UBL_CREDIT_NOTE, UBL_TC434
SELLER = "//cac:AccountingSupplierParty/cac:Party"
BUYER = "//cac:AccountingCustomerParty/cac:Party"
LINE1 = "(//cac:InvoiceLine)[1]"
TOTALS = "/*/cac:LegalMonetaryTotal"
SUB1 = "(//cac:TaxSubtotal)[1]"
DOC_CHARGE = "/*/cac:AllowanceCharge[cbc:ChargeIndicator='true']"
DOC_ALLOWANCE = "/*/cac:AllowanceCharge[cbc:ChargeIndicator='false']"
LINE_CHARGE = "(//cac:InvoiceLine/cac:AllowanceCharge[cbc:ChargeIndicator='true'])[1]"
LINE_ALLOWANCE = "(//cac:InvoiceLine/cac:AllowanceCharge[cbc:ChargeIndicator='false'])[1]"
NOT_A_CODE = "Q9Q"

_TAX_REP = (
    "<cac:TaxRepresentativeParty><cac:PartyName><cbc:Name>Rep</cbc:Name></cac:PartyName>"
    "<cac:PostalAddress><cac:Country><cbc:IdentificationCode>SE</cbc:IdentificationCode>"
    "</cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>SE1234567801"
    "</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
    "</cac:TaxRepresentativeParty>"
)
_PAYEE = (
    "<cac:PayeeParty><cac:PartyIdentification><cbc:ID>P1</cbc:ID></cac:PartyIdentification>"
    "<cac:PartyName><cbc:Name>Payee Ltd</cbc:Name></cac:PartyName>"
    "<cac:PartyLegalEntity><cbc:CompanyID>L1</cbc:CompanyID></cac:PartyLegalEntity>"
    "</cac:PayeeParty>"
)
_ATTACHMENT = (
    "<cac:AdditionalDocumentReference><cbc:ID>att</cbc:ID><cac:Attachment>"
    '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="a.pdf">QUJD'
    "</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
)
_BILLING = (
    "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>INV-0</cbc:ID>"
    "</cac:InvoiceDocumentReference></cac:BillingReference>"
)


def _doc(
    rule: str,
    base: str,
    *mutations: Mutation,
    note: str = "",
    fires: bool = True,
    official_fails: bool = False,
) -> Case:
    return Case(rule, base, tuple(mutations), note, fires, official_fails)


def _core_cases() -> list[Case]:
    c = _doc
    return [
        c("BR-01", B, rm("/*/cbc:CustomizationID")),
        c("BR-02", B, rm("/*/cbc:ID")),
        c("BR-03", B, rm("/*/cbc:IssueDate")),
        c("BR-04", B, rm("/*/cbc:InvoiceTypeCode")),
        c("BR-05", B, rm("/*/cbc:DocumentCurrencyCode")),
        c("BR-06", B, rm(f"{SELLER}/cac:PartyLegalEntity/cbc:RegistrationName")),
        c("BR-07", B, rm(f"{BUYER}/cac:PartyLegalEntity/cbc:RegistrationName")),
        c("BR-08", B, rm(f"{SELLER}/cac:PostalAddress")),
        c("BR-09", B, rm(f"{SELLER}/cac:PostalAddress/cac:Country")),
        c("BR-10", B, rm(f"{BUYER}/cac:PostalAddress")),
        c("BR-11", B, rm(f"{BUYER}/cac:PostalAddress/cac:Country")),
        c("BR-12", B, rm(f"{TOTALS}/cbc:LineExtensionAmount")),
        c("BR-13", B, rm(f"{TOTALS}/cbc:TaxExclusiveAmount")),
        c("BR-14", B, rm(f"{TOTALS}/cbc:TaxInclusiveAmount")),
        c("BR-15", B, rm(f"{TOTALS}/cbc:PayableAmount")),
        c("BR-16", B, rm("//cac:InvoiceLine")),
        c("BR-17", B, add("/*", _PAYEE), rm("//cac:PayeeParty/cac:PartyName")),
        c("BR-18", B, add("/*", _TAX_REP), rm("//cac:TaxRepresentativeParty/cac:PartyName")),
        c("BR-19", B, add("/*", _TAX_REP), rm("//cac:TaxRepresentativeParty/cac:PostalAddress")),
        c(
            "BR-20",
            B,
            add("/*", _TAX_REP),
            rm("//cac:TaxRepresentativeParty/cac:PostalAddress/cac:Country"),
        ),
        c("BR-21", B, rm(f"{LINE1}/cbc:ID")),
        c("BR-22", B, rm(f"{LINE1}/cbc:InvoicedQuantity")),
        c("BR-23", B, lambda r: _xp(r, f"{LINE1}/cbc:InvoicedQuantity")[0].attrib.pop("unitCode")),
        c("BR-24", B, rm(f"{LINE1}/cbc:LineExtensionAmount")),
        c("BR-25", B, rm(f"{LINE1}/cac:Item/cbc:Name")),
        c("BR-26", B, rm(f"{LINE1}/cac:Price/cbc:PriceAmount")),
        c("BR-27", B, txt(f"{LINE1}/cac:Price/cbc:PriceAmount", "-1")),
        c("BR-28", A, txt("(//cac:Price/cac:AllowanceCharge/cbc:BaseAmount)[1]", "-450")),
        c("BR-29", A, txt("/*/cac:InvoicePeriod/cbc:EndDate", "2000-01-01")),
        c(
            "BR-30",
            B,
            add(
                LINE1,
                "<cac:InvoicePeriod><cbc:StartDate>2017-02-01</cbc:StartDate>"
                "<cbc:EndDate>2017-01-01</cbc:EndDate></cac:InvoicePeriod>",
            ),
        ),
        c("BR-31", A, rm(f"{DOC_ALLOWANCE}/cbc:Amount")),
        c("BR-32", A, rm(f"{DOC_ALLOWANCE}/cac:TaxCategory")),
        c(
            "BR-33",
            A,
            rm(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReason"),
            rm(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReasonCode"),
        ),
        c("BR-36", A, rm(f"{DOC_CHARGE}/cbc:Amount")),
        c("BR-37", A, rm(f"{DOC_CHARGE}/cac:TaxCategory")),
        c(
            "BR-38",
            A,
            rm(f"{DOC_CHARGE}/cbc:AllowanceChargeReason"),
            rm(f"{DOC_CHARGE}/cbc:AllowanceChargeReasonCode"),
        ),
        c("BR-41", A, rm(f"{LINE_ALLOWANCE}/cbc:Amount")),
        c(
            "BR-42",
            A,
            rm(f"{LINE_ALLOWANCE}/cbc:AllowanceChargeReason"),
            rm(f"{LINE_ALLOWANCE}/cbc:AllowanceChargeReasonCode"),
        ),
        c("BR-43", A, rm(f"{LINE_CHARGE}/cbc:Amount")),
        c(
            "BR-44",
            A,
            rm(f"{LINE_CHARGE}/cbc:AllowanceChargeReason"),
            rm(f"{LINE_CHARGE}/cbc:AllowanceChargeReasonCode"),
        ),
        c("BR-45", B, rm(f"{SUB1}/cbc:TaxableAmount")),
        c("BR-46", B, rm(f"{SUB1}/cbc:TaxAmount")),
        c("BR-47", B, rm(f"{SUB1}/cac:TaxCategory/cbc:ID")),
        c("BR-48", B, rm(f"{SUB1}/cac:TaxCategory/cbc:Percent")),
        c("BR-49", B, rm("//cac:PaymentMeans/cbc:PaymentMeansCode")),
        c("BR-50", B, rm("//cac:PayeeFinancialAccount/cbc:ID")),
        c("BR-52", A, rm("(/*/cac:AdditionalDocumentReference)[2]/cbc:ID")),
        c("BR-53", A, rm("/*/cac:TaxTotal[cbc:TaxAmount/@currencyID='SEK']")),
        c(
            "BR-54",
            B,
            add(
                f"{LINE1}/cac:Item",
                "<cac:AdditionalItemProperty><cbc:Name>Colour</cbc:Name>"
                "</cac:AdditionalItemProperty>",
            ),
        ),
        c(
            "BR-55",
            B,
            add(
                "/*",
                "<cac:BillingReference><cac:InvoiceDocumentReference>"
                "<cbc:IssueDate>2017-01-01</cbc:IssueDate>"
                "</cac:InvoiceDocumentReference></cac:BillingReference>",
            ),
        ),
        c("BR-56", B, add("/*", _TAX_REP), rm("//cac:TaxRepresentativeParty/cac:PartyTaxScheme")),
        c("BR-57", B, rm("//cac:DeliveryLocation/cac:Address/cac:Country")),
        c("BR-61", B, rm("//cac:PayeeFinancialAccount")),
        c("BR-62", B, lambda r: _xp(r, f"{SELLER}/cbc:EndpointID")[0].attrib.pop("schemeID")),
        c("BR-63", B, lambda r: _xp(r, f"{BUYER}/cbc:EndpointID")[0].attrib.pop("schemeID")),
        c(
            "BR-64",
            B,
            lambda r: _xp(r, "(//cac:StandardItemIdentification/cbc:ID)[1]")[0].attrib.pop(
                "schemeID"
            ),
        ),
        c(
            "BR-65",
            B,
            lambda r: _xp(r, "(//cbc:ItemClassificationCode)[1]")[0].attrib.pop("listID"),
        ),
        c("BR-B-01", B, as_category("B", "25", reason=False)),
        c(
            "BR-B-02",
            B,
            txt(f"{LINE1}//cac:ClassifiedTaxCategory/cbc:ID", "B"),
            txt(f"{SELLER}/cac:PostalAddress//cbc:IdentificationCode", "IT", every=True),
        ),
        c(
            "BR-CO-03",
            A,
            add("/*/cac:InvoicePeriod", "<cbc:DescriptionCode>35</cbc:DescriptionCode>"),
        ),
        c("BR-CO-04", B, rm(f"{LINE1}//cac:ClassifiedTaxCategory")),
        c("BR-CO-09", B, txt(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "1232434")),
        c("BR-CO-10", B, shift(f"{TOTALS}/cbc:LineExtensionAmount", "0.01")),
        c("BR-CO-11", A, shift(f"{TOTALS}/cbc:AllowanceTotalAmount", "0.01")),
        c("BR-CO-12", A, shift(f"{TOTALS}/cbc:ChargeTotalAmount", "0.01")),
        c("BR-CO-13", B, shift(f"{TOTALS}/cbc:TaxExclusiveAmount", "0.01")),
        c("BR-CO-14", B, shift("/*/cac:TaxTotal/cbc:TaxAmount", "0.01")),
        c(
            "BR-CO-15",
            B,
            shift(f"{TOTALS}/cbc:TaxInclusiveAmount", "0.01"),
            shift(f"{TOTALS}/cbc:PayableAmount", "0.01"),
        ),
        c("BR-CO-16", B, shift(f"{TOTALS}/cbc:PayableAmount", "0.01")),
        c("BR-CO-16", CN, shift(f"{TOTALS}/cbc:PayableAmount", "-0.01"), note="credit-note"),
        c("BR-CO-17", B, shift(f"{SUB1}/cbc:TaxAmount", "5")),
        c("BR-CO-18", B, rm("//cac:TaxSubtotal")),
        c("BR-CO-19", A, rm("/*/cac:InvoicePeriod/*")),
        c("BR-CO-20", B, add(LINE1, "<cac:InvoicePeriod/>")),
        c(
            "BR-CO-21",
            A,
            rm(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReason"),
            rm(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReasonCode"),
            note="allowance",
        ),
        c(
            "BR-CO-22",
            A,
            rm(f"{DOC_CHARGE}/cbc:AllowanceChargeReason"),
            rm(f"{DOC_CHARGE}/cbc:AllowanceChargeReasonCode"),
            note="charge",
        ),
        c(
            "BR-CO-23",
            A,
            rm(f"{LINE_ALLOWANCE}/cbc:AllowanceChargeReason"),
            rm(f"{LINE_ALLOWANCE}/cbc:AllowanceChargeReasonCode"),
            note="line",
        ),
        c(
            "BR-CO-24",
            A,
            rm(f"{LINE_CHARGE}/cbc:AllowanceChargeReason"),
            rm(f"{LINE_CHARGE}/cbc:AllowanceChargeReasonCode"),
            note="line",
        ),
        c(
            "BR-CO-26",
            B,
            rm(f"{SELLER}/cac:PartyTaxScheme"),
            rm(f"{SELLER}/cac:PartyIdentification"),
            rm(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID"),
        ),
    ]


def _dec_cases() -> list[Case]:
    def third(expr: str) -> Mutation:
        def apply(root: etree._Element) -> None:
            el = _xp(root, expr)[0]
            whole, _, frac = (el.text or "").strip().partition(".")
            el.text = f"{whole}.{(frac + '00')[:2]}1"

        return apply

    c = _doc
    return [
        c("BR-DEC-01", A, third(f"{DOC_ALLOWANCE}/cbc:Amount")),
        c(
            "BR-DEC-02",
            A,
            add(DOC_ALLOWANCE, '<cbc:BaseAmount currencyID="EUR">1</cbc:BaseAmount>'),
            third(f"{DOC_ALLOWANCE}/cbc:BaseAmount"),
        ),
        c("BR-DEC-05", A, third(f"{DOC_CHARGE}/cbc:Amount")),
        c("BR-DEC-06", A, third(f"{DOC_CHARGE}/cbc:BaseAmount")),
        c("BR-DEC-09", B, third(f"{TOTALS}/cbc:LineExtensionAmount")),
        c("BR-DEC-10", A, third(f"{TOTALS}/cbc:AllowanceTotalAmount")),
        c("BR-DEC-11", A, third(f"{TOTALS}/cbc:ChargeTotalAmount")),
        c("BR-DEC-12", B, third(f"{TOTALS}/cbc:TaxExclusiveAmount")),
        c("BR-DEC-13", B, third("/*/cac:TaxTotal/cbc:TaxAmount"), fires=False),
        c("BR-DEC-14", B, third(f"{TOTALS}/cbc:TaxInclusiveAmount")),
        c(
            "BR-DEC-15",
            A,
            third("/*/cac:TaxTotal[cbc:TaxAmount/@currencyID='SEK']/cbc:TaxAmount"),
            fires=False,
        ),
        c("BR-DEC-16", A, third(f"{TOTALS}/cbc:PrepaidAmount")),
        c(
            "BR-DEC-17",
            B,
            add(
                TOTALS,
                '<cbc:PayableRoundingAmount currencyID="EUR">0.001</cbc:PayableRoundingAmount>',
            ),
        ),
        c("BR-DEC-18", B, third(f"{TOTALS}/cbc:PayableAmount")),
        c("BR-DEC-19", B, third(f"{SUB1}/cbc:TaxableAmount")),
        c("BR-DEC-20", B, third(f"{SUB1}/cbc:TaxAmount")),
        c("BR-DEC-23", B, third(f"{LINE1}/cbc:LineExtensionAmount")),
        c("BR-DEC-24", A, third(f"{LINE_ALLOWANCE}/cbc:Amount")),
        c(
            "BR-DEC-25",
            A,
            add(LINE_ALLOWANCE, '<cbc:BaseAmount currencyID="EUR">1</cbc:BaseAmount>'),
            third(f"{LINE_ALLOWANCE}/cbc:BaseAmount"),
        ),
        c("BR-DEC-27", A, third(f"{LINE_CHARGE}/cbc:Amount")),
        c("BR-DEC-28", A, third(f"{LINE_CHARGE}/cbc:BaseAmount")),
    ]


# (family, code, a valid rate for the category, a rate that breaks -05..-07, needs reason)
_FAMILIES = (
    ("BR-S", "S", "25", "0", False),
    ("BR-Z", "Z", "0", "25", False),
    ("BR-E", "E", "0", "25", True),
    ("BR-AE", "AE", "0", "25", True),
    ("BR-IC", "K", "0", "25", True),
    ("BR-G", "G", "0", "25", True),
    ("BR-AF", "L", "7", "-1", False),
    ("BR-AG", "M", "4", "-1", False),
    ("BR-O", "O", None, "0", True),
)


def _category_cases() -> list[Case]:
    out: list[Case] = []
    line_cat = f"{LINE1}//cac:ClassifiedTaxCategory"
    charge_cat = f"{DOC_CHARGE}/cac:TaxCategory"
    allowance_cat = f"{DOC_ALLOWANCE}/cac:TaxCategory"
    no_seller_ids = (rm(f"{SELLER}/cac:PartyTaxScheme"),)
    for fam, code, rate, bad_rate, reason in _FAMILIES:
        conv = as_category(code, rate, reason=reason)

        def ids(cat_path: str, code: str = code) -> tuple[Mutation, ...]:
            if code == "O":  # O must not carry VAT identifiers, and the base has them
                return ()
            return (txt(f"{cat_path}/cbc:ID", code), *no_seller_ids)

        def bad(cat_path: str, bad_rate: str = bad_rate, code: str = code) -> Mutation:
            if code == "O":  # no rate at all is allowed
                return add(cat_path, f"<cbc:Percent>{bad_rate}</cbc:Percent>")
            return txt(f"{cat_path}/cbc:Percent", bad_rate)

        first = (
            (txt(f"{SUB1}/cac:TaxCategory/cbc:ID", "Z"),)
            if code == "S"
            else (txt(f"{line_cat}/cbc:ID", code),)
        )
        out += [
            _doc(f"{fam}-01", B, *first),
            _doc(f"{fam}-02", B, conv, *ids(line_cat)),
            _doc(f"{fam}-03", A, as_category(code, rate, reason=reason), *ids(allowance_cat)),
            _doc(f"{fam}-04", A, as_category(code, rate, reason=reason), *ids(charge_cat)),
            _doc(f"{fam}-05", B, conv, bad(line_cat)),
            _doc(f"{fam}-06", A, as_category(code, rate, reason=reason), bad(allowance_cat)),
            _doc(f"{fam}-07", A, as_category(code, rate, reason=reason), bad(charge_cat)),
            _doc(f"{fam}-08", B, conv, shift(f"{SUB1}/cbc:TaxableAmount", "5")),
            _doc(f"{fam}-09", B, conv, shift(f"{SUB1}/cbc:TaxAmount", "7")),
            _doc(
                f"{fam}-09",
                B,
                conv,
                rm(f"{SUB1}/cbc:TaxableAmount"),
                shift(f"{SUB1}/cbc:TaxAmount", "7"),
                note="no-taxable",
            ),
            _doc(f"{fam}-10", B, as_category(code, rate, reason=not reason)),
            _doc(
                f"{fam}-10",
                B,
                conv,
                rm(f"{SUB1}/cbc:TaxableAmount"),
                as_category(code, rate, reason=not reason),
                note="no-taxable",
            ),
        ]
    k = as_category("K", "0", reason=True)
    out += [
        _doc("BR-IC-11", B, k, rm("/*/cac:Delivery/cbc:ActualDeliveryDate")),
        _doc("BR-IC-12", B, k, rm("/*/cac:Delivery/cac:DeliveryLocation")),
        _doc(
            "BR-O-11",
            A,
            as_category("O", None, reason=True),
            txt("(//cac:TaxSubtotal)[2]/cac:TaxCategory/cbc:ID", "S"),
        ),
        _doc("BR-O-12", B, as_category("O", None, reason=True), txt(f"{line_cat}/cbc:ID", "S")),
        _doc(
            "BR-O-13", A, as_category("O", None, reason=True), txt(f"{allowance_cat}/cbc:ID", "S")
        ),
        _doc("BR-O-14", A, as_category("O", None, reason=True), txt(f"{charge_cat}/cbc:ID", "S")),
        # A document charge in category G whose tax category names no tax scheme is still
        # summed into the G breakdown by CEN's rules: BR-G-08 holds.
        _doc(
            "BR-G-08",
            B,
            as_category("G", "0", reason=True),
            rm(f"{charge_cat}/cac:TaxScheme"),
            note="charge-without-scheme",
            fires=False,
        ),
        _doc(
            "BR-G-08",
            A,
            as_category("G", "0", reason=True),
            rm("(//cac:TaxSubtotal)[2]"),
            txt(f"{SUB1}/cbc:TaxableAmount", "5900"),
            rm(f"{allowance_cat}/cac:TaxScheme"),
            note="allowance-without-scheme",
            fires=False,
        ),
    ]
    return out


def _code_list_cases() -> list[Case]:
    c = _doc
    e_sub = "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='E']/cac:TaxCategory"
    return [
        c("BR-CL-01", B, txt("/*/cbc:InvoiceTypeCode", "999")),
        c("BR-CL-01", CN, txt("/*/cbc:CreditNoteTypeCode", "380"), note="credit-note"),
        c("BR-CL-03", B, attr(f"{TOTALS}/cbc:PayableAmount", "currencyID", "XXQ")),
        c("BR-CL-04", B, txt("/*/cbc:DocumentCurrencyCode", "XXQ")),
        c("BR-CL-05", A, txt("/*/cbc:TaxCurrencyCode", "XXQ")),
        c(
            "BR-CL-06",
            A,
            add("/*/cac:InvoicePeriod", "<cbc:DescriptionCode>99</cbc:DescriptionCode>"),
        ),
        c(
            "BR-CL-07",
            A,
            attr("(/*/cac:AdditionalDocumentReference)[1]/cbc:ID", "schemeID", NOT_A_CODE),
        ),
        c("BR-CL-08", B, add("/*", f"<cbc:Note>#{NOT_A_CODE}#A note</cbc:Note>")),
        c("BR-CL-10", B, attr(f"{BUYER}/cac:PartyIdentification/cbc:ID", "schemeID", "9999")),
        c(
            "BR-CL-10",
            B,
            attr(f"{BUYER}/cac:PartyIdentification/cbc:ID", "schemeID", "SEPA"),
            note="sepa-for-the-buyer",
        ),
        c("BR-CL-11", B, attr(f"{BUYER}/cac:PartyLegalEntity/cbc:CompanyID", "schemeID", "9999")),
        c("BR-CL-13", B, attr("(//cbc:ItemClassificationCode)[1]", "listID", NOT_A_CODE)),
        c(
            "BR-CL-14",
            B,
            txt(f"{SELLER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "QQ"),
        ),
        c("BR-CL-15", B, txt("(//cac:OriginCountry/cbc:IdentificationCode)[1]", "QQ")),
        c("BR-CL-16", B, txt("//cac:PaymentMeans/cbc:PaymentMeansCode", "999")),
        c("BR-CL-17", B, txt(f"{SUB1}/cac:TaxCategory/cbc:ID", "Q")),
        c("BR-CL-18", B, txt(f"{LINE1}//cac:ClassifiedTaxCategory/cbc:ID", "Q")),
        c("BR-CL-19", A, txt(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReasonCode", "999")),
        c("BR-CL-20", A, txt(f"{DOC_CHARGE}/cbc:AllowanceChargeReasonCode", NOT_A_CODE)),
        c("BR-CL-21", B, attr("(//cac:StandardItemIdentification/cbc:ID)[1]", "schemeID", "9999")),
        c(
            "BR-CL-22",
            A,
            add(
                e_sub,
                "<cbc:TaxExemptionReasonCode>VATEX-Q</cbc:TaxExemptionReasonCode>",
                first=True,
            ),
        ),
        c("BR-CL-23", B, attr(f"{LINE1}/cbc:InvoicedQuantity", "unitCode", NOT_A_CODE)),
        c("BR-CL-24", B, add("/*", _ATTACHMENT.replace("application/pdf", "text/xml"))),
        c("BR-CL-25", B, attr(f"{SELLER}/cbc:EndpointID", "schemeID", "9999")),
        c("BR-CL-26", B, attr("//cac:DeliveryLocation/cbc:ID", "schemeID", "9999")),
    ]


_FOREIGN_TAX = (
    "<cac:PartyTaxScheme><cbc:CompanyID>T{n}</cbc:CompanyID><cac:TaxScheme><cbc:ID>TAX</cbc:ID>"
    "</cac:TaxScheme></cac:PartyTaxScheme>"
)


def _twice(fragment: str) -> str:
    return fragment + fragment


def _syntax_cases() -> list[Case]:
    c = _doc
    payee = add("/*", _PAYEE)
    rep = add("/*", _TAX_REP)
    pm = "(//cac:PaymentMeans)[1]"
    return [
        c("UBL-SR-01", A, dup("/*/cac:ContractDocumentReference/cbc:ID")),
        c(
            "UBL-SR-02",
            B,
            add(
                "/*",
                _twice(
                    "<cac:ReceiptDocumentReference><cbc:ID>R</cbc:ID>"
                    "</cac:ReceiptDocumentReference>"
                ),
            ),
        ),
        c(
            "UBL-SR-03",
            B,
            add(
                "/*",
                _twice(
                    "<cac:DespatchDocumentReference><cbc:ID>D</cbc:ID>"
                    "</cac:DespatchDocumentReference>"
                ),
            ),
        ),
        c("UBL-SR-04", A, dup("/*/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']")),
        c("UBL-SR-05", B, dup("/*/cac:PaymentTerms/cbc:Note")),
        c(
            "UBL-SR-06",
            B,
            add(
                "/*",
                "<cac:BillingReference>"
                + _twice(
                    "<cac:InvoiceDocumentReference><cbc:ID>I</cbc:ID>"
                    "</cac:InvoiceDocumentReference>"
                )
                + "</cac:BillingReference>",
            ),
        ),
        c(
            "UBL-SR-07",
            B,
            add(
                "/*",
                "<cac:BillingReference><cac:SelfBilledInvoiceDocumentReference>"
                "<cbc:ID>S</cbc:ID></cac:SelfBilledInvoiceDocumentReference>"
                "</cac:BillingReference>",
            ),
        ),
        c("UBL-SR-08", A, dup("/*/cac:InvoicePeriod")),
        c(
            "UBL-SR-09",
            B,
            dup(f"{SELLER}/cac:PartyLegalEntity/cbc:RegistrationName"),
            official_fails=True,
        ),
        c("UBL-SR-10", B, dup(f"{SELLER}/cac:PartyName")),
        c("UBL-SR-11", B, dup(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID")),
        c("UBL-SR-12", B, dup(f"{SELLER}/cac:PartyTaxScheme")),
        c(
            "UBL-SR-13",
            B,
            add(SELLER, _FOREIGN_TAX.format(n=1)),
            add(SELLER, _FOREIGN_TAX.format(n=2)),
        ),
        c(
            "UBL-SR-14",
            B,
            add(
                f"{SELLER}/cac:PartyLegalEntity",
                _twice("<cbc:CompanyLegalForm>Ltd</cbc:CompanyLegalForm>"),
            ),
        ),
        c(
            "UBL-SR-15",
            B,
            dup(f"{BUYER}/cac:PartyLegalEntity/cbc:RegistrationName"),
            official_fails=True,
        ),
        c("UBL-SR-16", B, dup(f"{BUYER}/cac:PartyIdentification")),
        c("UBL-SR-17", B, dup(f"{BUYER}/cac:PartyLegalEntity/cbc:CompanyID")),
        c("UBL-SR-18", B, dup(f"{BUYER}/cac:PartyTaxScheme")),
        c("UBL-SR-19", B, payee, dup("//cac:PayeeParty/cac:PartyName")),
        c(
            "UBL-SR-19",
            B,
            payee,
            txt("//cac:PayeeParty/cac:PartyName/cbc:Name", "SupplierOfficialName Ltd"),
            note="payee-is-the-seller",
        ),
        c("UBL-SR-20", B, payee, dup("//cac:PayeeParty/cac:PartyIdentification")),
        c("UBL-SR-21", B, payee, dup("//cac:PayeeParty/cac:PartyLegalEntity/cbc:CompanyID")),
        c(
            "UBL-SR-22",
            B,
            rep,
            dup("//cac:TaxRepresentativeParty/cac:PartyName"),
            official_fails=True,
        ),
        c("UBL-SR-23", B, rep, dup("//cac:TaxRepresentativeParty/cac:PartyTaxScheme")),
        c("UBL-SR-24", B, dup("/*/cac:Delivery")),
        c("UBL-SR-25", B, dup("//cac:DeliveryParty/cac:PartyName")),
        c("UBL-SR-26", B, dup(f"{pm}/cbc:PaymentID")),
        c("UBL-SR-27", B, dup(f"{pm}/cbc:PaymentMeansCode"), official_fails=True),
        c(
            "UBL-SR-28",
            B,
            add(
                pm,
                "<cac:PaymentMandate><cbc:ID>M1</cbc:ID><cbc:ID>M2</cbc:ID></cac:PaymentMandate>",
            ),
        ),
        c(
            "UBL-SR-29",
            B,
            attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "SEPA"),
            add(
                SELLER,
                "<cac:PartyIdentification><cbc:ID schemeID='SEPA'>X</cbc:ID>"
                "</cac:PartyIdentification>",
            ),
        ),
        c("UBL-SR-30", A, dup(f"{DOC_ALLOWANCE}/cbc:AllowanceChargeReason")),
        c("UBL-SR-31", A, dup(f"{DOC_CHARGE}/cbc:AllowanceChargeReason")),
        c("UBL-SR-32", A, dup("//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason")),
        c("UBL-SR-33", A, dup("//cac:AdditionalDocumentReference/cbc:DocumentDescription")),
        c("UBL-SR-34", A, dup("(//cac:InvoiceLine)[1]/cbc:Note")),
        c("UBL-SR-35", B, add(f"{LINE1}/cac:OrderLineReference", "<cbc:LineID>2</cbc:LineID>")),
        c(
            "UBL-SR-36",
            B,
            add(
                LINE1,
                _twice(
                    "<cac:InvoicePeriod><cbc:StartDate>2017-01-01"
                    "</cbc:StartDate></cac:InvoicePeriod>"
                ),
            ),
        ),
        c("UBL-SR-37", A, dup("(//cac:Price/cac:AllowanceCharge/cbc:Amount)[1]")),
        c(
            "UBL-SR-39",
            B,
            add("/*", _twice("<cac:ProjectReference><cbc:ID>P</cbc:ID></cac:ProjectReference>")),
        ),
        c("UBL-SR-40", B, dup(f"{BUYER}/cac:PartyName")),
        c("UBL-SR-42", B, add(SELLER, _FOREIGN_TAX.format(n=1) + _FOREIGN_TAX.format(n=2))),
        c(
            "UBL-SR-43",
            A,
            add(
                "(/*/cac:AdditionalDocumentReference)[2]",
                "<cbc:DocumentTypeCode>916</cbc:DocumentTypeCode>",
            ),
        ),
        c("UBL-SR-44", B, dup(pm), txt("(//cac:PaymentMeans)[2]/cbc:PaymentID", "Other")),
        c("UBL-SR-45", B, add(pm, _twice("<cbc:PaymentDueDate>2017-12-01</cbc:PaymentDueDate>"))),
        c("UBL-SR-46", B, dup(pm)),
        c("UBL-SR-47", B, dup(pm), txt("(//cac:PaymentMeans)[2]/cbc:PaymentMeansCode", "58")),
        c("UBL-SR-48", B, dup(f"{LINE1}/cac:Item/cac:ClassifiedTaxCategory")),
        c(
            "UBL-SR-49",
            A,
            add("/*/cac:InvoicePeriod", _twice("<cbc:DescriptionCode>35</cbc:DescriptionCode>")),
        ),
        c("UBL-SR-50", B, dup(f"{LINE1}/cac:Item/cbc:Description")),
        c(
            "UBL-SR-51",
            B,
            add(
                f"{SELLER}/cac:PostalAddress",
                _twice("<cac:AddressLine><cbc:Line>L</cbc:Line></cac:AddressLine>"),
            ),
        ),
        c(
            "UBL-SR-52",
            B,
            add(
                LINE1,
                _twice(
                    "<cac:DocumentReference><cbc:ID>D</cbc:ID>"
                    "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>"
                    "</cac:DocumentReference>"
                ),
            ),
        ),
        c(
            "UBL-SR-53",
            B,
            add(
                BUYER,
                "<cac:PartyTaxScheme><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
                "</cac:TaxScheme></cac:PartyTaxScheme>",
            ),
        ),
        c(
            "UBL-SR-54",
            B,
            add(
                pm,
                _twice(
                    "<cac:CardAccount><cbc:PrimaryAccountNumberID>1234"
                    "</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA"
                    "</cbc:NetworkID></cac:CardAccount>"
                ),
            ),
        ),
        c(
            "UBL-SR-55",
            B,
            add(pm, _twice("<cac:PaymentMandate><cbc:ID>M</cbc:ID></cac:PaymentMandate>")),
        ),
        c(
            "UBL-SR-56",
            B,
            add(
                "/*",
                _twice(
                    "<cac:OriginatorDocumentReference><cbc:ID>O</cbc:ID>"
                    "</cac:OriginatorDocumentReference>"
                ),
            ),
        ),
        c("UBL-DT-01", B, txt("/*/cac:TaxTotal/cbc:TaxAmount", "331.250")),
        c("UBL-DT-06", B, add("/*", _ATTACHMENT.replace('mimeCode="application/pdf" ', ""))),
        c("UBL-DT-07", B, add("/*", _ATTACHMENT.replace(' filename="a.pdf"', ""))),
        c(
            "UBL-CR-666",
            A,
            add(
                "/*/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']",
                "<cac:Attachment><cac:ExternalReference><cbc:URI>u</cbc:URI>"
                "</cac:ExternalReference></cac:Attachment>",
            ),
        ),
        c(
            "UBL-CR-673",
            A,
            add(
                "/*/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']",
                "<cbc:DocumentDescription>d</cbc:DocumentDescription>",
            ),
        ),
    ]


def ubl_cases() -> list[Case]:
    """Every generated UBL case, in rule order."""
    return _core_cases() + _dec_cases() + _category_cases() + _code_list_cases() + _syntax_cases()


# --- CII ------------------------------------------------------------------------------

CII_BASE = "en16931/cii/examples/CII_example4.xml"  # two standard rates, three lines
CII_ALLOWANCES = "en16931/cii/examples/CII_example2.xml"  # allowances and charges
X4, X2 = CII_BASE, CII_ALLOWANCES
_TX = "/*/rsm:SupplyChainTradeTransaction"
_AGR = f"{_TX}/ram:ApplicableHeaderTradeAgreement"
_STL = f"{_TX}/ram:ApplicableHeaderTradeSettlement"
_SUM = f"{_STL}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_LINE = f"({_TX}/ram:IncludedSupplyChainTradeLineItem)[1]"
_CSELLER = f"{_AGR}/ram:SellerTradeParty"
_CBUYER = f"{_AGR}/ram:BuyerTradeParty"
_HTAX = f"({_STL}/ram:ApplicableTradeTax)[1]"
_CII_CATEGORIES = "//ram:ApplicableTradeTax | //ram:CategoryTradeTax"


def cii_as_category(code: str, rate: str | None, *, reason: bool) -> Mutation:
    """`as_category` for CII: every trade tax becomes `code` with `rate` (None: no rate)."""

    def apply(root: etree._Element) -> None:
        ram = NS["ram"]
        for tax in _xp(root, _CII_CATEGORIES):
            tax.find(f"{{{ram}}}CategoryCode").text = code  # type: ignore[union-attr]
            percent = tax.find(f"{{{ram}}}RateApplicablePercent")
            if rate is None and percent is not None:
                tax.remove(percent)
            elif rate is not None and percent is not None:
                percent.text = rate
            if reason and tax.find(f"{{{ram}}}CalculatedAmount") is not None:
                el = etree.SubElement(tax, f"{{{ram}}}ExemptionReason")
                el.text = "Exempt"
        if rate is None or Decimal(rate) == 0:
            for amount in _xp(
                root,
                f"{_STL}/ram:ApplicableTradeTax/ram:CalculatedAmount | {_SUM}/ram:TaxTotalAmount",
            ):
                amount.text = "0"
            summary = _xp(root, _SUM)[0]
            basis = summary.findtext(f"{{{ram}}}TaxBasisTotalAmount") or "0"
            prepaid = Decimal(summary.findtext(f"{{{ram}}}TotalPrepaidAmount") or "0")
            summary.find(f"{{{ram}}}GrandTotalAmount").text = basis  # type: ignore[union-attr]
            due = summary.find(f"{{{ram}}}DuePayableAmount")
            due.text = str(Decimal(basis) - prepaid)  # type: ignore[union-attr]

    return apply


def _cii_core_cases() -> list[Case]:
    c = _doc
    return [
        c("BR-01", X4, rm("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")),
        c("BR-02", X4, rm("/*/rsm:ExchangedDocument/ram:ID")),
        c("BR-03", X4, rm("/*/rsm:ExchangedDocument/ram:IssueDateTime")),
        c("BR-04", X4, rm("/*/rsm:ExchangedDocument/ram:TypeCode")),
        c("BR-05", X4, rm(f"{_STL}/ram:InvoiceCurrencyCode")),
        c("BR-06", X4, rm(f"{_CSELLER}/ram:Name")),
        c("BR-07", X4, rm(f"{_CBUYER}/ram:Name")),
        c("BR-08", X4, rm(f"{_CSELLER}/ram:PostalTradeAddress")),
        c("BR-09", X4, rm(f"{_CSELLER}/ram:PostalTradeAddress/ram:CountryID")),
        c("BR-10", X4, rm(f"{_CBUYER}/ram:PostalTradeAddress")),
        c("BR-11", X4, rm(f"{_CBUYER}/ram:PostalTradeAddress/ram:CountryID")),
        c("BR-12", X4, rm(f"{_SUM}/ram:LineTotalAmount")),
        c("BR-13", X4, rm(f"{_SUM}/ram:TaxBasisTotalAmount")),
        c("BR-14", X4, rm(f"{_SUM}/ram:GrandTotalAmount")),
        c("BR-15", X4, rm(f"{_SUM}/ram:DuePayableAmount")),
        c("BR-16", X4, rm(f"{_TX}/ram:IncludedSupplyChainTradeLineItem")),
        c("BR-21", X4, rm(f"{_LINE}/ram:AssociatedDocumentLineDocument/ram:LineID")),
        c("BR-22", X4, rm(f"{_LINE}//ram:BilledQuantity")),
        c("BR-24", X4, rm(f"{_LINE}//ram:LineTotalAmount")),
        c("BR-25", X4, rm(f"{_LINE}/ram:SpecifiedTradeProduct/ram:Name")),
        c("BR-26", X4, rm(f"{_LINE}//ram:NetPriceProductTradePrice")),
        c("BR-27", X4, txt(f"{_LINE}//ram:NetPriceProductTradePrice/ram:ChargeAmount", "-1")),
        c("BR-45", X4, rm(f"{_HTAX}/ram:BasisAmount")),
        c("BR-46", X4, rm(f"{_HTAX}/ram:CalculatedAmount")),
        c("BR-47", X4, rm(f"{_HTAX}/ram:CategoryCode")),
        c("BR-48", X4, rm(f"{_HTAX}/ram:RateApplicablePercent")),
        c("BR-CO-10", X4, shift(f"{_SUM}/ram:LineTotalAmount", "0.01")),
        c("BR-CO-13", X4, shift(f"{_SUM}/ram:TaxBasisTotalAmount", "0.01")),
        c(
            "BR-CO-15",
            X4,
            shift(f"{_SUM}/ram:GrandTotalAmount", "0.01"),
            shift(f"{_SUM}/ram:DuePayableAmount", "0.01"),
        ),
        c("BR-CO-16", X4, shift(f"{_SUM}/ram:DuePayableAmount", "0.01")),
        c("BR-CO-17", X4, shift(f"{_HTAX}/ram:CalculatedAmount", "5")),
        c("BR-CO-18", X4, rm(f"{_STL}/ram:ApplicableTradeTax")),
        c("BR-DEC-23", X4, txt(f"{_LINE}//ram:LineTotalAmount", "1000.001")),
    ]


def _cii_category_cases() -> list[Case]:
    out: list[Case] = []
    line_tax = f"{_LINE}/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    no_seller_ids = rm(f"{_CSELLER}/ram:SpecifiedTaxRegistration")
    for fam, code, rate, bad_rate, reason in _FAMILIES:
        conv = cii_as_category(code, rate, reason=reason)
        if code == "S":  # one standard rated line, no standard rated breakdown
            first: tuple[Mutation, ...] = (
                txt(f"{_STL}/ram:ApplicableTradeTax/ram:CategoryCode", "Z", every=True),
                txt(
                    f"({_TX}/ram:IncludedSupplyChainTradeLineItem)[position() > 1]"
                    "//ram:ApplicableTradeTax/ram:CategoryCode",
                    "Z",
                    every=True,
                ),
            )
        elif code == "O":  # a breakdown for a category nothing is in
            first = (txt(f"{_HTAX}/ram:CategoryCode", "O"),)
        else:
            first = (txt(f"{line_tax}/ram:CategoryCode", code),)
        # The pinned CII binding of BR-AF/AG-08 and -09 cannot fail (see checks.py).
        unbound = code in ("L", "M")
        bad = (
            add(line_tax, f"<ram:RateApplicablePercent>{bad_rate}</ram:RateApplicablePercent>")
            if code == "O"
            else txt(f"{line_tax}/ram:RateApplicablePercent", bad_rate)
        )
        out += [
            _doc(f"{fam}-01", X4, *first),
            _doc(f"{fam}-02", X4, conv, *(() if code == "O" else (no_seller_ids,))),
            _doc(f"{fam}-05", X4, conv, bad),
            _doc(f"{fam}-08", X4, conv, shift(f"{_HTAX}/ram:BasisAmount", "5"), fires=not unbound),
            _doc(
                f"{fam}-09",
                X4,
                conv,
                shift(f"{_HTAX}/ram:CalculatedAmount", "7"),
                fires=not unbound,
            ),
            _doc(f"{fam}-10", X4, cii_as_category(code, rate, reason=not reason)),
        ]
    k = cii_as_category("K", "0", reason=True)
    out += [
        _doc(
            "BR-IC-11",
            X4,
            k,
            rm(f"{_TX}/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent"),
        ),
        _doc("BR-IC-12", X4, k, rm(f"{_TX}/ram:ApplicableHeaderTradeDelivery/*")),
    ]
    return out


def _cii_syntax_cases() -> list[Case]:
    c = _doc
    ac = f"({_STL}/ram:SpecifiedTradeAllowanceCharge)[1]"
    pm = f"({_STL}/ram:SpecifiedTradeSettlementPaymentMeans)[1]"
    return [
        c("CII-SR-463", X2, rm(f"{ac}/ram:ChargeIndicator")),
        c(
            "CII-SR-465",
            X4,
            add(
                f"{_CSELLER}/ram:DefinedTradeContact",
                "<ram:DepartmentName>Sales</ram:DepartmentName>",
                first=True,
            ),
        ),
        c(
            "CII-SR-466",
            X4,
            add(
                f"{_CBUYER}/ram:DefinedTradeContact",
                "<ram:DepartmentName>Buying</ram:DepartmentName>",
                first=True,
            ),
        ),
        c(
            "CII-SR-467",
            X4,
            txt(f"({_STL}/ram:SpecifiedTradeSettlementPaymentMeans)[2]/ram:TypeCode", "58"),
        ),
        c(
            "CII-SR-468",
            X4,
            add(pm, "<ram:Information>One</ram:Information>"),
            add(
                f"({_STL}/ram:SpecifiedTradeSettlementPaymentMeans)[2]",
                "<ram:Information>Two</ram:Information>",
            ),
        ),
        c("CII-SR-469", X4, dup(f"{_STL}/ram:PaymentReference")),
        c(
            "CII-SR-470",
            X4,
            add(
                f"{pm}/ram:PayeePartyCreditorFinancialAccount",
                "<ram:ProprietaryID>123</ram:ProprietaryID>",
            ),
        ),
        c("CII-SR-471", X2, dup(f"{ac}/ram:CategoryTradeTax")),
        c(
            "CII-SR-472",
            X2,
            add(ac, _twice("<ram:RateApplicablePercent>1</ram:RateApplicablePercent>")),
        ),
        c("CII-SR-473", X2, dup(f"{ac}/ram:ActualAmount"), official_fails=True),
    ]


def cii_cases() -> list[Case]:
    """Every generated CII case."""
    return _cii_core_cases() + _cii_category_cases() + _cii_syntax_cases()
