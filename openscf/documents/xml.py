"""Safe XML parsing for untrusted trade documents.

Every document is parsed with lxml configured so that it cannot reach outside the bytes it
was given: entities are not expanded, DTDs are neither loaded nor validated, the network is
off, and libxml2's huge-tree mode stays off. A document with a DOCTYPE is refused outright,
since no trade document needs one, and the input is bounded by a byte limit.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from lxml import etree

from openscf.documents.errors import (
    DocumentTooLargeError,
    MalformedXmlError,
    MissingElementError,
    UnsafeXmlError,
    from_money_error,
)
from openscf.documents.invoice import PartyId
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import decimal_to_minor, parse_decimal

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_DOCTYPE_MARKERS = (
    b"<!DOCTYPE",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
    b"<!ENTITY",
)

_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers are not thread-safe."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_xml(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._Element:
    """Parse untrusted bytes into an element tree, or raise a `DocumentError`.

    Raises `DocumentTooLargeError` above `max_bytes`, `UnsafeXmlError` for a DOCTYPE or
    entity declaration, and `MalformedXmlError` for anything that is not well-formed.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_xml expects bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise DocumentTooLargeError(
            f"document is {len(data)} bytes, more than the limit of {max_bytes} bytes",
            source=source,
        )
    for marker in _DOCTYPE_MARKERS:
        at = data.find(marker)
        if at >= 0:
            line = data.count(b"\n", 0, at) + 1
            raise UnsafeXmlError(
                "document contains a DOCTYPE or entity declaration; these are refused",
                source=source,
                line=line,
                element="!DOCTYPE",
            )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        err_line: int | None = exc.lineno if exc.lineno else None
        raise MalformedXmlError(
            f"document is not well-formed XML: {exc.msg}", source=source, line=err_line
        ) from None
    except ValueError as exc:
        raise MalformedXmlError(f"document cannot be read as XML: {exc}", source=source) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("document contains a DOCTYPE; it is refused", source=source)
    return root


def local_name(el: etree._Element) -> str:
    """The element's name without namespace."""
    return str(etree.QName(el).localname)


def element_path(el: etree._Element) -> str:
    """A readable XPath to the element, with prefixes as written in the document."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        qn = etree.QName(node)
        prefix = node.prefix
        name = f"{prefix}:{qn.localname}" if prefix else qn.localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def text_of(el: etree._Element | None) -> str | None:
    """Whitespace-normalised text of an element, or None when absent or empty."""
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


def party_id_at(el: etree._Element | None) -> PartyId | None:
    """The identifier an element holds, with its `schemeID`; None when absent or empty."""
    value = text_of(el)
    if el is None or value is None:
        return None
    return PartyId(value, el.get("schemeID"))


def amount_minor_at(
    el: etree._Element | None, currency: str, source: str, *, required: str | None = None
) -> int:
    """An amount element's value in minor units (0 when absent and not `required`).

    Errors name the file, line and element (both UBL and CII read amounts this way).
    """
    text = text_of(el)
    if text is None:
        if required is not None:
            raise MissingElementError(
                f"the invoice has no {required}", source=source, element=required
            )
        return 0
    assert el is not None
    try:
        return decimal_to_minor(parse_decimal(text), currency)
    except InvalidRequest as exc:
        error = from_money_error(exc, element_path(el))
        error.source, error.line = source, el.sourceline
        raise error from None


def decimal_at(el: etree._Element | None, source: str) -> Decimal | None:
    """A decimal element's value, or None when absent; errors name file, line, element."""
    text = text_of(el)
    if text is None:
        return None
    assert el is not None
    try:
        return parse_decimal(text)
    except InvalidRequest as exc:
        error = from_money_error(exc, element_path(el))
        error.source, error.line = source, el.sourceline
        raise error from None
