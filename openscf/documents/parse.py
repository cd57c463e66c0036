"""`parse_invoice`: bytes in, `NormalisedInvoice` out, whatever the syntax."""

from __future__ import annotations

from typing import Literal

from lxml import etree

from openscf.documents import cii, ubl
from openscf.documents.errors import UnknownDocumentTypeError
from openscf.documents.invoice import NormalisedInvoice
from openscf.documents.xml import DEFAULT_MAX_BYTES, parse_xml

Syntax = Literal["ubl", "cii"]


def detect_syntax(root: etree._Element, source: str = "<bytes>") -> Syntax:
    """Which invoice syntax the root element is, or `UnknownDocumentTypeError`."""
    if root.tag in ubl.ROOTS:
        return "ubl"
    if root.tag == cii.ROOT:
        return "cii"
    qn = etree.QName(root)
    if qn.namespace in (ubl.NS_INVOICE, ubl.NS_CREDIT_NOTE, cii.NS_RSM):
        what = f"root element {qn.localname} does not belong in namespace {qn.namespace}"
    elif qn.namespace is None:
        what = f"root element {qn.localname} has no namespace"
    else:
        what = f"root element {qn.localname} in namespace {qn.namespace} is not an invoice"
    raise UnknownDocumentTypeError(
        f"{what}; expected a UBL 2.1 Invoice or CreditNote, or a CII CrossIndustryInvoice",
        source=source,
        line=root.sourceline,
        element=qn.localname,
    )


def parse_invoice_element(root: etree._Element, source: str = "<bytes>") -> NormalisedInvoice:
    """Normalise an already parsed invoice element."""
    if detect_syntax(root, source) == "ubl":
        return ubl.parse_ubl(root, source)
    return cii.parse_cii(root, source)


def parse_invoice(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> NormalisedInvoice:
    """Parse a UBL 2.1 Invoice / CreditNote or a CII CrossIndustryInvoice from bytes.

    Raises a `DocumentError` (with a stable `code`) for unsafe, malformed or unknown input,
    missing required terms, or amounts that do not fit the currency's minor unit.
    """
    root = parse_xml(data, source, max_bytes=max_bytes)
    return parse_invoice_element(root, source)
