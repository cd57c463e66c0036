"""What the UBL binding reads beyond the business terms: coded values and syntax rules.

- every coded value the code-list rules (BR-CL-*) check, with its element;
- the UBL syntax-binding rules of CEN's UBL binding the document breaks (UBL-SR-*: how
  often an element may occur; UBL-DT-*: data types; the two fatal UBL-CR-*).

`ubl_scan` finds both, with one walk over the document for the rules that apply to an
element by its name (validation throughput matters: bulk imports run only this stage).

Where each rule applies follows the published rule texts (`published_rules.json`); the
checks are written here in Python, element by element.

May import: `openscf.documents.en16931.model`, `openscf.documents.ubl` (namespaces) and
the standard library.
"""

from __future__ import annotations

from openscf.documents import ubl
from openscf.documents.en16931.model import El
from openscf.documents.en16931.model import element_text as _t
from openscf.documents.en16931.rule_texts import UBL_DATA_TYPE_ELEMENTS

__all__ = ["ubl_scan"]

_CAC_NS = ubl.NS_CAC
_CBC_NS = ubl.NS_CBC
_CAC, _CBC = ubl.cac, ubl.cbc
_U = ubl.path
_CAC_PREFIX = _CAC("")
_CAC_PREFIX_LEN = len(_CAC_PREFIX)

Codes = list[tuple[str, str | None, El]]

# BR-CL-03: the amounts whose currencyID is checked.
_AMOUNT_NAMES = frozenset(
    {
        "Amount",
        "BaseAmount",
        "PriceAmount",
        "TaxAmount",
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
_QUANTITY_NAMES = frozenset({"InvoicedQuantity", "BaseQuantity", "CreditedQuantity"})


def _local(el: El) -> tuple[str, str]:
    tag = el.tag
    if not isinstance(tag, str) or tag[0] != "{":
        return "", ""
    ns, _, name = tag[1:].partition("}")
    return ns, name


def _parent_name(el: El) -> str:
    """The local name of the element's parent when it is a cac element, else ''."""
    parent = el.getparent()
    if parent is None:
        return ""
    tag = parent.tag
    return tag[_CAC_PREFIX_LEN:] if isinstance(tag, str) and tag.startswith(_CAC_PREFIX) else ""


def _is_charge(ac: El | None) -> bool | None:
    if ac is None:
        return None
    text = (_t(ac.find(_CBC("ChargeIndicator"))) or "").lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else None


def _has_ancestor(el: El, names: tuple[str, ...]) -> bool:
    parent = el.getparent()
    while parent is not None:
        if _local(parent)[1] in names:
            return True
        parent = parent.getparent()
    return False


def _attr_code(rule: str, el: El, attr: str, out: Codes) -> None:
    value = el.get(attr)
    if value is not None:
        out.append((rule, value.strip(), el))


def _text_code(rule: str, el: El, out: Codes) -> None:
    out.append((rule, (el.text or "").strip(), el))


# The coded elements whose rule depends on the element they sit in.
_PARENT_NAMED = frozenset(
    {
        "DescriptionCode",
        "ID",
        "CompanyID",
        "ItemClassificationCode",
        "IdentificationCode",
        "PaymentMeansCode",
        "AllowanceChargeReasonCode",
    }
)


def _cbc_codes(el: El, name: str, root: El, out: Codes) -> None:
    """The coded values held by one cbc element (the rule contexts of BR-CL-*)."""
    parent = _parent_name(el) if name in _PARENT_NAMED else ""
    if name in _AMOUNT_NAMES:
        _attr_code("BR-CL-03", el, "currencyID", out)
    elif name in ("InvoiceTypeCode", "CreditNoteTypeCode"):
        out.append(("BR-CL-01:" + name, (el.text or "").strip(), el))
    elif name == "DocumentCurrencyCode":
        _text_code("BR-CL-04", el, out)
    elif name == "TaxCurrencyCode":
        _text_code("BR-CL-05", el, out)
    elif name == "DescriptionCode" and parent == "InvoicePeriod":
        _text_code("BR-CL-06", el, out)
    elif name == "ID":
        _id_codes(el, parent, out)
    elif name == "Note" and el.getparent() is root:
        _note_subject(el, out)
    elif name == "CompanyID" and parent == "PartyLegalEntity":
        _attr_code("BR-CL-11", el, "schemeID", out)
    elif name == "ItemClassificationCode" and parent == "CommodityClassification":
        _attr_code("BR-CL-13", el, "listID", out)
    elif name == "IdentificationCode" and parent in ("Country", "OriginCountry"):
        _text_code("BR-CL-14" if parent == "Country" else "BR-CL-15", el, out)
    elif name == "PaymentMeansCode" and parent == "PaymentMeans":
        _text_code("BR-CL-16", el, out)
    elif name == "AllowanceChargeReasonCode" and parent == "AllowanceCharge":
        charge = _is_charge(el.getparent())
        if charge is not None:
            _text_code("BR-CL-20" if charge else "BR-CL-19", el, out)
    elif name == "TaxExemptionReasonCode":
        _text_code("BR-CL-22", el, out)
    elif name in _QUANTITY_NAMES:
        _attr_code("BR-CL-23", el, "unitCode", out)
    elif name == "EmbeddedDocumentBinaryObject":
        _attr_code("BR-CL-24", el, "mimeCode", out)
    elif name == "EndpointID":
        _attr_code("BR-CL-25", el, "schemeID", out)


def _id_codes(el: El, parent: str, out: Codes) -> None:
    if parent in ("AdditionalDocumentReference", "DocumentReference"):
        ref = el.getparent()
        assert ref is not None
        if _t(ref.find(_CBC("DocumentTypeCode"))) == "130":
            _attr_code("BR-CL-07", el, "schemeID", out)
    elif parent == "PartyIdentification":
        scheme = el.get("schemeID")
        if scheme is not None:
            # SEPA (a creditor identifier) only for the seller and the payee.
            sepa_ok = _has_ancestor(el, ("AccountingSupplierParty", "PayeeParty"))
            rule = "BR-CL-10:SEPA" if sepa_ok else "BR-CL-10"
            out.append((rule, scheme.strip(), el))
    elif parent == "TaxCategory":
        _text_code("BR-CL-17", el, out)
    elif parent == "ClassifiedTaxCategory":
        _text_code("BR-CL-18", el, out)
    elif parent == "StandardItemIdentification":
        _attr_code("BR-CL-21", el, "schemeID", out)
    elif parent == "DeliveryLocation":
        _attr_code("BR-CL-26", el, "schemeID", out)


def _note_subject(el: El, out: Codes) -> None:
    """BR-CL-08: a note that starts its text with #XXX# names its subject code XXX."""
    text = el.text or ""
    after = text.partition("#")[2]
    if "#" in after:
        code = after.partition("#")[0]
        if len(code) == 3:
            out.append(("BR-CL-08", code, el))


_CODED_NAMES = (
    *_AMOUNT_NAMES,
    *_QUANTITY_NAMES,
    "InvoiceTypeCode",
    "CreditNoteTypeCode",
    "DocumentCurrencyCode",
    "TaxCurrencyCode",
    "DescriptionCode",
    "ID",
    "Note",
    "CompanyID",
    "ItemClassificationCode",
    "IdentificationCode",
    "PaymentMeansCode",
    "AllowanceChargeReasonCode",
    "TaxExemptionReasonCode",
    "EmbeddedDocumentBinaryObject",
    "EndpointID",
)
_CODED_TAGS = tuple(_CBC(n) for n in _CODED_NAMES)
_CBC_PREFIX_LEN = len(_CBC(""))


# --- UBL-SR-*, UBL-DT-*, UBL-CR-* -------------------------------------------------------

Breaches = list[tuple[str, El]]

# (rule, path from the invoice root, most occurrences allowed)
_ROOT_COUNTS: tuple[tuple[str, str, int], ...] = (
    ("UBL-SR-01", "cac:ContractDocumentReference/cbc:ID", 1),
    ("UBL-SR-02", "cac:ReceiptDocumentReference/cbc:ID", 1),
    ("UBL-SR-03", "cac:DespatchDocumentReference/cbc:ID", 1),
    ("UBL-SR-05", "cac:PaymentTerms/cbc:Note", 1),
    ("UBL-SR-08", "cac:InvoicePeriod", 1),
    (
        "UBL-SR-09",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        1,
    ),
    ("UBL-SR-10", "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name", 1),
    ("UBL-SR-11", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", 1),
    (
        "UBL-SR-14",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyLegalForm",
        1,
    ),
    (
        "UBL-SR-15",
        "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        1,
    ),
    ("UBL-SR-16", "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", 1),
    ("UBL-SR-17", "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", 1),
    ("UBL-SR-24", "cac:Delivery", 1),
    ("UBL-SR-39", "cac:ProjectReference/cbc:ID", 1),
    ("UBL-SR-40", "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name", 1),
    ("UBL-SR-45", "cac:PaymentMeans/cbc:PaymentDueDate", 1),
    ("UBL-SR-49", "cac:InvoicePeriod/cbc:DescriptionCode", 1),
    ("UBL-SR-54", "cac:PaymentMeans/cac:CardAccount", 1),
    ("UBL-SR-55", "cac:PaymentMeans/cac:PaymentMandate", 1),
    ("UBL-SR-56", "cac:OriginatorDocumentReference/cbc:ID", 1),
)
# (rule, path from each invoice or credit note line, most occurrences allowed)
_LINE_COUNTS: tuple[tuple[str, str, int], ...] = (
    ("UBL-SR-34", "cbc:Note", 1),
    ("UBL-SR-35", "cac:OrderLineReference/cbc:LineID", 1),
    ("UBL-SR-36", "cac:InvoicePeriod", 1),
    ("UBL-SR-37", "cac:Price/cac:AllowanceCharge/cbc:Amount", 1),
    ("UBL-SR-50", "cac:Item/cbc:Description", 1),
    ("UBL-SR-52", "cac:DocumentReference", 1),
)
# (rule, element name anywhere in the document, path from it, most occurrences allowed)
_ELEMENT_COUNTS: tuple[tuple[str, str, str, int], ...] = (
    ("UBL-SR-33", "AdditionalDocumentReference", "cbc:DocumentDescription", 1),
    ("UBL-SR-25", "Delivery", "cac:DeliveryParty/cac:PartyName/cbc:Name", 1),
    ("UBL-SR-26", "PaymentMeans", "cbc:PaymentID", 1),
    ("UBL-SR-27", "PaymentMeans", "cbc:PaymentMeansCode", 1),
    ("UBL-SR-28", "PaymentMeans", "cac:PaymentMandate/cbc:ID", 1),
    ("UBL-SR-06", "BillingReference", "cac:InvoiceDocumentReference", 1),
    ("UBL-SR-22", "TaxRepresentativeParty", "cac:PartyName/cbc:Name", 1),
    ("UBL-SR-23", "TaxRepresentativeParty", "cac:PartyTaxScheme/cbc:CompanyID", 1),
    ("UBL-SR-32", "TaxSubtotal", "cac:TaxCategory/cbc:TaxExemptionReason", 1),
)


_PATHS: dict[str, tuple[str, ...]] = {}
# The first step of each counted path: a path whose first element is absent counts 0.
_FIRST_TAG = {
    path: _U(path.split("/")[0])
    for path in (*(p for _, p, _ in _ROOT_COUNTS), *(p for _, p, _ in _LINE_COUNTS))
}


def _walk(el: El, path: str) -> list[El]:
    """The elements `path` (child steps, prefixed names) selects below `el`.

    Walked child by child: lxml's `findall` parses its path in Python on every call,
    which costs more than the walk for the short paths these rules use.
    """
    tags = _PATHS.get(path)
    if tags is None:
        tags = _PATHS[path] = tuple(_U(step) for step in path.split("/"))
    level = [el]
    for tag in tags:
        level = [child for parent in level for child in parent.iterchildren(tag)]
        if not level:
            break
    return level


def _count(el: El, path: str) -> int:
    return len(_walk(el, path))


def _tax_scheme_is_vat(pts: El) -> bool:
    return (_t(pts.find(_U("cac:TaxScheme", "cbc:ID"))) or "").upper() == "VAT"


class _RootPaths:
    """Paths from the invoice root, walked once per prefix: many rules share one (the
    seller's and the buyer's Party), so each step below it is taken once."""

    def __init__(self, root: El) -> None:
        self.root = root
        self.found: dict[str, list[El]] = {"": [root]}

    def __call__(self, path: str) -> list[El]:
        found = self.found.get(path)
        if found is None:
            head, _, step = path.rpartition("/")
            tag = _TAGS.get(step) or _TAGS.setdefault(step, _U(step))
            found = [c for parent in self(head) for c in parent.iterchildren(tag)]
            self.found[path] = found
        return found


_TAGS: dict[str, str] = {}


def _root_rules(root: El, out: Breaches) -> None:
    present = {child.tag for child in root}
    walk = _RootPaths(root)
    for rule, path, most in _ROOT_COUNTS:
        if _FIRST_TAG[path] in present and len(walk(path)) > most:
            out.append((rule, root))
    # UBL-SR-04: one attached invoiced-object identifier (document type 130).
    adr_130 = [
        a
        for a in root.iterfind(_CAC("AdditionalDocumentReference"))
        if _t(a.find(_CBC("DocumentTypeCode"))) == "130"
    ]
    if sum(len(a.findall(_CBC("ID"))) for a in adr_130) > 1:
        out.append(("UBL-SR-04", root))
    for rule, party_path, vat in (
        ("UBL-SR-12", "cac:AccountingSupplierParty/cac:Party", True),
        ("UBL-SR-13", "cac:AccountingSupplierParty/cac:Party", False),
        ("UBL-SR-18", "cac:AccountingCustomerParty/cac:Party", True),
    ):
        ids = [
            cid
            for pts in walk(f"{party_path}/cac:PartyTaxScheme")
            if _tax_scheme_is_vat(pts) == vat
            for cid in pts.iterchildren(_CBC("CompanyID"))
        ]
        if len(ids) > 1:
            out.append((rule, root))
    names = [e for e in walk("cac:PaymentMeans/cbc:PaymentMeansCode") if e.get("name") is not None]
    if len(names) > 1:
        out.append(("UBL-SR-46", root))
    for adr in adr_130:
        if adr.find(_CAC("Attachment")) is not None:
            out.append(("UBL-CR-666", root))
        if adr.find(_CBC("DocumentDescription")) is not None:
            out.append(("UBL-CR-673", root))


def _line_rules(root: El, out: Breaches) -> None:
    for tag in (_CAC("InvoiceLine"), _CAC("CreditNoteLine")):
        for line in root.iterchildren(tag):
            present = {child.tag for child in line}
            for rule, path, most in _LINE_COUNTS:
                if _FIRST_TAG[path] in present and _count(line, path) > most:
                    out.append((rule, line))
            if _count(line, "cac:Item/cac:ClassifiedTaxCategory") != 1:
                out.append(("UBL-SR-48", line))


def _payee_rules(root: El, out: Breaches) -> None:
    """UBL-SR-19/20/21: at most one of each, and a payee name that is not the seller's.

    As in the official rules, a payee without a name or a seller without a registration
    name cannot be told apart, so the comparison fails then too.
    """
    seller_names = [
        e.text or ""
        for e in root.iterfind(
            _U(
                "cac:AccountingSupplierParty",
                "cac:Party",
                "cac:PartyLegalEntity",
                "cbc:RegistrationName",
            )
        )
    ]
    for payee in root.iter(_CAC("PayeeParty")):
        names = [e.text or "" for e in payee.iterfind(_U("cac:PartyName", "cbc:Name"))]
        differs = any(n != s for n in names for s in seller_names)
        ids = [
            e
            for e in payee.iterfind(_U("cac:PartyIdentification", "cbc:ID"))
            if (e.get("schemeID") or "").upper() != "SEPA"
        ]
        for rule, count in (
            ("UBL-SR-19", len(names)),
            ("UBL-SR-20", len(ids)),
            ("UBL-SR-21", _count(payee, "cac:PartyLegalEntity/cbc:CompanyID")),
        ):
            if count > 1 or not differs:
                out.append((rule, payee))


_COUNTS_BY_NAME: dict[str, list[tuple[str, str, int]]] = {}
for _rule, _name, _path, _most in _ELEMENT_COUNTS:
    _COUNTS_BY_NAME.setdefault(_name, []).append((_rule, _path, _most))
_CAC_RULE_NAMES = (
    *_COUNTS_BY_NAME,
    "BillingReference",
    "AllowanceCharge",
    "PartyTaxScheme",
    "PostalAddress",
    "Address",
    "Party",
)
_CAC_RULE_TAGS = tuple(_CAC(n) for n in set(_CAC_RULE_NAMES))


_CODED_TAG_SET = frozenset(_CODED_TAGS)
_CAC_RULE_TAG_SET = frozenset(_CAC_RULE_TAGS)
# UBL-DT-01, UBL-DT-06/07: every basic component named ...Amount or ...BinaryObject.
_DATA_TYPE_TAGS = frozenset(_CBC(n) for names in UBL_DATA_TYPE_ELEMENTS.values() for n in names)
_ID, _PAYMENT_ID, _MEANS_CODE = _CBC("ID"), _CBC("PaymentID"), _CBC("PaymentMeansCode")
_PARTY_ID = _CAC("PartyIdentification")
_CURRENCY_TAGS = frozenset(_CBC(n) for n in _AMOUNT_NAMES)
_PRICE_AMOUNT = _CBC("PriceAmount")
_SCANNED_TAGS = tuple(_CODED_TAG_SET | _CAC_RULE_TAG_SET | _DATA_TYPE_TAGS | {_PAYMENT_ID})


def _scan(root: El, codes: Codes, out: Breaches) -> None:
    """One walk over the elements some rule applies to by name (lxml picks them out):
    the coded values, the per-element syntax rules and the data-type rules, and the
    document-wide counts of UBL-SR-29, -44 and -47."""
    sepa = 0
    payment_ids: set[str] = set()
    means_codes: set[str] = set()
    for el in root.iter(*_SCANNED_TAGS):
        tag = el.tag
        if tag in _CURRENCY_TAGS:  # the most frequent: amounts (BR-CL-03, UBL-DT-01)
            currency = el.get("currencyID")
            if currency is not None:
                codes.append(("BR-CL-03", currency.strip(), el))
            if len((el.text or "").partition(".")[2]) > 2 and tag != _PRICE_AMOUNT:
                _cbc_rules(el, tag[_CBC_PREFIX_LEN:], out)
            continue
        if tag == _PAYMENT_ID:
            payment_ids.add(el.text or "")
        elif tag in _CAC_RULE_TAG_SET:
            name = tag[_CAC_PREFIX_LEN:]
            for rule, path, most in _COUNTS_BY_NAME.get(name, ()):
                if _count(el, path) > most:
                    out.append((rule, el))
            _cac_rules(el, name, out)
            continue
        if tag in _CODED_TAG_SET:
            if tag == _MEANS_CODE:
                means_codes.add(el.text or "")
            elif tag == _ID and (el.get("schemeID") or "").upper() == "SEPA":
                parent = el.getparent()
                sepa += parent is not None and parent.tag == _PARTY_ID
            _cbc_codes(el, tag[_CBC_PREFIX_LEN:], root, codes)
        if tag in _DATA_TYPE_TAGS:
            _cbc_rules(el, tag[_CBC_PREFIX_LEN:], out)
    for rule, breached in (
        ("UBL-SR-29", sepa > 1),
        ("UBL-SR-44", len(payment_ids) > 1),
        ("UBL-SR-47", len(means_codes) > 1),
    ):
        if breached:
            out.append((rule, root))


def _cac_rules(el: El, name: str, out: Breaches) -> None:
    if name == "BillingReference":
        if el.find(_U("cac:InvoiceDocumentReference", "cbc:ID")) is None:
            out.append(("UBL-SR-07", el))
    elif name == "AllowanceCharge":
        if _count(el, "cbc:AllowanceChargeReason") > 1:
            charge = _is_charge(el)
            if charge is not None:
                out.append(("UBL-SR-31" if charge else "UBL-SR-30", el))
    elif name == "PartyTaxScheme":
        if el.find(_U("cac:TaxScheme", "cbc:ID")) is None or el.find(_CBC("CompanyID")) is None:
            out.append(("UBL-SR-53", el))
    elif name in ("PostalAddress", "Address"):
        if _count(el, "cac:AddressLine") > 1:
            out.append(("UBL-SR-51", el))
    elif name == "Party" and _parent_name(el) == "AccountingSupplierParty":
        if _count(el, "cac:PartyTaxScheme") > 2:
            out.append(("UBL-SR-42", el))
    elif name == "AdditionalDocumentReference":
        code = _t(el.find(_CBC("DocumentTypeCode")))
        ident = el.find(_CBC("ID"))
        credit_note = _local(el.getroottree().getroot())[1] == "CreditNote"
        ok = (
            code == "130"
            or (credit_note and code == "50")
            or (code is None and (ident is None or ident.get("schemeID") is None))
        )
        if not ok:
            out.append(("UBL-SR-43", el))


def _cbc_rules(el: El, name: str, out: Breaches) -> None:
    if name.endswith("Amount") and not name.endswith("PriceAmount"):
        text = el.text or ""
        if len(text.partition(".")[2]) > 2 and not _in_price_allowance(el):
            out.append(("UBL-DT-01", el))
    elif name.endswith("BinaryObject"):
        if el.get("mimeCode") is None:
            out.append(("UBL-DT-06", el))
        if el.get("filename") is None:
            out.append(("UBL-DT-07", el))


def _in_price_allowance(el: El) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent.tag == _CAC("AllowanceCharge"):
            grand = parent.getparent()
            if grand is not None and grand.tag == _CAC("Price"):
                return True
        parent = parent.getparent()
    return False


def ubl_scan(root: El) -> tuple[Codes, Breaches]:
    """The coded values the BR-CL rules check, as (rule, value, element), and the UBL
    syntax-binding rules the document breaks, as (rule, element)."""
    codes: Codes = []
    out: Breaches = []
    _root_rules(root, out)
    _line_rules(root, out)
    _payee_rules(root, out)
    _scan(root, codes, out)
    return codes, out
