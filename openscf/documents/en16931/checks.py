"""The EN 16931 checks: every business rule, run over the semantic model.

One set of rules for both syntaxes. Rule ids and texts are the official ones of the
CEN/TC 434 validation artefacts (`rule_texts`). Where the official UBL and CII bindings
of a rule differ in their arithmetic tolerance, the binding of the document's own syntax
(`Model.syntax`) is followed. Arithmetic is `Decimal` only, with XPath's rounding where
the official rules round.

May import: `openscf.documents.en16931.model`, `openscf.documents.en16931.rule_texts`,
`openscf.documents.xml` (element paths for findings) and the standard library. Not the
bindings: the checks never look at a syntax, only at the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from openscf.documents.en16931.model import AllowanceCharge, El, Line, Model, VatBreakdown
from openscf.documents.en16931.rule_texts import (
    CODE_LISTS,
    MESSAGES,
    NOTE_SUBJECTS_TEXT,
    WARNING_RULES,
)
from openscf.documents.xml import element_path

__all__ = ["RULE_IDS", "Finding", "Severity", "check_model", "rule_ids_of"]

Severity = Literal["fatal", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that a document breaks."""

    rule_id: str
    severity: Severity
    location: str
    message: str


_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_HALF = Decimal("0.5")

# ISO 3166-1 alpha-2 prefixes accepted for VAT identifiers (BR-CO-09), plus EL and XI.
_VAT_PREFIXES = frozenset(
    [
        "1A",
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AN",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "EL",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "XI",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)

# VAT categories checked by the category rule families, with their family prefix.
_CATEGORY_FAMILY = {
    "S": "BR-S",
    "Z": "BR-Z",
    "E": "BR-E",
    "AE": "BR-AE",
    "K": "BR-IC",
    "G": "BR-G",
    "L": "BR-AF",
    "M": "BR-AG",
    "O": "BR-O",
}
# Categories that carry a rate and a computed tax amount (no exemption reason): standard
# rate, Canary Islands IGIC (L) and Ceuta/Melilla IPSI (M).
_RATED_CATEGORIES = frozenset({"S", "L", "M"})
# Categories whose breakdown must not give an exemption reason (the others must).
_NO_EXEMPTION = _RATED_CATEGORIES | {"Z"}

RULE_IDS: tuple[str, ...] = tuple(r for r in MESSAGES if r not in WARNING_RULES or r == "BR-51")
"""Every rule id this module checks: every fatal rule of CEN's published set, and the
rules it dropped that are kept here on purpose (BR-CO-25, BR-66, BR-67). BR-CO-05..08 are
declared by CEN as not machine-checkable and always pass, exactly as in the official
artefacts; so is CII-SR-464, whose published test always holds. Not checked: the rules
flagged "warning" other than BR-51 (UBL-CR-*: a UBL element EN 16931 does not use; UBL-DT-*:
how a data type is written; CII-SR-474..476), which never refuse a document."""


def _xround(x: Decimal) -> Decimal:
    """XPath `round()`: half rounds towards positive infinity."""
    return (x + _HALF).to_integral_value(rounding=ROUND_FLOOR)


def _round2(x: Decimal) -> Decimal:
    """XPath `round(x * 100) div 100`."""
    return _xround(x * _HUNDRED) / _HUNDRED


def _first(a: El | None, b: El) -> El:
    """`a` unless it is None (lxml elements without children are falsy, so no `or`)."""
    return a if a is not None else b


def _decimals(text: str | None) -> int:
    if text is None:
        return 0
    dot = text.find(".")
    return 0 if dot < 0 else len(text) - dot - 1


def _date_key(text: str | None) -> str | None:
    return text.replace("-", "")[:8] if text else None


class _Checker:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.findings: list[Finding] = []

    def fail(self, rule_id: str, el: El | None) -> None:
        where = element_path(el if el is not None else self.m.root)
        self.findings.append(
            Finding(
                rule_id=rule_id,
                severity="warning" if rule_id in WARNING_RULES else "fatal",
                location=where,
                message=f"[{rule_id}]-{MESSAGES[rule_id]}",
            )
        )

    def check(self, ok: bool, rule_id: str, el: El | None = None) -> None:
        if not ok:
            self.fail(rule_id, el)

    # -- groups of rules ------------------------------------------------------------------

    def run(self) -> list[Finding]:
        self.document()
        self.parties()
        self.totals()
        self.allowances_charges()
        self.breakdowns()
        self.lines()
        self.payments()
        self.decimals()
        for code in _CATEGORY_FAMILY:
            self.category(code)
        self.split_payment()
        self.code_lists()
        for rule, el in self.m.syntax_breaches:
            self.fail(rule, el)
        return self.findings

    def split_payment(self) -> None:
        """BR-B-01/02: Italian split payment (category B) only in Italy, never beside S."""
        categories = {v for r, v, _ in self.m.codes if r in ("BR-CL-17", "BR-CL-18")}
        if "B" not in categories:
            return
        countries = [v for r, v, _ in self.m.codes if r in ("BR-CL-14", "BR-CL-15")]
        self.check(all(c == "IT" for c in countries), "BR-B-01", self.m.root)
        self.check("S" not in categories, "BR-B-02", self.m.root)

    def code_lists(self) -> None:
        """BR-CL-*: every coded value is on its list (the bindings say where codes are)."""
        for key, value, el in self.m.codes:
            rule, _, variant = key.partition(":")
            if rule == "BR-CL-08":
                ok = value is not None and value in NOTE_SUBJECTS_TEXT
            elif rule == "BR-CL-01":
                ok = value is not None and value in CODE_LISTS[key]
            else:
                ok = value is not None and (
                    value in CODE_LISTS[rule] or (variant != "" and value in CODE_LISTS[key])
                )
            self.check(ok, rule, el)

    def document(self) -> None:
        m, root = self.m, self.m.root
        self.check(m.bt24 is not None, "BR-01", root)
        self.check(m.bt1 is not None, "BR-02", root)
        self.check(m.bt2 is not None, "BR-03", root)
        self.check(m.bt3 is not None, "BR-04", root)
        self.check(m.bt5 is not None, "BR-05", root)
        self.check(bool(m.lines), "BR-16", root)
        self.check(bool(m.breakdowns), "BR-CO-18", root)
        if m.bt6 is not None:
            self.check(any(t.currency == m.bt6 for t in m.tax_totals), "BR-53", root)
        self.check(m.card_count <= 1, "BR-66", root)
        self.check(m.mandate_count <= 1, "BR-67", root)
        if m.syntax == "ubl":
            self.check(not (m.tax_point_date and m.period_code), "BR-CO-03", root)
        else:
            for bd in m.breakdowns:
                self.check(not (bd.tax_point_date and bd.due_date_code), "BR-CO-03", bd.el)
        if m.period is not None:
            self.check(
                m.period_start is not None
                or m.period_end is not None
                or (m.syntax == "ubl" and m.period_code is not None),
                "BR-CO-19",
                m.period,
            )
            s, e = _date_key(m.period_start), _date_key(m.period_end)
            self.check(s is None or e is None or e >= s, "BR-29", m.period)
        for el, ref in m.additional_docs:
            self.check(ref is not None, "BR-52", el)
        for el, ref in m.preceding:
            self.check(ref is not None, "BR-55", el)
        for el, country in m.deliver_to:
            self.check(country is not None, "BR-57", el)

    def parties(self) -> None:
        m, root = self.m, self.m.root
        seller, buyer = m.seller, m.buyer
        self.check(seller.name is not None, "BR-06", root)
        self.check(buyer.name is not None, "BR-07", root)
        self.check(seller.postal is not None, "BR-08", root)
        if seller.postal is not None or m.syntax == "cii":
            self.check(
                seller.country is not None,
                "BR-09",
                seller.postal if seller.postal is not None else root,
            )
        self.check(buyer.postal is not None, "BR-10", root)
        if buyer.postal is not None or m.syntax == "cii":
            self.check(
                buyer.country is not None,
                "BR-11",
                buyer.postal if buyer.postal is not None else root,
            )
        if seller.endpoint is not None:
            self.check(bool(seller.endpoint_scheme), "BR-62", seller.endpoint)
        if buyer.endpoint is not None:
            self.check(bool(buyer.endpoint_scheme), "BR-63", buyer.endpoint)
        if seller.el is not None:
            self.check(bool(seller.vat_ids or seller.ids or seller.legal_id), "BR-CO-26", seller.el)
        if m.payee is not None:
            p = m.payee
            # UBL compares with the seller's trading names (PartyName), CII with its name.
            seller_names = set(seller.other_names) if m.syntax == "ubl" else {seller.name} - {None}
            different = (
                p.name is not None
                and p.name not in seller_names
                and not (set(p.ids) & set(seller.ids))
                and not (
                    m.syntax == "cii" and p.legal_id is not None and p.legal_id == seller.legal_id
                )
            )
            self.check(different, "BR-17", p.el)
        if m.tax_rep is not None:
            r = m.tax_rep
            self.check(r.name is not None, "BR-18", r.el)
            self.check(r.postal is not None, "BR-19", r.el)
            if r.postal is not None or m.syntax == "cii":
                self.check(
                    r.country is not None, "BR-20", r.postal if r.postal is not None else r.el
                )
            self.check(bool(r.vat_ids), "BR-56", r.el)
        parties = [seller, buyer] + ([m.tax_rep] if m.tax_rep is not None else [])
        for party in parties:
            for vat, el in zip(party.vat_ids, party.vat_id_els, strict=True):
                self.check(vat[:2] in _VAT_PREFIXES, "BR-CO-09", el)

    def totals(self) -> None:
        m = self.m
        el = m.totals if m.totals is not None else m.root
        self.check(m.bt106.present, "BR-12", el)
        self.check(m.bt109.present, "BR-13", el)
        self.check(m.bt112.present, "BR-14", el)
        self.check(m.bt115.present, "BR-15", el)
        v106, v107, v108 = m.bt106.value, m.bt107.value, m.bt108.value
        v109, v112, v113, v114, v115 = (
            m.bt109.value,
            m.bt112.value,
            m.bt113.value,
            m.bt114.value,
            m.bt115.value,
        )
        # An absent amount makes an arithmetic rule fail: the official rules compare with
        # an empty value, which is false.
        strict = True
        has_totals = m.totals is not None
        nets = [ln.net.value for ln in m.lines]
        line_sum = _round2(sum((n for n in nets if n is not None), _ZERO))
        if strict:
            if has_totals:
                self.check(v106 is not None and v106 == line_sum, "BR-CO-10", el)
        elif v106 is not None and all(n is not None for n in nets):
            self.check(v106 == line_sum, "BR-CO-10", el)
        doc_allowances = [a for a in m.doc_acs if not a.is_charge]
        doc_charges = [a for a in m.doc_acs if a.is_charge]
        if m.bt107.present:
            total = sum((a.amount.value or _ZERO for a in doc_allowances), _ZERO)
            self.check(v107 is not None and v107 == _round2(total), "BR-CO-11", el)
        else:
            self.check(not doc_allowances, "BR-CO-11", el)
        if m.bt108.present:
            total = sum((a.amount.value or _ZERO for a in doc_charges), _ZERO)
            self.check(v108 is not None and v108 == _round2(total), "BR-CO-12", el)
        else:
            self.check(not doc_charges, "BR-CO-12", el)
        if v109 is not None and v106 is not None:
            expected = v106 + (v108 or _ZERO) - (v107 or _ZERO)
            if m.bt107.present or m.bt108.present or not strict:
                expected = _round2(expected)
            self.check(v109 == expected, "BR-CO-13", el)
        elif strict and has_totals:
            self.fail("BR-CO-13", el)
        for tt in m.tax_totals:
            if tt.subtotal_taxes is not None and tt.amount.value is not None:
                total = sum((s.value or _ZERO for s in tt.subtotal_taxes), _ZERO)
                self.check(tt.amount.value == _round2(total), "BR-CO-14", tt.amount.el)
        if m.bt5 is not None:
            in_doc_currency = [t for t in m.tax_totals if t.currency == m.bt5]
            if v112 is not None and v109 is not None:
                if len(in_doc_currency) == 1 and in_doc_currency[0].amount.value is not None:
                    v110 = in_doc_currency[0].amount.value
                    ok = v112 == _round2(v109 + v110)
                else:
                    ok = m.syntax == "cii" and not in_doc_currency and v112 == v109
                self.check(ok, "BR-CO-15", m.root)
            elif strict:
                self.fail("BR-CO-15", m.root)
        if v115 is not None and v112 is not None:
            self.check(self._amount_due_adds_up(v112, v113, v114, v115), "BR-CO-16", el)
            if v115 > 0 and not m.is_credit_note:
                self.check(m.bt9 is not None or m.bt20, "BR-CO-25", m.bt115.el)
        elif strict and has_totals:
            self.fail("BR-CO-16", el)

    def _amount_due_adds_up(
        self, v112: Decimal, v113: Decimal | None, v114: Decimal | None, v115: Decimal
    ) -> bool:
        """BR-CO-16. The UBL binding rounds BT-112 - BT-113 only when BT-113 is given."""
        m = self.m
        unrounded = m.syntax == "ubl" and not m.bt113.present
        rhs = v112 if unrounded else _round2(v112 - (v113 or _ZERO))
        if m.bt114.present:
            return v114 is not None and _round2(v115 - v114) == rhs
        return v115 == rhs

    def allowances_charges(self) -> None:
        for ac in self.m.doc_acs:
            has_reason = ac.reason is not None or ac.reason_code is not None
            if ac.is_charge:
                self.check(ac.amount.present, "BR-36", ac.el)
                self.check(ac.category is not None, "BR-37", ac.el)
                self.check(has_reason, "BR-38", ac.el)
                self.check(has_reason, "BR-CO-22", ac.el)
            else:
                self.check(ac.amount.present, "BR-31", ac.el)
                self.check(ac.category is not None, "BR-32", ac.el)
                self.check(has_reason, "BR-33", ac.el)
                self.check(has_reason, "BR-CO-21", ac.el)

    def breakdowns(self) -> None:
        ubl_syntax = self.m.syntax == "ubl"
        for bd in self.m.breakdowns:
            self.check(bd.taxable.present, "BR-45", bd.el)
            self.check(bd.tax.present, "BR-46", bd.el)
            self.check(bd.category is not None, "BR-47", bd.el)
            self.check(bd.rate_text is not None or bd.category == "O", "BR-48", bd.el)
            tax, taxable = bd.tax.value, bd.taxable.value
            if bd.rate is not None and _xround(bd.rate) != 0:
                if tax is None or taxable is None:
                    self.fail("BR-CO-17", bd.el)
                    continue
                expected = _round2(abs(taxable) * (bd.rate / _HUNDRED))
                if ubl_syntax:
                    ok = abs(tax) - _ONE < expected < abs(tax) + _ONE
                else:
                    ok = abs(tax) - _ONE <= expected <= abs(tax) + _ONE
            else:
                ok = tax is not None and _xround(tax) == 0
            self.check(ok, "BR-CO-17", bd.el)

    def lines(self) -> None:
        for ln in self.m.lines:
            el = ln.el
            self.check(ln.line_id is not None, "BR-21", el)
            self.check(ln.has_quantity, "BR-22", el)
            self.check(ln.has_unit, "BR-23", el)
            self.check(ln.net.present, "BR-24", el)
            self.check(ln.item_name is not None, "BR-25", el)
            self.check(ln.net_price.present, "BR-26", el)
            self.check(ln.net_price.value is not None and ln.net_price.value >= 0, "BR-27", el)
            if ln.gross_price.present:
                self.check(
                    ln.gross_price.value is not None and ln.gross_price.value >= 0, "BR-28", el
                )
            self.check(ln.category is not None, "BR-CO-04", el)
            if ln.period is not None:
                s, e = _date_key(ln.period_start), _date_key(ln.period_end)
                self.check(s is None or e is None or e >= s, "BR-30", ln.period)
                self.check(s is not None or e is not None, "BR-CO-20", ln.period)
            for ac in ln.allowances:
                has_reason = ac.reason is not None or ac.reason_code is not None
                if ac.is_charge:
                    self.check(ac.amount.present, "BR-43", ac.el)
                    self.check(has_reason, "BR-44", ac.el)
                    self.check(has_reason, "BR-CO-24", ac.el)
                else:
                    self.check(ac.amount.present, "BR-41", ac.el)
                    self.check(has_reason, "BR-42", ac.el)
                    self.check(has_reason, "BR-CO-23", ac.el)
            for std, scheme in zip(ln.std_ids, ln.std_id_schemes, strict=True):
                self.check(bool(scheme), "BR-64", std)
            for cls, has_list in ln.classifications:
                self.check(has_list, "BR-65", cls)
            for attr, has_name, has_value in ln.attributes:
                self.check(has_name and has_value, "BR-54", attr)

    def payments(self) -> None:
        for pm in self.m.payment_means:
            self.check(pm.type_code is not None, "BR-49", pm.el)
            transfer = pm.type_code in ("30", "58")
            if transfer:
                self.check(any(acc is not None for _, acc in pm.accounts), "BR-61", pm.el)
                for acc_el, acc in pm.accounts:
                    self.check(acc is not None, "BR-50", acc_el)
            for card_el, pan in pm.card_pans:
                self.check(len(pan) <= 10, "BR-51", card_el)

    def decimals(self) -> None:
        m = self.m
        for ac in m.doc_acs:
            amount_rule, base_rule = (
                ("BR-DEC-05", "BR-DEC-06") if ac.is_charge else ("BR-DEC-01", "BR-DEC-02")
            )
            self.check(_decimals(ac.amount.text) <= 2, amount_rule, _first(ac.amount.el, ac.el))
            self.check(_decimals(ac.base.text) <= 2, base_rule, _first(ac.base.el, ac.el))
        for rule, amt in (
            ("BR-DEC-09", m.bt106),
            ("BR-DEC-10", m.bt107),
            ("BR-DEC-11", m.bt108),
            ("BR-DEC-12", m.bt109),
            ("BR-DEC-14", m.bt112),
            ("BR-DEC-16", m.bt113),
            ("BR-DEC-17", m.bt114),
            ("BR-DEC-18", m.bt115),
        ):
            self.check(_decimals(amt.text) <= 2, rule, amt.el)
        # CEN's UBL binding of BR-DEC-13/15 compares the amount's currency with a child of
        # the amount itself, which never exists, so in UBL these two rules never fire.
        for tt in m.tax_totals if m.syntax == "cii" else ():
            if m.bt5 is not None and tt.currency == m.bt5:
                self.check(_decimals(tt.amount.text) <= 2, "BR-DEC-13", tt.amount.el)
            elif m.bt6 is not None and tt.currency == m.bt6:
                self.check(_decimals(tt.amount.text) <= 2, "BR-DEC-15", tt.amount.el)
        for bd in m.breakdowns:
            self.check(_decimals(bd.taxable.text) <= 2, "BR-DEC-19", _first(bd.taxable.el, bd.el))
            self.check(_decimals(bd.tax.text) <= 2, "BR-DEC-20", _first(bd.tax.el, bd.el))
        for ln in m.lines:
            self.check(_decimals(ln.net.text) <= 2, "BR-DEC-23", _first(ln.net.el, ln.el))
            for ac in ln.allowances:
                amount_rule, base_rule = (
                    ("BR-DEC-27", "BR-DEC-28") if ac.is_charge else ("BR-DEC-24", "BR-DEC-25")
                )
                self.check(_decimals(ac.amount.text) <= 2, amount_rule, _first(ac.amount.el, ac.el))
                self.check(_decimals(ac.base.text) <= 2, base_rule, _first(ac.base.el, ac.el))

    def category(self, code: str) -> None:
        """The rule family of one VAT category (BR-S-*, BR-Z-*, ..., BR-AF-*, BR-AG-*, BR-O-*)."""
        m = self.m
        fam = _CATEGORY_FAMILY[code]
        lines = [ln for ln in m.lines if ln.category == code]
        allowances = [a for a in m.doc_acs if a.category == code and not a.is_charge]
        charges = [a for a in m.doc_acs if a.category == code and a.is_charge]
        bds = [b for b in m.breakdowns if b.category == code]
        used = bool(lines or allowances or charges)
        if not used and not bds:
            return
        self._category_presence(code, fam, used, bds)
        self._category_ids(code, fam, lines, allowances, charges)
        self._category_rates(code, fam, lines, allowances, charges)
        rated = code in _RATED_CATEGORIES
        # The pinned CII binding of BR-AF/AG-08 reads the rate from the wrong element and
        # its BR-AF/AG-09 test is `true()`: in CII neither can fail, so neither is checked.
        cii_unbound = m.syntax == "cii" and code in ("L", "M")
        for bd in bds:
            if cii_unbound:
                self._exemption_reason(code, fam, bd)
                continue
            self._category_taxable(code, fam, bd)
            self._category_tax(rated, fam, bd)
            self._exemption_reason(code, fam, bd)
        if code == "K":
            self.check(m.actual_delivery_date is not None or m.period_has_terms, "BR-IC-11", m.root)
            self.check(m.deliver_to_country is not None, "BR-IC-12", m.root)
        if code == "O":
            self._not_subject_to_vat(bds)

    def _category_tax(self, rated: bool, fam: str, bd: VatBreakdown) -> None:
        """-09: the tax amount, computed from the rate or zero; an absent amount fails it."""
        tax, taxable, rate = bd.tax.value, bd.taxable.value, bd.rate
        if not rated:
            self.check(tax is not None and tax == 0, f"{fam}-09", bd.el)
        elif tax is None or taxable is None or rate is None:
            self.fail(f"{fam}-09", bd.el)
        else:
            expected_tax = _round2(abs(taxable) * (rate / _HUNDRED))
            self.check(abs(tax) - 1 < expected_tax < abs(tax) + 1, f"{fam}-09", bd.el)

    def _exemption_reason(self, code: str, fam: str, bd: VatBreakdown) -> None:
        """-10: an exemption reason where the category is exempt, none where it is taxed."""
        has_reason = bd.exemption_reason is not None or bd.exemption_code is not None
        self.check(has_reason != (code in _NO_EXEMPTION), f"{fam}-10", bd.el)

    def _category_presence(self, code: str, fam: str, used: bool, bds: list[VatBreakdown]) -> None:
        """-01: the category is used if and only if it has a breakdown (S, L, M: at least
        one; the others: exactly one)."""
        m = self.m
        if m.syntax == "cii" and code in _RATED_CATEGORIES:
            # The CII binding counts: lines (or allowances and charges) of the category
            # and its breakdowns together at least two, or none of them.
            n_lines = sum(1 for ln in m.lines if ln.code_any_scheme == code)
            n_acs = sum(
                1 for ln in m.lines for a in ln.allowances if a.code_any_scheme == code
            ) + sum(1 for a in m.doc_acs if a.code_any_scheme == code)
            n_bds = len(bds)
            ok = (n_lines + n_bds >= 2 or n_lines == 0) and (n_acs + n_bds >= 2 or n_acs == 0)
            self.check(ok, f"{fam}-01", m.root)
        elif code in _RATED_CATEGORIES:
            self.check(used == bool(bds), f"{fam}-01", m.root)
        elif code == "O" and m.syntax == "cii":
            self.check(not bds or (len(bds) == 1 and used), f"{fam}-01", m.root)
        elif code == "O" or used:
            self.check(len(bds) == 1, f"{fam}-01", m.root)
        elif m.syntax == "cii":
            self.fail(f"{fam}-01", m.root)

    def _category_ids(
        self,
        code: str,
        fam: str,
        lines: list[Line],
        allowances: list[AllowanceCharge],
        charges: list[AllowanceCharge],
    ) -> None:
        """-02/-03/-04: the identifiers the category needs (O: the ones it must not have)."""
        m = self.m
        seller, buyer = m.seller, m.buyer
        rep_vat = bool(m.tax_rep and m.tax_rep.vat_ids)
        seller_tax = bool(seller.tax_ids) or rep_vat
        seller_vat = bool(seller.vat_ids) or rep_vat
        if code in ("S", "Z", "E", "L", "M"):
            ids_ok = seller_tax
        elif code == "AE":
            ids_ok = seller_tax and bool(buyer.vat_ids or buyer.legal_id)
        elif code == "K":
            ids_ok = seller_vat and bool(buyer.vat_ids)
        elif code == "G":
            ids_ok = seller_vat
        else:  # O: not subject to VAT, so no VAT identifier at all
            ids_ok = not (seller_vat or buyer.vat_ids)
        for rule, items in (
            (f"{fam}-02", lines),
            (f"{fam}-03", allowances),
            (f"{fam}-04", charges),
        ):
            for item in items:
                self.check(ids_ok, rule, item.el)

    def _category_rates(
        self,
        code: str,
        fam: str,
        lines: list[Line],
        allowances: list[AllowanceCharge],
        charges: list[AllowanceCharge],
    ) -> None:
        """-05/-06/-07: the rate (S: above zero; L, M: zero or above; O: none; others: 0)."""
        items: tuple[tuple[str, list[Line] | list[AllowanceCharge]], ...] = (
            (f"{fam}-05", lines),
            (f"{fam}-06", allowances),
            (f"{fam}-07", charges),
        )
        for rule, group in items:
            for item in group:
                rate = item.rate
                if code == "O":
                    ok = item.rate_text is None
                elif code == "S":
                    ok = rate is not None and rate > 0
                elif code in ("L", "M"):
                    ok = rate is not None and rate >= 0
                else:
                    ok = rate is not None and rate == 0
                self.check(ok, rule, item.el)

    def _category_taxable(self, code: str, fam: str, bd: VatBreakdown) -> None:
        """-08: a breakdown's taxable amount is the sum of what is in its category.

        The official rules select the lines, allowances and charges by category code alone,
        whatever their tax scheme says, so this does too (`code_any_scheme`).
        """
        m = self.m
        taxable = bd.taxable.value
        rated = code in _RATED_CATEGORIES
        if taxable is None:
            # An absent taxable amount fails (unless a rated breakdown has no rate).
            if not (rated and bd.rate is None):
                self.fail(f"{fam}-08", bd.el)
            return
        sel_lines = [ln for ln in m.lines if ln.code_any_scheme == code]
        sel_acs = [a for a in m.doc_acs if a.code_any_scheme == code]
        if rated:
            if bd.rate is None:
                return
            sel_lines = [ln for ln in sel_lines if ln.rate_any_scheme == bd.rate]
            sel_acs = [a for a in sel_acs if a.rate_any_scheme == bd.rate]
        s_lines = sum((ln.net.value or _ZERO for ln in sel_lines), _ZERO)
        s_charges = sum((a.amount.value or _ZERO for a in sel_acs if a.is_charge), _ZERO)
        s_allow = sum((a.amount.value or _ZERO for a in sel_acs if not a.is_charge), _ZERO)
        if m.syntax == "cii":
            expected = _round2(s_lines) + _round2(s_charges) - _round2(s_allow)
            ok = taxable == expected if rated else taxable - 1 <= expected < taxable + 1
        else:
            expected = s_lines + s_charges - s_allow
            if code == "S":
                ok = bool(sel_lines or sel_acs) and taxable - 1 < expected < taxable + 1
            elif rated:
                ok = bool(m.lines) and taxable - 1 < expected < taxable + 1
            else:
                ok = bool(m.lines) and taxable == expected
        self.check(ok, f"{fam}-08", bd.el)

    def _not_subject_to_vat(self, bds: list[VatBreakdown]) -> None:
        """BR-O-11..14: a "not subject to VAT" invoice has nothing else in it."""
        m = self.m
        if not bds:
            return
        self.check(all(b.category in (None, "O") for b in m.breakdowns), "BR-O-11", m.root)
        self.check(all(ln.category in (None, "O") for ln in m.lines), "BR-O-12", m.root)
        self.check(
            all(a.category in (None, "O") for a in m.doc_acs if not a.is_charge), "BR-O-13", m.root
        )
        self.check(
            all(a.category in (None, "O") for a in m.doc_acs if a.is_charge), "BR-O-14", m.root
        )


def check_model(model: Model) -> list[Finding]:
    """Run every native rule over a model; the findings, in a stable order."""
    return _Checker(model).run()


def rule_ids_of(findings: Iterable[Finding], severity: Severity | None = "fatal") -> set[str]:
    """The set of rule ids among findings (of one severity; all when `severity` is None)."""
    return {f.rule_id for f in findings if severity is None or f.severity == severity}
