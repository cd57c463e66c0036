"""Untrusted XML cannot expand entities, read local files, fetch DTDs or exhaust memory."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from openscf.documents.errors import (
    DocumentError,
    DocumentTooLargeError,
    MalformedXmlError,
    UnsafeXmlError,
)
from openscf.documents.parse import parse_invoice
from openscf.documents.validation import validate_invoice
from openscf.documents.xml import parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    "doc", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe-file", "external-dtd"]
)
def test_documents_with_a_doctype_are_refused_before_anything_is_expanded_or_fetched(
    doc: bytes, no_network: None
) -> None:
    with pytest.raises(UnsafeXmlError) as err:
        parse_xml(doc, "evil.xml")
    assert err.value.code == "unsafe_xml"
    assert err.value.location.startswith("evil.xml:2")
    assert "root:" not in err.value.message


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_the_invoice_entry_points_refuse_unsafe_documents_too(doc: bytes, no_network: None) -> None:
    with pytest.raises(UnsafeXmlError):
        parse_invoice(doc)
    with pytest.raises(UnsafeXmlError):
        validate_invoice(doc, data_dir=Path("/nonexistent"))


def test_a_utf16_document_with_a_doctype_is_refused() -> None:
    with pytest.raises(UnsafeXmlError):
        parse_xml(
            XXE.decode()
            .replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
            .encode("utf-16")
        )


def test_a_document_over_the_size_limit_is_refused_without_parsing() -> None:
    doc = b"<a>" + b"x" * 2000 + b"</a>"
    with pytest.raises(DocumentTooLargeError) as err:
        parse_xml(doc, max_bytes=1000)
    assert err.value.code == "document_too_large"
    assert parse_xml(doc, max_bytes=10_000).tag == "a"


def test_the_default_limit_is_ten_mebibytes() -> None:
    with pytest.raises(DocumentTooLargeError):
        parse_xml(b" " * (10 * 1024 * 1024 + 1))


def test_malformed_xml_is_reported_with_its_line() -> None:
    with pytest.raises(MalformedXmlError) as err:
        parse_xml(b"<a>\n<b>\n</a>", "broken.xml")
    assert err.value.code == "malformed_xml"
    assert err.value.line is not None and err.value.line >= 2
    assert err.value.location.startswith("broken.xml:")


def test_an_undeclared_entity_is_malformed_not_expanded() -> None:
    with pytest.raises(DocumentError):
        parse_xml(b"<a>&undeclared;</a>")


def test_every_document_error_has_a_snake_case_code_message_and_location() -> None:
    for cls in (MalformedXmlError, UnsafeXmlError, DocumentTooLargeError):
        err = cls("boom", source="f.xml", line=3, element="x")
        assert err.code.islower() and " " not in err.code
        assert err.message == "boom"
        assert err.location == "f.xml:3 (x)"
        assert err.code in str(err)
